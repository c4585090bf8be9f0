"""Logging the scripts a release serves: one `release.scripts` entry whenever the set changes.

Several processes start at once behind a load balancer; they must not each log the same release. A
transaction-scoped PostgreSQL advisory lock makes the check ("is this set already the last one logged?") and
the write one step; SQLite (one process in development) serialises writers by itself.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock
from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.keys import LedgerKeys
from auction.ledger.platform_chain import last_platform_payload
from auction.ledger.verifier.release import RELEASE_ACTOR, RELEASE_KIND, release_problem

# A fixed key for pg_advisory_xact_lock, derived from the kind so that it cannot collide by accident.
RELEASE_LOCK = zlib.crc32(RELEASE_KIND.encode())


async def last_release_scripts(session: AsyncSession) -> dict[str, str] | None:
    """The scripts of the newest release.scripts body on the platform chain, integrated or still pending."""
    payload = await last_platform_payload(session, RELEASE_KIND)
    return None if payload is None else dict(payload["scripts"])


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
