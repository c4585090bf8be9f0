"""The browser's commission and sealed-bid modules (web/static/js), run in Node, against the verifier's Python.

The fixed vector file is reproduced byte for byte; what the browser seals Python opens and the reverse; a ceremony
whose members are partly browsers and partly Python agrees on one joint key, and its bids open from any k shares.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from auction.bidding.commission_member import SoftwareMember, members_from
from auction.ledger.verifier import dkg, group
from auction.ledger.verifier.sealed import (
    CIPHERTEXT_TEXT_LENGTH,
    MAX_AMOUNT,
    DecryptionFailed,
    b64url_decode,
    b64url_encode,
    ciphertext_hash,
    decrypt_bid,
    encrypt_bid,
    ephemeral_of,
)

ROOT = Path(__file__).resolve().parents[3]
NODE = Path("/usr/bin/node")
VENDOR = ROOT / "web" / "static" / "vendor" / "noble-ed25519.js"
VECTORS = ROOT / "tests" / "data" / "keys" / "sealed-v2.json"

pytestmark = [
    pytest.mark.skipif(not NODE.exists(), reason="/usr/bin/node is not installed; cannot run the JS"),
    pytest.mark.skipif(not VENDOR.exists(), reason="run scripts/bootstrap: it bundles @noble/curves into vendor/"),
]


def node(script: str, *args: str, stdin: str = "") -> str:
    completed = subprocess.run(
        [str(NODE), str(ROOT / "tests" / "js" / script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def run_js(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = json.loads(node("member.mjs", stdin=json.dumps(jobs)))
    assert len(results) == len(jobs)
    return results


def js_ok(*jobs: dict[str, Any]) -> list[Any]:
    results = run_js(list(jobs))
    assert all("ok" in r for r in results), results
    return [r["ok"] for r in results]


def test_the_browser_reproduces_the_vector_file() -> None:
    report = json.loads(node("sealed_v2_vectors.mjs", str(VECTORS)))
    assert report == {"mismatches": []}


def test_the_vector_check_can_fail(tmp_path: Path) -> None:
    vectors = json.loads(VECTORS.read_text())
    vectors["bid"]["amount"] += 1
    vectors["ceremony"]["sealed"]["public_key"] = vectors["dleq"]["Y"]
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(vectors))
    whats = {m["what"] for m in json.loads(node("sealed_v2_vectors.mjs", str(changed)))["mismatches"]}
    assert {"bid ciphertext", "joint key"} <= whats


@pytest.fixture(scope="module")
def joint() -> tuple[int, str]:
    """A stand-in joint key whose secret the test holds, so S = y·R opens what was sealed to it."""
    y = group.random_scalar()
    return y, b64url_encode(group.base_mul(y))


AMOUNTS = [1, 7, 99, 100, 1_250_000_00, 2**31 - 1, 2**32 + 5, 123_456_789_012_345, MAX_AMOUNT]


def test_python_opens_what_the_browser_sealed(joint: tuple[int, str]) -> None:
    y, key = joint
    sealed = js_ok(*({"op": "encrypt", "key": key, "lot": 42, "bidder": "b-7", "amount": a} for a in AMOUNTS))
    for amount, ciphertext in zip(AMOUNTS, sealed, strict=True):
        assert len(ciphertext) == CIPHERTEXT_TEXT_LENGTH
        shared = group.mul(y, ephemeral_of(ciphertext))
        assert decrypt_bid(shared, b64url_decode(key), 42, "b-7", ciphertext) == amount
        with pytest.raises(DecryptionFailed):
            decrypt_bid(shared, b64url_decode(key), 43, "b-7", ciphertext)
        with pytest.raises(DecryptionFailed):
            decrypt_bid(shared, b64url_decode(key), 42, "b-8", ciphertext)
    assert len(set(sealed)) == len(sealed)


def test_the_browser_opens_what_python_sealed(joint: tuple[int, str]) -> None:
    y, key = joint
    bidders = ["b-1", "Участник №3", "Ашар 🏠 bidder", "a" * 200]
    jobs = []
    for amount, bidder in zip(AMOUNTS, bidders * 3, strict=False):
        ciphertext = encrypt_bid(b64url_decode(key), 9, bidder, amount)
        shared = b64url_encode(group.mul(y, ephemeral_of(ciphertext)))
        jobs.append(
            {"op": "decrypt", "shared": shared, "key": key, "lot": 9, "bidder": bidder, "ciphertext": ciphertext}
        )
    assert js_ok(*jobs) == AMOUNTS[: len(jobs)]
    wrong_bidder = jobs[0] | {"bidder": "b-2"}
    wrong_shared = jobs[0] | {"shared": jobs[1]["shared"]}
    assert js_ok(wrong_bidder, wrong_shared) == [None, None]


def one_bit_off(point: bytes) -> bytes:
    """The key with one bit of y flipped, the first flip that is no longer a prime-order point. Flipping a fixed bit
    of a random key lands on another valid point about one time in sixteen (half of all y are on the curve, an eighth
    of those in the subgroup), and the browser then rightly seals to it: that made the test fail at random."""
    for position in range(len(point) * 8 - 2, 0, -1):  # y's bits from the top, below the sign of x
        flipped = bytearray(point)
        flipped[position // 8] ^= 1 << (position % 8)
        try:
            group.decode_point(bytes(flipped))
        except group.GroupError:
            return bytes(flipped)
    raise AssertionError("every one-bit change of the key is a valid point")


def test_the_browser_refuses_to_seal_what_python_would_refuse(joint: tuple[int, str]) -> None:
    _, key = joint
    raw = b64url_decode(key)
    small_order = b64url_encode(bytes([1]) + bytes(31))  # the identity
    torsion = b64url_encode(bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"))
    off_curve = b64url_encode(one_bit_off(raw))
    non_canonical = b64url_encode(b"\xff" * 31 + b"\x7f")  # y = 2^255 - 1 >= p
    good = {"op": "encrypt", "key": key, "lot": 42, "bidder": "b", "amount": 5}
    bad = [
        good | {"amount": 0},
        good | {"amount": 1.5},
        good | {"amount": MAX_AMOUNT + 1},
        good | {"amount": "5"},
        good | {"lot": 0},
        good | {"lot": "007"},
        good | {"bidder": ""},
        good | {"bidder": "a|b"},
        good | {"bidder": "a" * 201},
        good | {"bidder": "lone \ud800 surrogate"},
        good | {"key": "not base64!"},
        good | {"key": small_order},
        good | {"key": torsion},
        good | {"key": off_curve},
        good | {"key": non_canonical},
        good | {"key": key[:-4]},
    ]
    results = run_js([*bad, good])
    for job, result in zip(bad, results, strict=False):
        assert "error" in result, f"the browser sealed a bid Python would refuse: {job}"
    assert "ok" in results[-1]


LOT = 31
IDS = [3, 5, 8, 13, 21]
IN_BROWSER = {5, 13, 21}
THRESHOLD = 3


def mixed_ceremony(*, wrong_share: tuple[int, int] | None = None) -> tuple[dict[str, Any], dict[int, Any]]:
    """Members 5, 13 and 21 run the browser's code, 3 and 8 Python's; returns the messages and who holds what."""
    python = {m: SoftwareMember(LOT, m) for m in IDS if m not in IN_BROWSER}
    made = js_ok(*({"op": "key", "lot": LOT, "member": m} for m in sorted(IN_BROWSER)))
    browser = dict(zip(sorted(IN_BROWSER), made, strict=True))
    keys = [python[m].key_message() if m in python else browser[m]["message"] for m in IDS]
    for key in keys:
        dkg.check_member_key(LOT, key)  # Python accepts the browser's proofs of possession
    published = [{**k, "index": position + 1} for position, k in enumerate(keys)]
    members = members_from(keys)
    dealings: dict[int, dict[str, Any]] = {}
    for m, sm in python.items():
        bad_for = wrong_share[1] if wrong_share and wrong_share[0] == m else None
        dealings[m] = sm.deal(members, THRESHOLD, wrong_share_for=bad_for)
    base = {"lot": LOT, "members": published, "threshold": THRESHOLD}
    jobs = []
    for m in sorted(browser):
        job = base | {"op": "deal", "member": m, "secret": browser[m]["secret"]}
        if wrong_share and wrong_share[0] == m:
            job["wrong_share_for"] = wrong_share[1]
        jobs.append(job)
    for m, dealing in zip(sorted(browser), js_ok(*jobs), strict=True):
        dealings[m] = dealing
    ordered = [dealings[m] for m in IDS]
    for dealing in ordered:
        dkg.check_dealing(LOT, members, THRESHOLD, dealing)
    acks = {m: sm.acknowledge(members, ordered) for m, sm in python.items()}
    js_acks = js_ok(
        *(
            base | {"op": "ack", "member": m, "secret": browser[m]["secret"], "dealings": ordered}
            for m in sorted(browser)
        )
    )
    acks.update(zip(sorted(browser), js_acks, strict=True))
    for ack in acks.values():
        dkg.check_acknowledgement(LOT, members, ordered, ack)
    sealed = dkg.published_sealed(THRESHOLD, published, ordered, [acks[m] for m in IDS])
    holders: dict[int, Any] = {**python, **browser}
    return sealed, holders


def test_a_ceremony_of_browser_and_python_members_agrees_and_opens_with_any_three() -> None:
    sealed, holders = mixed_ceremony()
    ceremony = dkg.check_ceremony(LOT, sealed)  # the replay's checks pass on the mixed transcript
    key = sealed["public_key"]
    check = {"op": "check", "lot": LOT, "threshold": THRESHOLD, "members": sealed["members"]}
    check |= {"dealings": sealed["dealings"], "acknowledgements": sealed["acknowledgements"], "public_key": key}
    assert js_ok(check) == [key]  # and the browser's

    bids = [("b-js", 500_000_00), ("b-py", 612_345_67)]
    js_ciphertext = js_ok({"op": "encrypt", "key": key, "lot": LOT, "bidder": bids[0][0], "amount": bids[0][1]})[0]
    py_ciphertext = encrypt_bid(b64url_decode(key), LOT, bids[1][0], bids[1][1])
    standing = [
        {"bidder": bidder, "ciphertext": c, "ciphertext_hash": ciphertext_hash(c)}
        for (bidder, _), c in zip(bids, [js_ciphertext, py_ciphertext], strict=True)
    ]
    messages: dict[int, dict[str, Any]] = {}
    for m in IDS:
        holder = holders[m]
        if isinstance(holder, SoftwareMember):
            messages[m] = holder.opening_shares(sealed["dealings"], standing)
        else:
            base = {"op": "shares", "lot": LOT, "members": sealed["members"], "threshold": THRESHOLD, "member": m}
            job = base | {"dealings": sealed["dealings"], "secret": holder["secret"], "standing": standing}
            messages[m] = js_ok(job)[0]
    by_hash = {b["ciphertext_hash"]: ephemeral_of(b["ciphertext"]) for b in standing}
    shares = {m: dkg.check_share_message(ceremony, by_hash, messages[m]) for m in IDS}
    index = {m.member: m.index for m in ceremony.members}
    for quorum in ([3, 5, 8], [13, 21, 5], [3, 8, 21]):
        for bid, (bidder, amount) in zip(standing, bids, strict=True):
            combined = dkg.combine({index[m]: shares[m][bid["ciphertext_hash"]] for m in quorum})
            assert decrypt_bid(combined, b64url_decode(key), LOT, bidder, bid["ciphertext"]) == amount
        job = {"op": "open", "lot": LOT, "members": sealed["members"], "dealings": sealed["dealings"], "key": key}
        opened = js_ok(job | {"standing": standing, "messages": [messages[m] for m in quorum]})[0]
        assert opened == [{"bidder": b, "amount": a} for b, a in bids]
    # Two shares are not enough: the recombined point is not S.
    two = dkg.combine({index[m]: shares[m][standing[0]["ciphertext_hash"]] for m in [3, 5]})
    with pytest.raises(DecryptionFailed):
        decrypt_bid(two, b64url_decode(key), LOT, bids[0][0], standing[0]["ciphertext"])


@pytest.mark.parametrize(
    ("dealer", "victim"), [(8, 13), (21, 3)], ids=["python deals a browser", "browser deals python"]
)
def test_a_bad_share_is_complained_about_by_its_receiver(dealer: int, victim: int) -> None:
    sealed, _ = mixed_ceremony(wrong_share=(dealer, victim))
    complaints = {a["member"]: a["complaints"] for a in sealed["acknowledgements"]}
    assert complaints == {m: ([dealer] if m == victim else []) for m in IDS}
    with pytest.raises(dkg.CeremonyError, match=f"member {victim} complained"):
        dkg.check_ceremony(LOT, sealed)


def test_a_wrong_decryption_share_from_the_browser_is_refused_and_named() -> None:
    sealed, holders = mixed_ceremony()
    ceremony = dkg.check_ceremony(LOT, sealed)
    key = sealed["public_key"]
    ciphertext = encrypt_bid(b64url_decode(key), LOT, "b-1", 1000)
    standing = [{"bidder": "b-1", "ciphertext": ciphertext, "ciphertext_hash": ciphertext_hash(ciphertext)}]
    base = {"op": "shares", "lot": LOT, "members": sealed["members"], "threshold": THRESHOLD, "member": 13}
    job = base | {"dealings": sealed["dealings"], "secret": holders[13]["secret"], "standing": standing}
    wrong = js_ok(job | {"wrong_for": standing[0]["ciphertext_hash"]})[0]
    with pytest.raises(dkg.CeremonyError, match="member 13") as caught:
        dkg.check_share_message(ceremony, {standing[0]["ciphertext_hash"]: ephemeral_of(ciphertext)}, wrong)
    assert caught.value.member == 13
    opening = {"op": "open", "lot": LOT, "members": sealed["members"], "dealings": sealed["dealings"], "key": key}
    python_wrong = holders[3].opening_shares(sealed["dealings"], standing, wrong=True)
    (result,) = run_js([opening | {"standing": standing, "messages": [python_wrong]}])
    assert result.get("member") == 3, result


def test_the_browser_refuses_a_tampered_transcript_and_names_who_is_wrong() -> None:
    sealed, _ = mixed_ceremony()
    check = {"op": "check", "lot": LOT, "threshold": THRESHOLD, "public_key": sealed["public_key"]}
    check |= {k: sealed[k] for k in ("members", "dealings", "acknowledgements")}
    other_point = sealed["members"][0]["public_key"]
    swapped_key = [dict(m) for m in sealed["members"]]
    swapped_key[1]["pok"] = swapped_key[0]["pok"]
    bent_dealing = [dict(d) for d in sealed["dealings"]]
    bent_dealing[3]["commitments"] = [other_point, *bent_dealing[3]["commitments"][1:]]
    forged_ack = [dict(a) for a in sealed["acknowledgements"]]
    forged_ack[4]["sig"] = forged_ack[3]["sig"]
    cases = [
        (check | {"members": swapped_key}, IDS[1]),
        (check | {"dealings": bent_dealing}, IDS[3]),
        (check | {"acknowledgements": forged_ack}, IDS[4]),
        (check | {"public_key": other_point}, None),
        (check | {"lot": LOT + 1}, IDS[0]),  # every proof is bound to its lot
    ]
    results = run_js([job for job, _ in cases])
    for (_, who), result in zip(cases, results, strict=True):
        assert "error" in result, result
        assert result["member"] == who, result
