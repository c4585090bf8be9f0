"""Descending auctions on a real database: an outage stops the price, acceptances within one tick become
contenders (also when they race on PostgreSQL), and the sealed run-off, not network speed, decides the award."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from auction.bidding.auction import AuctionService
from auction.bidding.models import AuctionClock, Award, Bid
from auction.clock import as_utc
from auction.errors import DomainError
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier import runoff as tie
from tests.kit.drive import Drive
from tests.kit.world import World

MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)


async def opens_of(drive: Drive, lot_id: int) -> timedelta:
    """How long the lot has been open (the Dutch clock starts at the lot's bidding_opens_at)."""
    return drive.world.clock.now() - as_utc((await drive.lot(lot_id)).bidding_opens_at)


async def run_to(drive: Drive, lot_id: int, since_opening: timedelta) -> None:
    opens = as_utc((await drive.lot(lot_id)).bidding_opens_at)
    await drive.live_until(opens + since_opening)


async def auction_clock(drive: Drive, lot_id: int) -> AuctionClock:
    async with drive.world.sessions() as session:
        clock = await session.get(AuctionClock, lot_id)
        assert clock is not None
        return clock


async def awards_of(drive: Drive, lot_id: int) -> list[tuple[int, str, int]]:
    async with drive.world.sessions() as session:
        rows = await session.scalars(select(Award).where(Award.lot_id == lot_id).order_by(Award.rank))
        return [(a.rank, a.pseudonym, a.price) for a in rows]


async def refused(call: Awaitable[object]) -> str:
    try:
        await call
    except DomainError as error:
        return error.code
    raise AssertionError("the action was not refused")


async def test_an_outage_stops_the_price_and_moves_the_close(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id = await world.lot(stage="bidding", format="descending")
    await run_to(drive, lot_id, 2 * MIN + 30 * SEC)
    closes_before = (await auction_clock(drive, lot_id)).closes_at
    # The platform is down for five minutes: no tick runs.
    world.clock.advance(5 * MIN)
    assert await refused(drive.accept(lot_id, "bidder", limit=100_000_00)) == "bid.clock_paused"
    await drive.tick()  # the first pulse after the outage records it
    running = await auction_clock(drive, lot_id)
    assert as_utc(running.closes_at) == as_utc(closes_before) + 5 * MIN
    assert running.pauses is not None
    assert len(running.pauses) == 1
    async with world.sessions() as session:
        price = await AuctionService(session, world.clock, LedgerWriter(session, world.keys, world.clock)).price_now(
            lot_id
        )
    # The price where it stood when the platform went down (two drops), not seven drops lower.
    assert price == 90_000_00
    # Signing for the unpaused price is refused: the clock shows a higher one.
    assert await refused(drive.accept(lot_id, "bidder", limit=65_000_00)) == "bid.price_above_limit"
    receipt = await drive.accept(lot_id, "bidder")
    assert receipt.amount == 90_000_00
    await drive.close(lot_id)
    assert [(rank, price) for rank, _, price in await awards_of(drive, lot_id)] == [(1, 90_000_00)]
    await drive.verify(tmp_path)


async def test_acceptances_in_one_tick_go_to_a_run_off_the_highest_offer_wins(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    await world.bidder("bidder3")
    lot_id = await world.lot(stage="bidding", format="descending", bidders=("bidder", "bidder2", "bidder3"))
    await run_to(drive, lot_id, 3 * MIN + 10 * SEC)
    first = await drive.accept(lot_id, "bidder")
    assert first.amount == 85_000_00
    # The window stays open to the end of the tick; a bidder who accepts in it is a contender at the same price.
    assert first.closes_at == as_utc((await drive.lot(lot_id)).bidding_opens_at) + 4 * MIN
    world.clock.advance(40 * SEC)
    second = await drive.accept(lot_id, "bidder2")
    assert second.amount == 85_000_00
    assert await refused(drive.accept(lot_id, "bidder2", limit=85_000_00)) == "bid.already_accepted"
    await drive.close(lot_id)
    running = await auction_clock(drive, lot_id)
    assert running.runoff_price == 85_000_00
    assert running.runoff_closes_at is not None
    assert await awards_of(drive, lot_id) == []  # no award until the run-off ends
    # bidder3 did not accept: no offer; offers below the tick price are refused; one offer each.
    assert await refused(drive.runoff_offer(lot_id, "bidder3", 99_000_00)) == "runoff.not_contender"
    assert await refused(drive.runoff_offer(lot_id, "bidder", 84_000_00)) == "runoff.offer_too_low"
    await drive.runoff_offer(lot_id, "bidder", 86_000_00)
    assert await refused(drive.runoff_offer(lot_id, "bidder", 95_000_00)) == "runoff.already_offered"
    await drive.runoff_offer(lot_id, "bidder2", 90_000_00)
    await drive.live_until(as_utc(running.runoff_closes_at) + SEC)
    assert await refused(drive.runoff_offer(lot_id, "bidder3", 99_000_00)) == "runoff.not_running"
    bidder, bidder2 = await drive.pseudonym(lot_id, "bidder"), await drive.pseudonym(lot_id, "bidder2")
    # The later acceptance wins: the run-off, not who reached the server first, decided.
    assert await awards_of(drive, lot_id) == [(1, bidder2, 90_000_00), (2, bidder, 86_000_00)]
    await drive.verify(tmp_path)


async def test_a_run_off_offer_after_its_deadline_is_refused(world: World, drive: Drive) -> None:
    lot_id = await world.lot(stage="bidding", format="descending")
    await run_to(drive, lot_id, 30 * SEC)
    await drive.accept(lot_id, "bidder")
    await drive.accept(lot_id, "bidder2")
    await drive.close(lot_id)
    deadline = as_utc((await auction_clock(drive, lot_id)).runoff_closes_at)  # type: ignore[arg-type]
    world.clock.set(deadline)
    assert await refused(drive.runoff_offer(lot_id, "bidder", 100_000_00)) == "runoff.closed"
    await drive.tick()
    # Nobody offered: both stand at the tick price, and the earlier acceptance in the chain takes it.
    bidder = await drive.pseudonym(lot_id, "bidder")
    assert (await awards_of(drive, lot_id))[0] == (1, bidder, 100_000_00)


@pytest.mark.own_database
async def test_two_acceptances_racing_in_one_tick_are_both_contenders(
    world: World, drive: Drive, tmp_path: Path, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("row-lock races are PostgreSQL's; the SQLite default serialises every transaction")
    lot_id = await world.lot(stage="bidding", format="descending")
    await run_to(drive, lot_id, 3 * MIN + 10 * SEC)
    receipts = await asyncio.gather(drive.accept(lot_id, "bidder"), drive.accept(lot_id, "bidder2"))
    assert [r.amount for r in receipts] == [85_000_00, 85_000_00]
    async with world.sessions() as session:
        order = list(await session.scalars(select(Bid.pseudonym).where(Bid.lot_id == lot_id).order_by(Bid.id)))
    assert len(order) == 2
    await drive.close(lot_id)
    # Whoever the server took first offers less: the run-off decides, not speed.
    first, second = order
    who = {await drive.pseudonym(lot_id, name): name for name in ("bidder", "bidder2")}
    await drive.runoff_offer(lot_id, who[first], 85_000_00)
    await drive.runoff_offer(lot_id, who[second], 87_500_00)
    runoff_closes = as_utc((await auction_clock(drive, lot_id)).runoff_closes_at)  # type: ignore[arg-type]
    assert runoff_closes - world.clock.now() <= tie.RUNOFF
    await drive.live_until(runoff_closes + SEC)
    assert await awards_of(drive, lot_id) == [(1, second, 87_500_00), (2, first, 85_000_00)]
    await drive.verify(tmp_path)
