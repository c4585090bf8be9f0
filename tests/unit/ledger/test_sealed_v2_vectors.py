"""tests/data/keys/sealed-v2.json: fixed inputs and the outputs docs/keys.md section 2 gives for them.

The browser's implementation checks the same file, so what one side encrypts, signs or proves the other reproduces
byte for byte. Regenerate after a deliberate format change with
``python -m tests.unit.ledger.test_sealed_v2_vectors`` and say so in the commit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from auction.bidding.commission_member import SoftwareMember, members_from
from auction.ledger.verifier import dkg, group
from auction.ledger.verifier.sealed import b64url_decode, b64url_encode, decrypt_bid, encrypt_bid, ephemeral_of

VECTORS = Path(__file__).resolve().parents[2] / "data" / "keys" / "sealed-v2.json"
LOT = 7


def _scalar(seed: str) -> int:
    """A fixed scalar from a label, so the file's inputs are reproducible and obviously arbitrary."""
    return int.from_bytes(hashlib.sha512(seed.encode()).digest(), "little") % group.L


def _s(value: int) -> str:
    return b64url_encode(group.encode_scalar(value))


def build_vectors() -> dict[str, Any]:
    hs_parts = [b"", b"abc", bytes(range(40))]
    secret, nonce = _scalar("schnorr secret"), _scalar("schnorr nonce")
    message = b"achyk test message"
    dleq_secret, dleq_nonce = _scalar("dleq secret"), _scalar("dleq nonce")
    dleq_r = group.base_mul(_scalar("dleq R"))
    d, proof = group.dleq_prove(dleq_secret, dleq_r, nonce=dleq_nonce)
    enc_secret = _scalar("share member secret")
    enc_public = group.base_mul(enc_secret)
    enc_value, enc_r = _scalar("share value"), _scalar("share r")

    ids = [11, 12, 13]
    threshold = 2
    software = [SoftwareMember(LOT, m, _scalar(f"member {m} secret")) for m in ids]
    key_messages = [sm.key_message(nonce=_scalar(f"member {sm.member} pok nonce")) for sm in software]
    members = members_from(key_messages)
    dealings = [
        sm.deal(
            members,
            threshold,
            coefficients=[_scalar(f"dealer {sm.member} a{t}") for t in range(threshold)],
            ephemerals={m: _scalar(f"dealer {sm.member} r for {m}") for m in ids},
            nonce=_scalar(f"dealer {sm.member} sig nonce"),
        )
        for sm in software
    ]
    acks = [sm.acknowledge(members, dealings, nonce=_scalar(f"member {sm.member} ack nonce")) for sm in software]
    published_members = [{**k, "index": position + 1} for position, k in enumerate(key_messages)]
    sealed = dkg.published_sealed(threshold, published_members, dealings, acks)
    joint = b64url_decode(sealed["public_key"])

    bidder, amount = "b-vector", 123_456_789
    ciphertext = encrypt_bid(joint, LOT, bidder, amount, r=_scalar("bid r"), iv=bytes(range(12)))
    digest = hashlib.sha256(b64url_decode(ciphertext)).hexdigest()
    standing = [{"ciphertext_hash": digest, "ciphertext": ciphertext}]
    released = [software[0], software[2]]
    share_messages = [
        sm.opening_shares(dealings, standing, nonce=_scalar(f"member {sm.member} share nonce")) for sm in released
    ]
    by_index = {
        next(m.index for m in members if m.member == msg["member"]): b64url_decode(msg["shares"][0]["share"])
        for msg in share_messages
    }
    combined = dkg.combine(by_index)
    return {
        "about": "docs/keys.md section 2; scalars are b64u(32-byte little-endian), points b64u(32-byte RFC 8032)",
        "hs": {
            "domain": "achyk-test/v1",
            "parts_hex": [p.hex() for p in hs_parts],
            "result": _s(group.hs("achyk-test/v1", *hs_parts)),
        },
        "schnorr": {
            "secret": _s(secret),
            "nonce": _s(nonce),
            "public_key": b64url_encode(group.base_mul(secret)),
            "message_hex": message.hex(),
            "sig": b64url_encode(group.schnorr_sign(secret, message, nonce=nonce)),
        },
        "dleq": {
            "secret": _s(dleq_secret),
            "nonce": _s(dleq_nonce),
            "Y": b64url_encode(group.base_mul(dleq_secret)),
            "R": b64url_encode(dleq_r),
            "D": b64url_encode(d),
            "proof": b64url_encode(proof),
        },
        "share_encryption": {
            "lot": LOT,
            "dealer": 11,
            "member": 12,
            "member_secret": _s(enc_secret),
            "member_public_key": b64url_encode(enc_public),
            "share": _s(enc_value),
            "r": _s(enc_r),
            "encrypted": b64url_encode(dkg.encrypt_share(LOT, 11, 12, enc_public, enc_value, r=enc_r)),
        },
        "ceremony": {
            "lot": LOT,
            "threshold": threshold,
            "members": [
                {
                    "member": sm.member,
                    "secret": _s(sm.secret),
                    "pok_nonce": _s(_scalar(f"member {sm.member} pok nonce")),
                }
                for sm in software
            ],
            "dealer_inputs": [
                {
                    "dealer": m,
                    "coefficients": [_s(_scalar(f"dealer {m} a{t}")) for t in range(threshold)],
                    "ephemerals": {str(j): _s(_scalar(f"dealer {m} r for {j}")) for j in ids},
                    "sig_nonce": _s(_scalar(f"dealer {m} sig nonce")),
                    "ack_nonce": _s(_scalar(f"member {m} ack nonce")),
                }
                for m in ids
            ],
            "sealed": sealed,
            "secret_shares": {str(sm.member): _s(sm.secret_share(dealings)) for sm in software},
        },
        "bid": {
            "lot": LOT,
            "bidder": bidder,
            "amount": amount,
            "r": _s(_scalar("bid r")),
            "iv_hex": bytes(range(12)).hex(),
            "ciphertext": ciphertext,
            "ciphertext_hash": digest,
        },
        "opening": {
            "share_nonces": {str(sm.member): _s(_scalar(f"member {sm.member} share nonce")) for sm in released},
            "sealed_shares": share_messages,
            "released_by": [sm.member for sm in released],
            "lagrange": {str(i): _s(group.lagrange_at_zero(sorted(by_index), i)) for i in sorted(by_index)},
            "combined": b64url_encode(combined),
            "amount": amount,
        },
    }


def test_python_reproduces_the_vector_file() -> None:
    assert build_vectors() == json.loads(VECTORS.read_text())


def test_the_vectors_verify_independently_of_how_they_were_made() -> None:
    v = json.loads(VECTORS.read_text())
    s = v["schnorr"]
    assert group.schnorr_verify(
        b64url_decode(s["public_key"]), bytes.fromhex(s["message_hex"]), b64url_decode(s["sig"])
    )
    assert not group.schnorr_verify(b64url_decode(s["public_key"]), b"other", b64url_decode(s["sig"]))
    d = v["dleq"]
    args = [b64url_decode(d[name]) for name in ("Y", "R", "D", "proof")]
    assert group.dleq_verify(*args)
    assert not group.dleq_verify(args[0], args[1], group.add(args[2], group.base_mul(1)), args[3])
    e = v["share_encryption"]
    secret = group.decode_scalar(b64url_decode(e["member_secret"]))
    assert dkg.decrypt_share(LOT, 11, 12, secret, b64url_decode(e["encrypted"])) == group.decode_scalar(
        b64url_decode(e["share"])
    )
    ceremony = dkg.check_ceremony(LOT, v["ceremony"]["sealed"])
    bid = v["bid"]
    standing = {bid["ciphertext_hash"]: ephemeral_of(bid["ciphertext"])}
    shares = {}
    for message in v["opening"]["sealed_shares"]:
        member = ceremony.member(message["member"])
        assert member is not None
        shares[member.index] = dkg.check_share_message(ceremony, standing, message)[bid["ciphertext_hash"]]
    combined = dkg.combine(shares)
    assert b64url_encode(combined) == v["opening"]["combined"]
    assert decrypt_bid(combined, ceremony.public_key, LOT, bid["bidder"], bid["ciphertext"]) == bid["amount"]
    # The joint secret, which nobody holds, is Σ a_i0; the vectors know it, so the KEM can be checked directly.
    joint_secret = sum(group.decode_scalar(b64url_decode(d["coefficients"][0])) for d in v["ceremony"]["dealer_inputs"])
    assert group.base_mul(joint_secret) == ceremony.public_key
    assert group.mul(joint_secret, standing[bid["ciphertext_hash"]]) == combined


if __name__ == "__main__":
    VECTORS.write_text(json.dumps(build_vectors(), indent=2, sort_keys=True) + "\n")
