"""A hot lot on real PostgreSQL: stale bids are refused without waiting for the lot's lock, and an accepted bid
makes few round trips (each one is paid again by every bid queued behind the lot's lock)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.bidding.auction import AuctionService
from auction.clock import FrozenClock
from auction.db.engine import transaction
from auction.errors import InvalidInput
from auction.ledger.admission import LedgerWriter
from auction.ledger.keys import LedgerKeys
from auction.settings import Settings
from tests.integration.test_bidding_races import SIGNERS, setup_lot, try_bid
from tests.kit.keys import signed_next
from tests.kit.ledger import keys_of

pytestmark = [pytest.mark.postgres, pytest.mark.own_database]

START = 100_000_00
STEP = 5_000_00


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("row locks are PostgreSQL's; the SQLite default serialises every transaction")


async def bid_without_waiting(
    sessions: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    keys: LedgerKeys,
    bidder: User,
    lot_id: int,
    amount: int,
    key: str,
) -> None:
    """A bid in a transaction that may not wait for a lock: waiting for one is an error, not a slow answer."""
    async with transaction(sessions) as session:
        await session.execute(text("SET LOCAL lock_timeout = '1s'"))
        signed = await signed_next(
            session, keys, clock, bidder, SIGNERS[bidder.id], lot_id, "bid.placed", {"amount": amount}
        )
        await AuctionService(session, clock, LedgerWriter(session, keys, clock)).place_bid(
            bidder, lot_id, amount, key, signed
        )


async def test_a_stale_bid_is_refused_while_another_transaction_holds_the_lot(
    sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, settings: Settings
) -> None:
    keys = keys_of(settings)
    lot_id, (first, second) = await setup_lot(sessions, clock, keys, 2)
    assert await try_bid(sessions, clock, keys, first, lot_id, START + 2 * STEP, "hot-first-1") is not None
    async with sessions() as holder:
        # Another transaction holds the lot's row lock (as a bid being admitted does) until this block ends.
        await holder.execute(text("SELECT id FROM lots WHERE id = :id FOR UPDATE"), {"id": lot_id})
        with pytest.raises(InvalidInput) as refused:
            await bid_without_waiting(sessions, clock, keys, second, lot_id, START + STEP, "hot-stale-1")
        assert refused.value.code == "bid.too_low"
        assert refused.value.params["minimum_tyiyn"] == START + 3 * STEP
        # The lock is still held: the refusal came without it.
        held = await holder.scalar(
            text("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND mode = 'RowShareLock'")
        )
        assert held
        # A bid high enough to be admitted does need the lock, and so does not get past it here.
        with pytest.raises(DBAPIError, match="lock timeout"):
            await bid_without_waiting(sessions, clock, keys, second, lot_id, START + 3 * STEP, "hot-fresh-1")
        await holder.rollback()
    # Once the lock is released the same fresh bid is admitted, and the stale one is still refused.
    assert await try_bid(sessions, clock, keys, second, lot_id, START + 3 * STEP, "hot-fresh-2") is not None
    with pytest.raises(InvalidInput):
        await bid_without_waiting(sessions, clock, keys, first, lot_id, START + STEP, "hot-stale-2")


async def test_an_open_bid_makes_few_round_trips(
    sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, settings: Settings
) -> None:
    keys = keys_of(settings)
    lot_id, (first, second) = await setup_lot(sessions, clock, keys, 2)
    sent: list[str] = []

    def seen(*args: Any, **_: Any) -> None:
        sent.append(str(args[2]) if len(args) > 2 else "BEGIN/COMMIT/ROLLBACK")

    engine = sessions.kw["bind"].sync_engine
    counted = ("before_cursor_execute", "begin", "commit", "rollback")
    for name in counted:
        event.listen(engine, name, seen)
    try:
        trips = []
        for n, (bidder, amount) in enumerate([(first, START), (second, START + STEP), (first, START + STEP)]):
            async with sessions() as reading:  # the client's own reads, not counted
                signed = await signed_next(
                    reading, keys, clock, bidder, SIGNERS[bidder.id], lot_id, "bid.placed", {"amount": amount}
                )
            sent.clear()
            try:
                async with transaction(sessions) as session:
                    await AuctionService(session, clock, LedgerWriter(session, keys, clock)).place_bid(
                        bidder, lot_id, amount, f"trips-{n:04d}", signed
                    )
            except InvalidInput:
                pass
            trips.append(len(sent))
    finally:
        for name in counted:
            event.remove(engine, name, seen)
    # The first bid: BEGIN, the unlocked read, the lock, the read, the writes, COMMIT. The second also queues the
    # outbid notice (its account, its preferences, the outbox row). The third is stale: BEGIN, the read, ROLLBACK.
    assert trips == [6, 9, 3], trips
