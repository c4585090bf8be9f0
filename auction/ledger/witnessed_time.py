"""The platform's side of witnessed time (docs/witnesses.md §5): the binding-action gate, and the witnesses' clock
read from the rows the Cosigner keeps (`ledger_witnessed`, `ledger_witness_health`). This module only reads them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.clock import as_utc
from auction.errors import Unavailable
from auction.ledger.models import WitnessedCheckpoint, WitnessHealth
from auction.ledger.verifier.replay import BIDDER_KINDS
from auction.ledger.verifier.witnessing import WitnessClock
from auction.ledger.witness_config import WitnessConfig

HEALTH_ID = 1
# What a refused bidder is told to wait: witnesses cosign every few seconds once reachable again.
RETRY_AFTER_SECONDS = 60
# Every action a bidder signs whose moment matters (adding a key to a lot does not depend on the time).
BINDING_KINDS = BIDDER_KINDS - {"bidder.key.added"}


async def witness_health(session: AsyncSession) -> WitnessHealth | None:
    """The single health row (a primary-key read), fresh from the database."""
    return await session.get(WitnessHealth, HEALTH_ID, populate_existing=True)


def unwitnessed_too_long(health: WitnessHealth | None, now: datetime, grace_seconds: int) -> bool:
    """A checkpoint older than the grace still lacks a quorum: the platform counts as down."""
    if health is None or health.unwitnessed_since is None:
        return False
    return now - as_utc(health.unwitnessed_since) > timedelta(seconds=grace_seconds)


def clock_set_back(health: WitnessHealth | None, now: datetime, grace_seconds: int) -> bool:
    """The server's clock is behind the newest quorum time by more than the grace."""
    if health is None or health.witnessed_until is None:
        return False
    return as_utc(health.witnessed_until) - now > timedelta(seconds=grace_seconds)


async def refuse_unless_witnessed(session: AsyncSession, now: datetime, witnesses: WitnessConfig | None) -> None:
    """The gate every binding action passes: refused (503, Retry-After) while time cannot be witnessed."""
    if witnesses is None or not witnesses.enabled:
        return
    health = await witness_health(session)
    if unwitnessed_too_long(health, now, witnesses.grace_seconds):
        raise Unavailable("ledger.unwitnessed", retry_after=RETRY_AFTER_SECONDS)
    if clock_set_back(health, now, witnesses.grace_seconds):
        raise Unavailable("ledger.clock_behind", retry_after=RETRY_AFTER_SECONDS)


async def witness_clock(session: AsyncSession, above_index: int = -1) -> WitnessClock:
    """The witnesses' clock for entries after `above_index`, from the quorum times the Cosigner stored."""
    rows = await session.execute(
        select(WitnessedCheckpoint.size, WitnessedCheckpoint.witnessed_at).where(WitnessedCheckpoint.size > above_index)
    )
    return WitnessClock((size, int(as_utc(when).timestamp())) for size, when in rows)
