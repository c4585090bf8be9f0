"""The sealing page's lot-key.js, run in Node's WebCrypto over ledgers the Python side signs: it follows a pinned
log key through logged rotations its retiring key signed and no further, and it names a receipt that does not
cover the ciphertext the page sealed."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.merkle import hash_leaf, inclusion_proof
from auction.ledger.verifier.note import Checkpoint, format_vkey, sign_checkpoint
from tests.kit.node import needs_node, run_module
from tests.unit.ledger.factory import ORIGIN, Log
from tests.unit.ledger.reference_tree import list_subtree_hasher

LOT_KEY = "BHkv3TH0NVd2x7ib3DKp_w4kquJt5v7G6lkRPCfjq_2hOAQ2bB8ouzeg3-8BqjPydKWrpTUNp8MM9IGZfGs8SbE"

pytestmark = needs_node

RUNNER = """
const lib = await import(process.argv[1]);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const job of JSON.parse(input)) {
  const slot = "achyk.ledger-key:" + job.origin;
  const pins = new Map(job.pin ? [[slot, job.pin]] : []);
  const storage = { getItem: (k) => pins.get(k) ?? null, setItem: (k, v) => pins.set(k, v) };
  try {
    let value;
    if (job.receipt) {
      const options = { vkey: job.vkey, origin: job.origin, lotId: job.lot };
      value = await lib.checkSealedReceipt(job.receipt, job.body, job.ciphertext, options);
    } else {
      const fetch = async () => ({ ok: true, status: 200, json: async () => job.evidence });
      value = await lib.verifiedLotKey(job.lot, { vkey: job.vkey, origin: job.origin, storage, fetch });
    }
    results.push({ ok: true, value, pin: pins.get(slot) ?? null });
  } catch (error) {
    results.push({ ok: false, code: error.code ?? null, error: String(error.message), pin: pins.get(slot) ?? null });
  }
}
process.stdout.write(JSON.stringify(results));
"""


def run_js(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return run_module(RUNNER, "lot-key.js", jobs)


def proven(log: Log, index: int, size: int, note: str) -> dict[str, Any]:
    """An entry of the log with its inclusion in the tree of ``size`` whose checkpoint is ``note``."""
    hashes = [hash_leaf(leaf) for leaf in log.leaves[:size]]
    path = inclusion_proof(index, size, list_subtree_hasher(hashes))
    return {
        "index": index,
        "tree_size": size,
        "leaf": log.leaves[index].decode(),
        "path": [base64.b64encode(h).decode() for h in path],
        "checkpoint": note,
    }


def sign_tree(log: Log, key: Ed25519PrivateKey) -> str:
    return sign_checkpoint(Checkpoint(log.origin, log.tree.end, log.tree.root()), log.key_name, key)


def rotated_ledger(*, retiring_key_signs: bool) -> tuple[Log, str, str, dict[str, Any]]:
    """A lot published under key A, then A rotated to B; the latest tree signed by B. Returns the log, the two vkeys
    and the published-proof answer."""
    log = Log()
    first_key, first_vkey = log.key, log.vkey
    log.add("lot.published", 1, {"sealed": {"public_key": LOT_KEY}, "version": 1}, actor="officer:1")
    log.checkpoint()
    second_key = log.rotate()
    rotation_index = len(log.leaves) - 1
    # The first tree holding the rotation: the retiring key endorses it, or (forged) only the new one signs.
    covering = sign_tree(log, first_key if retiring_key_signs else second_key)
    log.add("bid.sealed", 1, {"ciphertext": "x"}, actor="bidder:b-0000000000000001")
    latest = sign_tree(log, second_key)
    size = len(log.leaves)
    evidence = {
        "lot_id": 1,
        "body": log.bodies[0].decode(),
        "entry": proven(log, 0, size, latest),
        "rotations": [proven(log, rotation_index, rotation_index + 1, covering)],
    }
    return log, first_vkey, format_vkey(log.key_name, second_key.public_key()), evidence


def test_the_lot_key_is_followed_through_rotations_the_pinned_key_signed() -> None:
    _, old, new, evidence = rotated_ledger(retiring_key_signs=True)
    _, forged_old, forged_new, forged = rotated_ledger(retiring_key_signs=False)
    stranger = format_vkey(ORIGIN, Ed25519PrivateKey.generate().public_key())
    job = {"lot": 1, "origin": ORIGIN, "vkey": new, "evidence": evidence}
    first_use, rotated, unrelated, no_rotation, unsigned_rotation = run_js(
        [
            job,
            job | {"pin": old},
            job | {"pin": stranger},
            job | {"pin": old, "evidence": evidence | {"rotations": []}},
            {"lot": 1, "origin": ORIGIN, "vkey": forged_new, "evidence": forged, "pin": forged_old},
        ]
    )
    assert first_use == {"ok": True, "value": LOT_KEY, "pin": new}
    assert rotated == {"ok": True, "value": LOT_KEY, "pin": new}
    for refused in (unrelated, no_rotation, unsigned_rotation):
        assert refused["code"] == "key_changed", refused
        assert "no logged key rotation signed by the pinned key leads to it" in refused["error"]
    assert unrelated["pin"] == stranger  # a refused key never replaces the pin
    assert unsigned_rotation["pin"] == forged_old


def test_a_publication_for_another_lot_or_without_a_key_is_refused() -> None:
    _, _, new, evidence = rotated_ledger(retiring_key_signs=True)
    other_lot, shown_other = run_js(
        [
            {"lot": 2, "origin": ORIGIN, "vkey": new, "evidence": evidence},
            {
                "lot": 1,
                "origin": ORIGIN,
                "vkey": new,
                "evidence": evidence | {"body": evidence["body"].replace("1", "2", 1)},
            },
        ]
    )
    assert other_lot["code"] == "unproven"
    assert "not lot 2's publication" in other_lot["error"]
    assert shown_other["code"] == "unproven"
    assert other_lot["pin"] is None  # nothing verified, nothing pinned


def test_the_receipt_must_cover_the_sealed_ciphertext() -> None:
    log = Log()
    ciphertext = base64.urlsafe_b64encode(bytes(range(93))).decode().rstrip("=")
    digest = hashlib.sha256(bytes(range(93))).hexdigest()
    payload = {"bidder": "b-0000000000000001", "ciphertext": ciphertext, "ciphertext_hash": digest, "replaces": False}
    body = log.add("bid.sealed", 7, payload, actor="bidder:b-0000000000000001")
    receipt = log.receipt(body)
    other = Log()
    job = {
        "lot": 7,
        "origin": ORIGIN,
        "vkey": log.vkey,
        "receipt": receipt,
        "body": body.decode(),
        "ciphertext": ciphertext,
    }
    honest, another_ciphertext, another_body, another_key, another_lot = run_js(
        [
            job,
            job | {"ciphertext": ciphertext[:-4] + "AAAA"},
            job | {"body": body.decode().replace('"replaces":false', '"replaces":true')},
            job | {"receipt": other.receipt(body)},
            job | {"lot": 8},
        ]
    )
    assert honest["ok"], honest
    assert honest["value"] == hashlib.sha256(body).hexdigest()
    assert another_ciphertext["error"] == "the logged sealed bid is not the one this browser sealed"
    assert "but the entry shown hashes to" in another_body["error"]
    assert another_key["error"].startswith("the receipt is not signed by the log key")
    assert another_lot["error"] == "the receipt is for lot 7, not lot 8"
    for refused in (another_ciphertext, another_body, another_key, another_lot):
        assert refused["code"] == "receipt_mismatch"
