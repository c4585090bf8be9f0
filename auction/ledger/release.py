"""Logging the scripts a release serves: one `release.scripts` entry whenever the set changes.

Several processes start at once behind a load balancer; they must not each log the same release. A
transaction-scoped PostgreSQL advisory lock makes the check ("is this set already the last one logged?") and
the write one step; SQLite (one process in development) serialises writers by itself.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock
from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.keys import LedgerKeys
from auction.ledger.models import PLATFORM_CHAIN, LedgerEntry, PendingEntry
from auction.ledger.verifier.entry import parse_body, parse_leaf
from auction.ledger.verifier.release import RELEASE_ACTOR, RELEASE_KIND, release_problem

# A fixed key for pg_advisory_xact_lock, derived from the kind so that it cannot collide by accident.
RELEASE_LOCK = zlib.crc32(RELEASE_KIND.encode())


async def last_release_scripts(session: AsyncSession) -> dict[str, str] | None:
    """The scripts of the newest release.scripts body on the platform chain, integrated or still pending."""
    pending = await session.scalar(
        select(PendingEntry.body)
        .where(PendingEntry.chain_key == PLATFORM_CHAIN, PendingEntry.kind == RELEASE_KIND)
        .order_by(PendingEntry.lot_seq.desc())
        .limit(1)
    )
    if pending is not None:  # pending bodies are newer than every integrated one of the same chain
        payload: dict[str, Any] = parse_body(pending).payload
        return dict(payload["scripts"])
    leaf = await session.scalar(
        select(LedgerEntry.leaf)
        .where(LedgerEntry.chain_key == PLATFORM_CHAIN, LedgerEntry.kind == RELEASE_KIND)
        .order_by(LedgerEntry.lot_seq.desc())
        .limit(1)
    )
    return None if leaf is None else dict(parse_leaf(leaf).body.payload["scripts"])


async def record_release_scripts(
    sessions: async_sessionmaker[AsyncSession],
    keys: LedgerKeys,
    clock: Clock,
    version: str,
    scripts: Mapping[str, str],
    *,
    max_merge_delay_seconds: int = 60,
) -> Admitted | None:
    """Log ``{version, scripts}`` on the platform chain unless the last logged set is the same; None if so."""
    payload = {"version": version, "scripts": dict(sorted(scripts.items()))}
    problem = release_problem(RELEASE_ACTOR, payload)
    if problem is not None:
        raise ValueError(f"cannot log these scripts: {problem}")
    async with sessions() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RELEASE_LOCK})
        if await last_release_scripts(session) == payload["scripts"]:
            return None
        writer = LedgerWriter(session, keys, clock, max_merge_delay_seconds=max_merge_delay_seconds)
        return await writer.record(RELEASE_KIND, None, RELEASE_ACTOR, payload)
