"""The platform's health as a monitor sees it: a few primary-key and aggregate reads, judged by a pure rule.

Every host answers from the one database, so any host's answer is the deployment's; the host's own part is its
ledger verifier key, which a monitor compares across hosts to catch a host signing with other keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.bidding.models import SchedulerPulse
from auction.bidding.scheduler import PULSE_ID
from auction.clock import as_utc
from auction.ledger.integrator import TREE_STATE_ID
from auction.ledger.models import PendingEntry, SignedCheckpoint, TreeState, WitnessHealth
from auction.ledger.witnessed_time import HEALTH_ID

# The scheduler pulses every tick (sub-second); a minute without one means no process is running it.
SCHEDULER_STALE_SECONDS = 60


@dataclass(frozen=True, slots=True)
class HealthReading:
    """What the database says, as read at ``now``."""

    now: datetime
    pending_entries: int
    oldest_pending_admitted_at: datetime | None
    tree_size: int
    last_checkpoint_signed_at: datetime | None
    unwitnessed_since: datetime | None
    witnessed_until: datetime | None
    scheduler_last_alive: datetime | None


@dataclass(frozen=True, slots=True)
class HealthLimits:
    """The deployment's own promises the reading is judged against."""

    max_merge_delay_seconds: int
    witness_grace_seconds: int | None  # None: no witnesses are configured


@dataclass(frozen=True, slots=True)
class HealthProblem:
    code: str
    detail: str


def assess(reading: HealthReading, limits: HealthLimits) -> list[HealthProblem]:
    """Each broken promise, named; an empty list is a healthy platform."""
    problems: list[HealthProblem] = []
    if reading.oldest_pending_admitted_at is not None:
        waiting = reading.now - as_utc(reading.oldest_pending_admitted_at)
        if waiting > timedelta(seconds=limits.max_merge_delay_seconds):
            problems.append(
                HealthProblem(
                    "ledger.integration_behind",
                    f"{reading.pending_entries} entries wait; the oldest for {int(waiting.total_seconds())} s, "
                    f"past the promised {limits.max_merge_delay_seconds} s",
                )
            )
    if limits.witness_grace_seconds is not None and reading.unwitnessed_since is not None:
        unwitnessed = reading.now - as_utc(reading.unwitnessed_since)
        if unwitnessed > timedelta(seconds=limits.witness_grace_seconds):
            problems.append(
                HealthProblem(
                    "witness.quorum_missing",
                    f"no witness quorum for {int(unwitnessed.total_seconds())} s: binding actions are refused",
                )
            )
    if reading.scheduler_last_alive is None:
        problems.append(HealthProblem("scheduler.never_ran", "no process has run the scheduler yet"))
    else:
        silent = reading.now - as_utc(reading.scheduler_last_alive)
        if silent > timedelta(seconds=SCHEDULER_STALE_SECONDS):
            problems.append(
                HealthProblem(
                    "scheduler.stalled",
                    f"no scheduler pulse for {int(silent.total_seconds())} s: auctions do not open or close",
                )
            )
    return problems


async def read_health(session: AsyncSession, now: datetime) -> HealthReading:
    pending, oldest = (await session.execute(select(func.count(), func.min(PendingEntry.admitted_at)))).one()
    tree = await session.get(TreeState, TREE_STATE_ID, populate_existing=True)
    last_checkpoint = await session.scalar(select(func.max(SignedCheckpoint.signed_at)))
    witnesses = await session.get(WitnessHealth, HEALTH_ID, populate_existing=True)
    pulse = await session.get(SchedulerPulse, PULSE_ID, populate_existing=True)
    return HealthReading(
        now=now,
        pending_entries=int(pending),
        oldest_pending_admitted_at=oldest,
        tree_size=0 if tree is None else tree.size,
        last_checkpoint_signed_at=last_checkpoint,
        unwitnessed_since=None if witnesses is None else witnesses.unwitnessed_since,
        witnessed_until=None if witnesses is None else witnesses.witnessed_until,
        scheduler_last_alive=None if pulse is None else pulse.last_alive,
    )
