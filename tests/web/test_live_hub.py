"""The live streams on PostgreSQL (web.bidding.live_hub): the app's one listener hears the database's NOTIFY of a
change, the hub reads the lot once and hands that state to every watcher of the lot in the process, each seeing what
they may; a descending price, which falls with no row changing, is read again at its next tick by the hub."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from auction.bidding.live import LiveReading, LiveState, LotTerms, RunningClock, running_moment
from auction.clock import FrozenClock, as_utc
from auction.lots.models import AuctionFormat, Lot, LotState
from tests.kit.world import World
from tests.web.auction_support import Auctioneer
from tests.web.test_confidential_competition import pseudonym_of, seal
from web.bidding.live import Live, watch
from web.bidding.live_hub import LiveHub, live_hub, unseen

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


async def commit_bids_back_to_back(auctioneer: Auctioneer, lot_id: int, prices: list[int]) -> None:
    """Each bid committed as soon as the previous one was: the bids' notifications come faster than a read of the
    lot ends, so only their payloads can show every price."""
    for index, price in enumerate(prices):
        await auctioneer.bid(lot_id, ("bidder", "bidder2")[index % 2], price)


async def test_every_watcher_sees_every_bid_in_order_with_no_read_for_the_clock(
    auctioneer: Auctioneer, world: World, hub: LiveHub
) -> None:
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    viewers = [None, None, await world.user("bidder2"), await world.user("officer_tokmok")]
    streams = [watch(auctioneer.sessions, auctioneer.clock, [lot_id], viewer, hub) for viewer in viewers]
    prices = [100_000_00 + step * 10_000_00 for step in range(6)]
    try:
        for stream in streams:
            assert (await next_state(stream)).bid_count == 0
        reads = hub.reads
        await commit_bids_back_to_back(auctioneer, lot_id, prices)
        for stream in streams:
            seen = [await next_state(stream) for _ in prices]
            assert [(state.current_price, state.bid_count) for state in seen] == [
                (price, count) for count, price in enumerate(prices, start=1)
            ]
            # The domain's rule, applied to the notified price.
            assert seen[-1].minimum_next_bid == prices[-1] + 5_000_00
        # The clock's changes came with their fields: the hub read nothing for them.
        assert hub.reads == reads
    finally:
        for stream in streams:
            await stream.aclose()  # type: ignore[attr-defined]


async def test_a_slow_watcher_gets_every_state_in_order_when_it_takes_late(
    auctioneer: Auctioneer, hub: LiveHub
) -> None:
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    fast = watch(auctioneer.sessions, auctioneer.clock, [lot_id], None, hub)
    slow = watch(auctioneer.sessions, auctioneer.clock, [lot_id], None, hub)
    prices = [100_000_00 + step * 10_000_00 for step in range(5)]
    try:
        assert (await next_state(fast)).bid_count == 0
        assert (await next_state(slow)).bid_count == 0
        await commit_bids_back_to_back(auctioneer, lot_id, prices)
        # Once the fast watcher saw the last bid, every state waits in the slow one's queue, none taken yet.
        assert [(await next_state(fast)).current_price for _ in prices] == prices
        assert [(await next_state(slow)).current_price for _ in prices] == prices
    finally:
        for stream in (fast, slow):
            await stream.aclose()  # type: ignore[attr-defined]


async def test_a_lot_whose_terms_the_hub_does_not_hold_is_read_and_then_applied(
    auctioneer: Auctioneer, hub: LiveHub
) -> None:
    """A clock notified for a lot the hub holds nothing of (its first read lost) falls back to a read; so does a
    payload that makes no clock."""
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    stream = watch(auctioneer.sessions, auctioneer.clock, [lot_id], None, hub)
    try:
        assert (await next_state(stream)).bid_count == 0
        hub._terms.clear()
        reads = hub.reads
        await auctioneer.bid(lot_id, "bidder", 100_000_00)
        assert (await next_state(stream)).current_price == 100_000_00
        assert hub.reads == reads + 1
        hub.notified(lot_id, {"lot": lot_id, "bid_count": "many"})
        await auctioneer.bid(lot_id, "bidder2", 110_000_00)
        assert (await next_state(stream)).current_price == 110_000_00
        assert hub.reads >= reads + 2
    finally:
        await stream.aclose()  # type: ignore[attr-defined]


def clock_at(bid_count: int, price: int) -> RunningClock:
    return RunningClock(datetime(2026, 11, 26, 12, tzinfo=UTC), price, f"L-{bid_count}", bid_count)


def test_the_clocks_notified_during_a_read_that_it_did_not_see_follow_it() -> None:
    first, second, third = clock_at(1, 100), clock_at(2, 110), clock_at(3, 120)
    # The read saw the second: only the third is newer.
    assert unseen(second, [first, second, third]) == [third]
    # The read saw a state from before them all.
    assert unseen(clock_at(0, 90), [first, second]) == [first, second]
    # The read was ahead of them all (its own notification still on its way): the older ones are not shown.
    assert unseen(third, [first, second]) == []
    assert unseen(None, [first]) == [first]


def test_a_notified_clock_payload_makes_the_clock_a_read_makes() -> None:
    payload = json.loads(
        '{"lot": 7, "closes_at": "2026-11-26T12:30:00.5", "current_price": 100, "leader": "L-1", "bid_count": 1,'
        ' "pauses": [["a", "b"]], "runoff_price": null, "runoff_closes_at": null}'
    )
    assert RunningClock.of_payload(payload) == RunningClock(
        datetime(2026, 11, 26, 12, 30, 0, 500000, tzinfo=UTC), 100, "L-1", 1, (("a", "b"),)
    )
    for broken in ({**payload, "bid_count": "1"}, {**payload, "closes_at": 5}, {"lot": 7}):
        with pytest.raises((ValueError, TypeError, KeyError)):
            RunningClock.of_payload(broken)


class GatedReads:
    """`LiveAuctions` for the hub, reading from a script: each read waits for its gate, then gives its reading."""

    script: ClassVar[list[tuple[asyncio.Event, LiveReading]]] = []

    def __init__(self, session: object, clock: object) -> None:
        pass

    async def reading(self, lot_id: int) -> LiveReading:
        gate, reading = GatedReads.script.pop(0)
        await gate.wait()
        return reading


async def test_clocks_notified_while_the_lot_changed_again_wait_for_the_next_reads_terms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lot notice during a read means the read may hold the lot's old terms: a clock notified after it is drawn
    with the next read's terms, never with the old ones."""
    now = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)
    old = LotTerms(
        7, LotState.BIDDING, AuctionFormat.OPEN_ASCENDING, 1, 100_000_00, 5_000_00, now, None, None, None, None
    )
    new = replace(old, bid_step=20_000_00)
    seen, notified = clock_at(1, 100_000_00), clock_at(2, 110_000_00)
    first_gate, second_gate = asyncio.Event(), asyncio.Event()
    GatedReads.script = [
        (first_gate, LiveReading(running_moment(old, seen, now), old, seen)),
        (second_gate, LiveReading(running_moment(new, seen, now), new, seen)),
    ]
    monkeypatch.setattr("web.bidding.live_hub.LiveAuctions", GatedReads)
    hub = LiveHub(contextlib.nullcontext, FrozenClock(now))  # type: ignore[arg-type]
    async with hub.watching([7], None) as watcher:
        await asyncio.sleep(0)  # the first read has started and waits at its gate
        hub.notified(7, None)  # the lot's row changed: read again after this read
        hub.notified(7, notice_of(notified))
        first_gate.set()
        second_gate.set()
        shown: list[LiveState | None] = []
        while len(shown) < 3:
            shown += [state for _, state in await asyncio.wait_for(watcher.take(), DEADLINE)]
    assert [(s.current_price, s.minimum_next_bid) for s in shown if s is not None] == [
        (100_000_00, 105_000_00),  # the first read, with the old step
        (100_000_00, 120_000_00),  # the second read, with the new step
        (110_000_00, 130_000_00),  # the notified clock, with the new step (the old one would say 115 000)
    ]
    await hub.close()


def notice_of(running: RunningClock) -> dict[str, object]:
    """A clock as the trigger of 0011_live_payload notifies it: times in UTC without an offset."""
    return {
        "closes_at": running.closes_at.replace(tzinfo=None).isoformat(),
        "current_price": running.current_price,
        "leader": running.leader,
        "bid_count": running.bid_count,
    }
