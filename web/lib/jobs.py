"""Background jobs each app process runs: the ledger integrator and the auction scheduler.

They coordinate through the database only, so any number of processes on any number of hosts may run them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.bidding.scheduler import AuctionScheduler
from auction.clock import Clock
from auction.ledger.integrator import Integrator
from auction.ledger.keys import LedgerKeys
from auction.ledger.witness_config import witness_config
from auction.settings import Settings


def make_integrator(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock, keys: LedgerKeys
) -> Integrator:
    return Integrator(
        sessions,
        keys,
        clock,
        batch_size=settings.ledger_batch_size,
        interval_seconds=settings.ledger_batch_interval_seconds,
    )


@contextlib.asynccontextmanager
async def background_jobs(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock, keys: LedgerKeys
) -> AsyncIterator[None]:
    if not settings.run_background_jobs:
        yield
        return
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(make_integrator(sessions, settings, clock, keys).run(stop)),
        asyncio.create_task(AuctionScheduler(sessions, keys, clock, witnesses=witness_config(settings)).run(stop)),
    ]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
