"""The entry contract: body and leaf bytes, hashes, and the strict parser."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from auction.ledger.verifier.canonical import canonical
from auction.ledger.verifier.entry import (
    ZERO_HASH,
    LedgerFormatError,
    body_hash,
    leaf_tail,
    make_body,
    make_leaf,
    parse_body,
    parse_leaf,
)
from auction.ledger.verifier.merkle import hash_leaf

AT = datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
INTEGRATED = "2026-03-01T09:00:01.500000Z"


def _leaf(body: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"v": 1, "index": 1, "integrated_at": INTEGRATED, "prev_leaf": "1" * 64, "body": body}
    fields.update(overrides)
    return fields


def _body(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "v": 1,
        "kind": "bid.sealed",
        "lot": 7,
        "lot_seq": 1,
        "prev_body": ZERO_HASH,
        "at": "2026-03-01T09:00:00.123456Z",
        "actor": "b-00000000000000ff",
        "payload": {"ciphertext": "AQID", "round": 1},
    }
    fields.update(overrides)
    return fields


def test_make_body_is_canonical_json_of_the_contract() -> None:
    body = make_body(
        kind="bid.sealed",
        lot=7,
        lot_seq=1,
        prev_body=ZERO_HASH,
        at=AT,
        actor="b-00000000000000ff",
        payload={"round": 1, "ciphertext": "AQID"},
    )
    assert body == canonical(_body())
    assert body.startswith(b'{"actor":"b-00000000000000ff","at":"2026-03-01T09:00:00.123456Z","kind":')
    assert body_hash(body) == hashlib.sha256(body).hexdigest()
    parsed = parse_body(body)
    assert (parsed.kind, parsed.lot, parsed.lot_seq, parsed.prev_body) == ("bid.sealed", 7, 1, ZERO_HASH)
    assert parsed.at_datetime == AT
    assert parsed.hash == body_hash(body)
    assert parsed.raw == body


def test_make_leaf_nests_the_body_bytes() -> None:
    body = canonical(_body())
    leaf = make_leaf(0, ZERO_HASH, body, INTEGRATED)
    assert leaf == canonical({"v": 1, "index": 0, "integrated_at": INTEGRATED, "prev_leaf": ZERO_HASH, "body": _body()})
    assert leaf == b'{"body":' + body + leaf_tail(0, INTEGRATED, ZERO_HASH)
    assert leaf.endswith(
        b',"index":0,"integrated_at":"2026-03-01T09:00:01.500000Z","prev_leaf":"' + b"0" * 64 + b'","v":1}'
    )
    assert hash_leaf(leaf) == hashlib.sha256(b"\x00" + leaf).digest()
    later = datetime(2026, 3, 1, 9, 0, 2, tzinfo=UTC)
    second = make_leaf(1, hash_leaf(leaf).hex(), canonical(_body(lot_seq=2, prev_body=body_hash(body))), later)
    parsed = parse_leaf(second)
    assert parsed.index == 1
    assert parsed.integrated_at == "2026-03-01T09:00:02.000000Z"
    assert parsed.integrated_at_datetime == later
    assert parsed.prev_leaf == hash_leaf(leaf).hex()
    assert parsed.body.prev_body == body_hash(body)
    assert parsed.body.raw == canonical(_body(lot_seq=2, prev_body=body_hash(body)))
    assert parsed.hash == hash_leaf(second)


def test_platform_chain_bodies_have_a_null_lot() -> None:
    body = make_body(kind="key.rotated", lot=None, lot_seq=1, prev_body=ZERO_HASH, at=AT, actor="system", payload={})
    assert parse_body(body).lot is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"v": 2}, "body v must be 1"),
        ({"v": True}, "body v must be 1"),
        ({"kind": ""}, "body kind"),
        ({"kind": "Bid Sealed"}, "body kind"),
        ({"lot": 0}, "body lot"),
        ({"lot": "7"}, "body lot"),
        ({"lot_seq": 0}, "body lot_seq"),
        ({"lot_seq": True}, "body lot_seq"),
        ({"prev_body": "A" * 64}, "body prev_body must be 64 lowercase hex"),
        ({"prev_body": "0" * 63}, "body prev_body must be 64 lowercase hex"),
        ({"lot_seq": 1, "prev_body": "1" * 64}, "must be 64 zeros when lot_seq is 1"),
        ({"at": "2026-03-01T09:00:00Z"}, "body at"),
        ({"actor": ""}, "body actor"),
        ({"payload": []}, "body payload must be a JSON object"),
    ],
)
def test_body_field_rules(overrides: dict[str, Any], reason: str) -> None:
    raw = canonical(_body(**overrides))
    with pytest.raises(LedgerFormatError, match=reason) as caught:
        parse_body(raw)
    assert reason in caught.value.reason


def test_body_field_set_is_exact() -> None:
    extra = _body(note="x")
    with pytest.raises(LedgerFormatError, match="unexpected \\['note'\\]"):
        parse_body(canonical(extra))
    missing = _body()
    del missing["actor"]
    with pytest.raises(LedgerFormatError, match="missing \\['actor'\\]"):
        parse_body(canonical(missing))


def test_floats_are_refused_even_when_rfc8785_canonical() -> None:
    raw = canonical(_body()).replace(b'"round":1', b'"round":1.5')
    with pytest.raises(LedgerFormatError, match="floats are not allowed"):
        parse_body(raw)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda raw: raw.replace(b'"round":1', b'"round":1.00'),
        lambda raw: raw.replace(b",", b", ", 1),
        lambda raw: json.dumps(json.loads(raw)).encode(),
        lambda raw: raw + b"\n",
    ],
)
def test_non_canonical_bytes_are_refused(mutate: Any) -> None:
    with pytest.raises(LedgerFormatError, match="not canonical"):
        parse_body(mutate(canonical(_body())))


def test_leaf_rules() -> None:
    body = _body()
    assert parse_leaf(canonical(_leaf(body))).integrated_at == INTEGRATED
    with pytest.raises(LedgerFormatError, match="64 zeros at index 0"):
        parse_leaf(canonical(_leaf(body, index=0)))
    with pytest.raises(LedgerFormatError, match="leaf index"):
        parse_leaf(canonical(_leaf(body, index=-1)))
    with pytest.raises(LedgerFormatError, match="leaf fields wrong"):
        parse_leaf(canonical({**_leaf(body), "x": 1}))
    without = _leaf(body)
    del without["integrated_at"]
    with pytest.raises(LedgerFormatError, match="missing \\['integrated_at'\\]"):
        parse_leaf(canonical(without))
    with pytest.raises(LedgerFormatError, match="body lot_seq"):
        parse_leaf(canonical(_leaf(_body(lot_seq=0))))
    with pytest.raises(LedgerFormatError, match="not valid UTF-8 JSON"):
        parse_leaf(b"\xff")


@pytest.mark.parametrize(
    "stamp",
    ["2026-03-01T09:00:01Z", "2026-02-30T09:00:00.000000Z", "2026-03-01 09:00:01.500000Z", 1772355601, None],
)
def test_leaf_integrated_at_must_be_a_time_string(stamp: object) -> None:
    with pytest.raises(LedgerFormatError, match="leaf integrated_at must be a time string"):
        parse_leaf(canonical(_leaf(_body(), integrated_at=stamp)))


def test_body_at_must_not_be_after_the_leaf_integrated_at() -> None:
    at = "2026-03-01T09:00:00.123456Z"
    assert parse_leaf(canonical(_leaf(_body(at=at), integrated_at=at))).body.at == at  # equal is fine
    early = "2026-03-01T09:00:00.123455Z"
    reason = f"body at {at} is after the leaf's integrated_at {early}"
    with pytest.raises(LedgerFormatError) as caught:
        parse_leaf(canonical(_leaf(_body(at=at), integrated_at=early)))
    assert caught.value.reason == reason
    with pytest.raises(LedgerFormatError) as caught:
        make_leaf(0, ZERO_HASH, canonical(_body(at=at)), early)
    assert caught.value.reason == reason


def test_make_functions_validate() -> None:
    with pytest.raises(LedgerFormatError, match="body lot_seq"):
        make_body(kind="x", lot=None, lot_seq=0, prev_body=ZERO_HASH, at=AT, actor="a", payload={})
    with pytest.raises(LedgerFormatError, match="not canonical"):
        make_leaf(0, ZERO_HASH, b'{"v": 1}', INTEGRATED)
    with pytest.raises(LedgerFormatError, match="64 zeros at index 0"):
        make_leaf(0, "1" * 64, canonical(_body()), INTEGRATED)
    with pytest.raises(LedgerFormatError, match="prev_leaf"):
        make_leaf(3, "xyz", canonical(_body()), INTEGRATED)
    with pytest.raises(LedgerFormatError, match="leaf integrated_at must be a time string"):
        make_leaf(3, "1" * 64, canonical(_body()), "2026-03-01T09:00:01.5Z")
    with pytest.raises(ValueError, match="timezone-aware"):
        make_leaf(3, "1" * 64, canonical(_body()), datetime(2026, 3, 2))  # noqa: DTZ001 - naive on purpose
