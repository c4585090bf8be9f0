"""The health rule on its own: which broken promise a reading names."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from auction.operations.health import HealthLimits, HealthReading, assess

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
HEALTHY = HealthReading(
    now=NOW,
    pending_entries=0,
    oldest_pending_admitted_at=None,
    tree_size=10,
    last_checkpoint_signed_at=NOW,
    unwitnessed_since=None,
    witnessed_until=NOW,
    scheduler_last_alive=NOW - timedelta(seconds=1),
)
WITNESSED = HealthLimits(max_merge_delay_seconds=60, witness_grace_seconds=10)


def codes(reading: HealthReading, limits: HealthLimits = WITNESSED) -> list[str]:
    return [problem.code for problem in assess(reading, limits)]


def test_a_healthy_reading_names_nothing() -> None:
    assert codes(HEALTHY) == []


def test_a_missing_quorum_counts_only_past_the_grace_and_only_with_witnesses() -> None:
    within = replace(HEALTHY, unwitnessed_since=NOW - timedelta(seconds=10))
    past = replace(HEALTHY, unwitnessed_since=NOW - timedelta(seconds=11))
    assert codes(within) == []
    assert codes(past) == ["witness.quorum_missing"]
    assert codes(past, replace(WITNESSED, witness_grace_seconds=None)) == []


def test_the_backlog_counts_from_its_oldest_entry() -> None:
    at_limit = replace(HEALTHY, pending_entries=3, oldest_pending_admitted_at=NOW - timedelta(seconds=60))
    past = replace(at_limit, oldest_pending_admitted_at=NOW - timedelta(seconds=61))
    assert codes(at_limit) == []
    assert codes(past) == ["ledger.integration_behind"]
    assert "3 entries wait" in assess(past, WITNESSED)[0].detail


def test_every_problem_at_once_is_named_once() -> None:
    broken = replace(
        HEALTHY,
        pending_entries=1,
        oldest_pending_admitted_at=NOW - timedelta(hours=1),
        unwitnessed_since=NOW - timedelta(hours=1),
        scheduler_last_alive=NOW - timedelta(hours=1),
    )
    assert codes(broken) == ["ledger.integration_behind", "witness.quorum_missing", "scheduler.stalled"]
