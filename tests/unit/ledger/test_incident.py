"""The rule that tells a recorded outage from tampering (auction.ledger.verifier.incident), without a database."""

from __future__ import annotations

from typing import Any

import pytest

from auction.ledger.verifier.incident import (
    DELAYED,
    Incident,
    covering_incident,
    incident_problem,
    parse_incident,
)

T0 = "2026-06-01T06:00:00.000000Z"  # the oldest late entry's admission
T1 = "2026-06-01T06:02:10.000000Z"  # the batch's integration, after the database came back


def payload(**changes: Any) -> dict[str, Any]:
    return {"from": T0, "to": T1, "reason": DELAYED, "first": 10, "last": 14, **changes}


def test_a_well_formed_incident_ends_its_batch() -> None:
    assert incident_problem(15, T1, "system", payload()) is None
    assert parse_incident(15, T1, "system", payload()) == Incident(15, T1, T0, T1, DELAYED, 10, 14)


@pytest.mark.parametrize(
    ("index", "integrated_at", "actor", "changes", "problem"),
    [
        (15, T1, "officer", {}, "actor 'officer' is not system"),
        (15, T1, "system", {"from": "yesterday"}, "from must be a ledger time"),
        (15, T1, "system", {"reason": ""}, "reason must be a text"),
        (15, T1, "system", {"first": "10"}, "first and last must be integers"),
        # An excuse added later names an earlier batch: its range does not end right before it.
        (40, T1, "system", {}, "must end right before the incident itself (index 40)"),
        (15, T1, "system", {"first": 15}, "must end right before"),
        # Its `to` is its own integration time, which it shares with the entries it covers.
        (15, "2026-06-01T07:00:00.000000Z", "system", {}, "must be the incident's integrated_at"),
        (15, T1, "system", {"from": "2026-06-01T06:03:00.000000Z"}, "must not be after to"),
    ],
)
def test_a_malformed_incident_is_named(
    index: int, integrated_at: str, actor: str, changes: dict[str, Any], problem: str
) -> None:
    found = incident_problem(index, integrated_at, actor, payload(**changes))
    assert found is not None
    assert problem in found
    assert parse_incident(index, integrated_at, actor, payload(**changes)) is None


def test_an_incident_covers_only_entries_integrated_with_it() -> None:
    incident = Incident(15, T1, T0, T1, DELAYED, 10, 14)
    late_at = "2026-06-01T06:00:30.000000Z"
    assert covering_incident([incident], 12, late_at, T1, [10, 16]) is incident
    assert covering_incident([incident], 9, late_at, T1, [10, 16]) is None  # before its range
    assert covering_incident([incident], 15, late_at, T1, [10, 16]) is None  # itself, or anything after
    assert covering_incident([incident], 12, late_at, "2026-06-01T06:02:11.000000Z", []) is None  # another batch
    assert covering_incident([incident], 12, "2026-06-01T05:59:59.000000Z", T1, []) is None  # admitted before `from`
    assert covering_incident([], 12, late_at, T1, [10, 16]) is None
    # A checkpoint of size 13 held entries 10..12 without the incident: the excuse came afterwards.
    assert covering_incident([incident], 12, late_at, T1, [10, 13, 16]) is None
    assert covering_incident([incident], 12, late_at, T1, [15]) is None  # held all of the range, not the incident
