"""The replay's second reading of a checked leaf gives exactly what `parse_leaf` gives, on and off its fast shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auction.ledger.verifier.entry import ZERO_HASH, make_body, make_leaf, parse_leaf
from auction.ledger.verifier.scan import reread_leaf
from tests.unit.ledger.factory import honest_log

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def leaf_with(payload: dict[str, object], *, actor: str = "system", lot: int | None = 7) -> bytes:
    body = make_body(kind="lot.note", lot=lot, lot_seq=1, prev_body=ZERO_HASH, at=AT, actor=actor, payload=payload)
    return make_leaf(12, "ab" * 32, body, AT)


def test_every_leaf_of_an_honest_log_reads_the_same() -> None:
    log = honest_log(60, lots=4)
    for raw in log.leaves:
        assert reread_leaf(raw) == parse_leaf(raw)


@pytest.mark.parametrize(
    "raw",
    [
        leaf_with({"amount": 1, "title": "Нежилое помещение"}),  # non-ASCII text
        leaf_with({"ключ": "значение", "a": [1, {"b": None}]}),  # non-ASCII keys, nesting
        leaf_with({"big": 2**53 - 1, "small": -(2**53) + 1}),  # the largest safe integers stay on the fast shape
        leaf_with({}, actor='quote " and \\ backslash'),  # an escaped actor: parse_leaf's own path
        leaf_with({"text": 'a "quoted" \\ line\n'}, lot=None),  # escapes in the payload, the platform chain
    ],
)
def test_unusual_leaves_read_the_same(raw: bytes) -> None:
    assert reread_leaf(raw) == parse_leaf(raw)
