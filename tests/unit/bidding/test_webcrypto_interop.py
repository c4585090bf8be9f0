"""The browser's sealed-bid.js, run in Node's WebCrypto, produces what sealed.py decrypts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from auction.ledger.verifier.sealed import (
    CIPHERTEXT_TEXT_LENGTH,
    MAX_AMOUNT,
    DecryptionFailed,
    LotKeyPair,
    b64url_encode,
    ciphertext_hash,
    decrypt_bid,
    generate_lot_key_pair,
    validate_ciphertext,
)

NODE = Path("/usr/bin/node")
MODULE = Path(__file__).resolve().parents[3] / "web" / "static" / "js" / "sealed-bid.js"

pytestmark = pytest.mark.skipif(not NODE.exists(), reason="/usr/bin/node is not installed; cannot run the JS")

# Reads jobs as JSON on stdin, seals each with the browser module, prints one result per job.
RUNNER = """
const { encryptBid } = await import(process.argv[1]);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const job of JSON.parse(input)) {
  try {
    results.push({ ok: await encryptBid(job.key, job.lot, job.bidder, job.amount) });
  } catch (error) {
    results.push({ error: String(error && error.message) });
  }
}
process.stdout.write(JSON.stringify(results));
"""


def run_js(jobs: list[dict[str, object]]) -> list[dict[str, str]]:
    completed = subprocess.run(
        [str(NODE), "--input-type=module", "-e", RUNNER, MODULE.as_uri()],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results: list[dict[str, str]] = json.loads(completed.stdout)
    assert len(results) == len(jobs)
    return results


def sealed_by_js(jobs: list[dict[str, object]]) -> list[str]:
    results = run_js(jobs)
    assert all("ok" in r for r in results), results
    return [r["ok"] for r in results]


@pytest.fixture(scope="module")
def keys() -> LotKeyPair:
    return generate_lot_key_pair()


@pytest.fixture(scope="module")
def key_text(keys: LotKeyPair) -> str:
    return b64url_encode(keys.public_key)


AMOUNTS = [1, 7, 99, 100, 1_250_000_00, 2**31 - 1, 2**32 + 5, 123_456_789_012_345, MAX_AMOUNT]


def test_python_decrypts_what_the_browser_sealed(keys: LotKeyPair, key_text: str) -> None:
    jobs: list[dict[str, object]] = [
        {"key": key_text, "lot": 42, "bidder": "bidder-7", "amount": amount} for amount in AMOUNTS
    ]
    ciphertexts = sealed_by_js(jobs)
    for amount, ciphertext in zip(AMOUNTS, ciphertexts, strict=True):
        assert len(ciphertext) == CIPHERTEXT_TEXT_LENGTH
        validate_ciphertext(ciphertext)
        assert len(ciphertext_hash(ciphertext)) == 64
        assert decrypt_bid(keys.private_scalar, 42, "bidder-7", ciphertext) == amount
    assert len(set(ciphertexts)) == len(ciphertexts)


@pytest.mark.parametrize("bidder", ["Участник №3", "Ашар 🏠 bidder", "a" * 200, "x=1,lot=2"])
def test_non_ascii_and_edge_pseudonyms_agree(keys: LotKeyPair, key_text: str, bidder: str) -> None:
    (ciphertext,) = sealed_by_js([{"key": key_text, "lot": 9, "bidder": bidder, "amount": 555}])
    assert decrypt_bid(keys.private_scalar, 9, bidder, ciphertext) == 555


def test_lot_id_given_as_decimal_text_matches(keys: LotKeyPair, key_text: str) -> None:
    (ciphertext,) = sealed_by_js([{"key": key_text, "lot": "1017", "bidder": "b", "amount": 3}])
    assert decrypt_bid(keys.private_scalar, 1017, "b", ciphertext) == 3


def test_browser_ciphertext_is_bound_to_lot_and_bidder(keys: LotKeyPair, key_text: str) -> None:
    (ciphertext,) = sealed_by_js([{"key": key_text, "lot": 42, "bidder": "bidder-7", "amount": 10}])
    with pytest.raises(DecryptionFailed):
        decrypt_bid(keys.private_scalar, 43, "bidder-7", ciphertext)
    with pytest.raises(DecryptionFailed):
        decrypt_bid(keys.private_scalar, 42, "bidder-8", ciphertext)


def test_browser_refuses_what_python_would_refuse(keys: LotKeyPair, key_text: str) -> None:
    compressed = b64url_encode(bytes([2 + (keys.public_key[-1] & 1)]) + keys.public_key[1:33])
    off_curve = b64url_encode(keys.public_key[:-1] + bytes([keys.public_key[-1] ^ 1]))
    good: dict[str, object] = {"key": key_text, "lot": 42, "bidder": "b", "amount": 5}
    bad_jobs: list[dict[str, object]] = [
        good | {"amount": 0},
        good | {"amount": -5},
        good | {"amount": 1.5},
        good | {"amount": MAX_AMOUNT + 1},
        good | {"amount": "5"},
        good | {"amount": None},
        good | {"lot": 0},
        good | {"lot": "007"},
        good | {"lot": 1.5},
        good | {"bidder": ""},
        good | {"bidder": "a|b"},
        good | {"bidder": "tab\there"},
        good | {"bidder": "a" * 201},
        good | {"bidder": "lone \ud800 surrogate"},
        good | {"key": "not base64!"},
        good | {"key": compressed},
        good | {"key": off_curve},
        good | {"key": key_text[:-4]},
    ]
    results = run_js([*bad_jobs, good])
    for job, result in zip(bad_jobs, results, strict=False):
        assert "error" in result, f"the browser sealed a bid Python would refuse: {job}"
    assert "ok" in results[-1]
