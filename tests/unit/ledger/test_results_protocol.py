"""The results protocol document built from a chain, its hash, and members' signatures (docs/keys.md 3)."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.bidding.signer import Ed25519Signer
from auction.ledger.verifier import protocol as pr
from auction.ledger.verifier import statements as st
from auction.ledger.verifier.canonical import canonical
from auction.ledger.verifier.entry import ZERO_HASH, Body, body_hash, make_body, parse_body

LOT = 7
TERMS: dict[str, Any] = {
    "deal": "sale",
    "kind": "land_plot",
    "format": "open_ascending",
    "title_en": "Plot",
    "starting_price": 100,
    "bid_step": 10,
    "deposit": 10,
    "applications_close_at": "2026-06-01T06:00:00.000000Z",
    "bidding_opens_at": "2026-06-02T04:00:00.000000Z",
    "bidding_closes_at": "2026-06-02T07:00:00.000000Z",
    "single_participant_rule": "fail",
    "council_decision": "Kenesh decision 4/12",
}


def chain(*entries: tuple[str, dict[str, Any]]) -> list[Body]:
    bodies, prev = [], ZERO_HASH
    for seq, (kind, payload) in enumerate(entries, start=1):
        raw = make_body(
            kind=kind,
            lot=LOT,
            lot_seq=seq,
            prev_body=prev,
            at="2026-06-02T07:00:01.000000Z",
            actor="system",
            payload=payload,
        )
        prev = body_hash(raw)
        bodies.append(parse_body(raw))
    return bodies


def awarded() -> list[Body]:
    return chain(
        ("lot.published", {"version": 1, "municipality": 3, "terms": TERMS, "commission": [11, 12, 13]}),
        ("application.approved", {"bidder": "b-00000000000000aa"}),
        ("application.approved", {"bidder": "b-00000000000000bb"}),
        ("auction.opened", {}),
        ("auction.closed", {}),
        (
            "award.made",
            {
                "winner": "b-00000000000000bb",
                "price": 120,
                "runner_up": "b-00000000000000aa",
                "runner_up_price": 110,
                "bid_count": 3,
                "reason": "highest bid",
            },
        ),
    )


def test_the_document_names_the_winner_price_council_decision_and_award_entry() -> None:
    bodies = awarded()
    doc = pr.build_protocol(bodies, "Nurlan Beishenov")
    assert doc["council_decision"] == "Kenesh decision 4/12"
    assert doc["result"]["winner_name"] == "Nurlan Beishenov"
    assert doc["result"]["price"] == 120
    assert doc["participants"] == {"count": 2, "pseudonyms": ["b-00000000000000aa", "b-00000000000000bb"]}
    assert doc["award_entry"]["body_hash"] == bodies[-1].hash
    assert doc["commission"] == {"members": [11, 12, 13], "required": 2}
    assert doc["terms"]["indexation_percent"] is None  # absent from these terms: null, not missing


def test_an_awarded_protocol_needs_the_winners_name() -> None:
    with pytest.raises(pr.ProtocolError, match="name"):
        pr.build_protocol(awarded(), " ")


def test_check_issued_accepts_the_rebuilt_document_and_refuses_edits() -> None:
    bodies = awarded()
    doc = pr.build_protocol(bodies, "Nurlan Beishenov")
    payload = {"protocol": doc, "protocol_hash": pr.protocol_hash(doc)}
    assert pr.check_issued(bodies, payload) == doc
    with pytest.raises(pr.ProtocolError) as bad_hash:
        pr.check_issued(bodies, {**payload, "protocol_hash": "00" * 32})
    assert bad_hash.value.code == "protocol.hash_mismatch"
    edited = {**doc, "council_decision": "another decision"}
    with pytest.raises(pr.ProtocolError) as mismatch:
        pr.check_issued(bodies, {"protocol": edited, "protocol_hash": pr.protocol_hash(edited)})
    assert "council_decision" in mismatch.value.reason


def test_a_members_ed25519_signature_verifies_and_a_forged_one_does_not() -> None:
    signer = Ed25519Signer(Ed25519PrivateKey.generate())
    digest = "ab" * 32
    sig = st.b64u(signer.private_key.sign(canonical(pr.signature_statement(LOT, 11, digest))))
    signed = {"key_id": st.key_id(signer.key), "sig": sig}
    assert pr.check_signature(LOT, 11, digest, signer.key, signed) == signer.key
    with pytest.raises(pr.ProtocolError, match="does not verify"):
        pr.check_signature(LOT, 12, digest, signer.key, signed)  # signed as member 11, not 12
    other = Ed25519Signer(Ed25519PrivateKey.generate())
    with pytest.raises(pr.ProtocolError, match="key_id"):
        pr.check_signature(LOT, 11, digest, other.key, signed)


def test_majority_and_commission_shape() -> None:
    assert [pr.required_signatures(n) for n in (2, 3, 4, 5)] == [2, 2, 3, 3]
    assert pr.complete([11, 12, 13], [11, 13])
    assert not pr.complete([11, 12, 13], [11, 99])
    for bad in ([11], [12, 11], [11, 11], "11,12"):
        with pytest.raises(pr.ProtocolError):
            pr.check_commission(bad)
