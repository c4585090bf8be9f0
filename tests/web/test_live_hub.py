"""The live streams on PostgreSQL (web.bidding.live_hub): the app's one listener hears the database's NOTIFY of a
change, the hub reads the lot once and hands that state to every watcher of the lot in the process, each seeing what
they may; a descending price, which falls with no row changing, is read again at its next tick by the hub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from auction.clock import FrozenClock, as_utc
from auction.lots.models import Lot
from tests.kit.world import World
from tests.web.auction_support import Auctioneer
from tests.web.test_confidential_competition import pseudonym_of, seal
from web.bidding.live import Live, watch
from web.bidding.live_hub import LiveHub, live_hub

# Generous: bounds a wait for what must happen, it asserts no speed.
DEADLINE = 30.0


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has no LISTEN: its streams poll (tests/web/test_bidding_pages.py)")


@pytest.fixture
async def hub(database_url: str, auctioneer: Auctioneer) -> AsyncIterator[LiveHub]:
    """A process's hub as the app's lifespan makes it, in the test's own event loop (the test client serves the app
    in a loop of its own), listening before the test starts."""
    async with live_hub(database_url, auctioneer.sessions, auctioneer.clock) as made:
        assert made is not None
        assert made.listener is not None
        await asyncio.wait_for(made.listener.connected.wait(), DEADLINE)
        yield made


async def next_state(stream: AsyncIterator[Live]) -> Live:
    return await asyncio.wait_for(anext(stream), DEADLINE)


async def test_one_read_per_change_serves_every_watcher_of_the_lot(auctioneer: Auctioneer, hub: LiveHub) -> None:
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    streams = [watch(auctioneer.sessions, auctioneer.clock, [lot_id], None, hub) for _ in range(10)]
    try:
        assert {(await next_state(stream)).bid_count for stream in streams} == {0}
        reads = hub.reads
        await auctioneer.bid(lot_id, "bidder", 100_000_00)
        after = [await next_state(stream) for stream in streams]
        # The bid's commit notified once; its one read is the very state every watcher is given (and rendered once).
        assert after[0].bid_count == 1
        assert all(state is after[0] for state in after)
        assert hub.reads - reads < len(streams)
    finally:
        for stream in streams:
            await stream.aclose()  # type: ignore[attr-defined]


async def test_officers_of_the_lot_see_the_sealed_count_the_public_never_does(
    auctioneer: Auctioneer, world: World, hub: LiveHub
) -> None:
    lot_id = await auctioneer.sealed_lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    public = watch(auctioneer.sessions, auctioneer.clock, [lot_id], None, hub)
    bidder = watch(auctioneer.sessions, auctioneer.clock, [lot_id], await world.user("bidder2"), hub)
    officer = watch(auctioneer.sessions, auctioneer.clock, [lot_id], await world.user("officer_tokmok"), hub)
    try:
        assert [(await next_state(s)).bid_count for s in (public, bidder, officer)] == [None, None, 0]
        pseudonym = await pseudonym_of(auctioneer, world, "bidder", lot_id)
        await seal(auctioneer, world, lot_id, "bidder", pseudonym, 150_000_00)
        assert (await next_state(officer)).bid_count == 1
        await auctioneer.close(lot_id)
        # The public's next state is the close: the sealed bid changed nothing they see, and showed them no count.
        for stream in (public, bidder):
            closed = await next_state(stream)
            assert (closed.state, closed.bid_count) == ("closed", None)
    finally:
        for stream in (public, bidder, officer):
            await stream.aclose()  # type: ignore[attr-defined]


async def test_a_descending_price_falls_for_its_watchers_with_no_row_changing(
    auctioneer: Auctioneer, world: World, hub: LiveHub
) -> None:
    lot_id = await auctioneer.lot(format="descending", floor_price=50_000_00, price_drop_interval_seconds=60)
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    async with auctioneer.sessions() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        opens = as_utc(lot.bidding_opens_at)
    clock = auctioneer.clock
    assert isinstance(clock, FrozenClock)
    # Just before the first tick ends, so the hub's timer for it is due in a moment of real time.
    clock.set(opens + timedelta(seconds=59.9))
    stream = watch(auctioneer.sessions, clock, [lot_id], None, hub)
    try:
        assert (await next_state(stream)).current_price == 100_000_00
        clock.set(opens + timedelta(seconds=60.5))
        assert (await next_state(stream)).current_price == 95_000_00
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
