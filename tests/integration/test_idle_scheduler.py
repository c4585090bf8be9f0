"""An idle site's background jobs: the scheduler scans only when something is due or it is woken, one process leads
(a lease each), and PostgreSQL's NOTIFYs wake the sleeping scheduler and integrator (auction.db.wakeups)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.bidding.scheduler import AuctionScheduler
from auction.clock import FrozenClock, as_utc
from auction.db.wakeups import Wakeups
from auction.ledger.integrator import BatchResult, Integrator
from auction.ledger.models import PendingEntry
from auction.lots.models import Lot, LotState
from tests.kit.world import World

# How long a background task may take to react here: generous, the machine is shared; nothing is timed by it.
PATIENCE_SECONDS = 20.0


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("NOTIFY is PostgreSQL's; on SQLite (one process) the jobs poll")


async def lot_state(sessions: async_sessionmaker[AsyncSession], lot_id: int) -> tuple[LotState, object]:
    async with sessions() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        return lot.state, lot.bidding_opens_at


async def settled(count: Callable[[], int]) -> None:
    """Wait until a job is asleep: it did nothing for a while (the wake-ups from its start are consumed)."""
    while True:
        before = count()
        await asyncio.sleep(1.5)
        if count() == before:
            return


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not await condition():
        assert time.monotonic() < deadline, f"still not {what}"
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def running(*jobs: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(job(stop)) for job in jobs]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def test_a_future_opening_opens_when_its_time_comes_without_scanning_meanwhile(
    world: World, clock: FrozenClock
) -> None:
    lot_id = await world.lot("published")
    _, opens = await lot_state(world.sessions, lot_id)
    scheduler = AuctionScheduler(world.sessions, world.keys, clock)

    await scheduler.cycle(woken=False)  # the first beat scans and learns what is due next
    assert scheduler.scans == 1
    assert await scheduler.next_due() == as_utc(opens)  # type: ignore[arg-type]

    clock.set(as_utc(opens) - timedelta(seconds=1))  # type: ignore[arg-type]
    await scheduler.cycle(woken=False)
    assert scheduler.scans == 1  # nothing due yet: only the pulse
    assert (await lot_state(world.sessions, lot_id))[0] == LotState.PUBLISHED

    clock.advance(timedelta(seconds=1))
    await scheduler.cycle(woken=False)
    assert scheduler.scans == 2
    assert (await lot_state(world.sessions, lot_id))[0] == LotState.BIDDING


async def test_one_scheduler_leads_and_another_takes_over_once_its_lease_lapses(
    world: World, clock: FrozenClock
) -> None:
    first = AuctionScheduler(world.sessions, world.keys, clock)
    second = AuctionScheduler(world.sessions, world.keys, clock)

    await first.cycle(woken=True)
    await second.cycle(woken=True)
    assert (first.scans, second.scans) == (1, 0)

    # The leader stops without a word (a crash): its lease lapses, then the other one scans.
    clock.advance(first.lease.term)
    await second.cycle(woken=True)
    assert second.scans == 0
    clock.advance(timedelta(seconds=1))
    await second.cycle(woken=True)
    await first.cycle(woken=True)  # back from the dead, it follows
    assert (first.scans, second.scans) == (1, 1)

    # A leader that stops cleanly hands over at once.
    await second.lease.release()
    await first.cycle(woken=True)
    assert first.scans == 2


@pytest.mark.postgres
@pytest.mark.own_database
@pytest.mark.usefixtures("postgres_only")
async def test_a_notify_wakes_the_sleeping_scheduler(world: World, clock: FrozenClock, database_url: str) -> None:
    wakeups = Wakeups(database_url)
    # Without the NOTIFY it would not look again for an hour: the lot below opens only if the notice arrives.
    scheduler = AuctionScheduler(world.sessions, world.keys, clock, ceiling_seconds=3600)
    scheduler.pulse_every = 0.5
    async with running(wakeups.run, lambda stop: scheduler.run(stop, wakeups)):

        async def asleep() -> bool:
            return wakeups.listening and scheduler.scans >= 1

        await until(asleep, "listening")
        await settled(lambda: scheduler.scans)
        assert await scheduler.next_due() is None
        scans = scheduler.scans

        lot_id = await world.lot("published")  # its publication NOTIFYs achyk_due
        _, opens = await lot_state(world.sessions, lot_id)

        async def woken() -> bool:
            return scheduler.scans > scans

        await until(woken, "woken by the publication")
        clock.set(as_utc(opens) + timedelta(seconds=1))  # type: ignore[arg-type]

        async def opened() -> bool:
            return (await lot_state(world.sessions, lot_id))[0] == LotState.BIDDING

        await until(opened, "opened")


@pytest.mark.postgres
@pytest.mark.own_database
@pytest.mark.usefixtures("postgres_only")
async def test_a_notify_wakes_the_sleeping_integrator(world: World, clock: FrozenClock, database_url: str) -> None:
    wakeups = Wakeups(database_url)
    # A lease of two hours: the leader would next look in about an hour, unless woken.
    integrator = Integrator(world.sessions, world.keys, clock, lease_seconds=7200)

    async def pending() -> int:
        async with world.sessions() as session:
            return await session.scalar(select(func.count()).select_from(PendingEntry)) or 0

    async def drained() -> bool:
        return wakeups.listening and await pending() == 0

    batches = 0
    integrate_batch = integrator.integrate_batch

    async def counted() -> BatchResult:
        nonlocal batches
        batches += 1
        return await integrate_batch()

    integrator.integrate_batch = counted  # type: ignore[method-assign]
    async with running(wakeups.run, lambda stop: integrator.run(stop, wakeups)):
        await until(drained, "integrated what the world admitted")
        await settled(lambda: batches)
        asleep = batches
        await world.lot("published")  # admits lot.published, which NOTIFYs achyk_pending
        await until(drained, "integrated the new entry")
        assert batches > asleep
