"""inspection.key and inspection.linked on the platform chain: the replay accepts exactly their fields, a use must
name the key in force, and a new key must name the one it replaces."""

from __future__ import annotations

from typing import Any

import pytest

from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.replay import replay
from tests.unit.ledger.factory import Log

FIRST, SECOND = "a" * 64, "b" * 64


def linked(**changes: Any) -> dict[str, Any]:
    payload = {
        "scope": "tokmok",
        "purpose": "Case 2026/17: land sales",
        "key_fingerprint": FIRST,
        "lots": 2,
        "links": 3,
        "result_hash": "c" * 64,
    }
    return {**payload, **changes}


def findings(*entries: tuple[str, dict[str, Any], str]) -> list[str]:
    log = Log()
    for kind, payload, actor in entries:
        log.add(kind, None, payload, actor=actor)
    log.checkpoint()
    return [f.reason for f in replay(parse_leaf(leaf) for leaf in log.leaves)]


PINNED = ("inspection.key", {"fingerprint": FIRST, "previous": None}, "admin:cli")


def test_the_replay_accepts_a_key_its_rotation_and_uses_under_the_key_in_force() -> None:
    assert (
        findings(
            PINNED,
            ("inspection.linked", linked(), "inspector:4"),
            ("inspection.key", {"fingerprint": SECOND, "previous": FIRST}, "admin:1"),
            ("inspection.linked", linked(scope=None, key_fingerprint=SECOND, lots=0, links=0), "admin:1"),
        )
        == []
    )


LINKED, KEY = "inspection.linked", "inspection.key"
MISSING_PURPOSE = {k: v for k, v in linked().items() if k != "purpose"}


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ((LINKED, {**linked(), "user_ids": [1]}, "inspector:4"), "payload has unknown fields ['user_ids']"),
        ((LINKED, MISSING_PURPOSE, "inspector:4"), "payload misses fields ['purpose']"),
        ((LINKED, linked(), "bidder:b-1"), "actor 'bidder:b-1' is not an inspector or administrator"),
        ((LINKED, linked(purpose="short"), "inspector:4"), "purpose must be a string of 10 to 300"),
        # As docs/ledger-entries.md counts it: the purpose as written, white space included (the platform strips it).
        ((LINKED, linked(purpose=" " * 5 + "x" * 300), "inspector:4"), "purpose must be a string of 10 to 300"),
        ((LINKED, linked(lots="2"), "inspector:4"), "lots and links must be whole numbers"),
        ((LINKED, linked(result_hash="C" * 64), "inspector:4"), "result_hash must be 64 lowercase"),
        ((LINKED, linked(key_fingerprint=SECOND), "inspector:4"), "key_fingerprint is not the inspection key"),
        ((KEY, {"fingerprint": SECOND, "previous": None}, "admin:cli"), "previous must be the fingerprint in force"),
        ((KEY, {"fingerprint": SECOND}, "admin:cli"), "payload misses fields ['previous']"),
        ((KEY, {"fingerprint": SECOND, "previous": FIRST}, "inspector:4"), "actor 'inspector:4' is not an admin"),
    ],
)
def test_a_malformed_or_out_of_order_inspection_entry_is_a_finding(
    entry: tuple[str, dict[str, Any], str], reason: str
) -> None:
    found = findings(PINNED, entry)
    assert len(found) == 1
    assert found[0].startswith(f"platform chain, {entry[0]}: {reason}"), found[0]


def test_a_use_before_any_key_is_pinned_is_a_finding() -> None:
    found = findings(("inspection.linked", linked(), "inspector:4"))
    assert found == ["platform chain, inspection.linked: key_fingerprint is not the inspection key in force (None)"]
