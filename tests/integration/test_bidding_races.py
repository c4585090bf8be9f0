"""Races on real PostgreSQL: many bidders on one lot, bids at the closing instant, two schedulers."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import BidderKind, Role, User
from auction.accounts.service import AccountService
from auction.bidding.auction import AuctionService, BidReceipt
from auction.bidding.commission_member import hold_ceremony
from auction.bidding.models import AuctionClock
from auction.bidding.opening import SealedLotService
from auction.bidding.participation import ParticipationService
from auction.bidding.scheduler import AuctionScheduler
from auction.clock import FrozenClock
from auction.db.engine import transaction
from auction.errors import DomainError
from auction.ledger.admission import LedgerWriter
from auction.ledger.keys import LedgerKeys
from auction.ledger.models import LedgerEntry
from auction.ledger.queries import LedgerReader
from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.sealed import b64url_decode, ciphertext_hash, encrypt_bid
from auction.ledger.verifier.verify import verify_bundle
from auction.lots.models import Lot, LotState
from auction.lots.schemas import LotCreate
from auction.lots.service import LotService
from auction.municipalities.service import MunicipalityService
from auction.settings import Settings
from tests.kit.keys import StatementSigner, register_signer, signed_next
from tests.kit.ledger import integrate, keys_of
from tests.kit.world import kit_schedule, lot_terms

pytestmark = [pytest.mark.postgres, pytest.mark.own_database]

# Each racing bidder's software key, by user id (ids are unique within a test's own database).
SIGNERS: dict[int, StatementSigner] = {}


class SteppingClock(FrozenClock):
    """Time that moves a little every time somebody looks: concurrent work sees a real, advancing clock."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        super().__init__(start)
        self.step = step

    def now(self) -> datetime:
        moment = super().now()
        self.advance(self.step)
        return moment


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("row-lock races are PostgreSQL's; the SQLite default serialises every transaction")


async def setup_lot(
    sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, keys: LedgerKeys, bidders: int, **terms: Any
) -> tuple[int, list[User]]:
    async with transaction(sessions) as session:
        municipalities = await MunicipalityService(session).seed_pilot()
        accounts = AccountService(session, clock)
        officer = await accounts.create_user(
            email="o@t.kg",
            password="x" * 12,
            full_name="Officer",
            role=Role.OFFICER,
            municipality_id=municipalities["tokmok"].id,
        )
        second = await accounts.create_user(
            email="o2@t.kg",
            password="x" * 12,
            full_name="Officer 2",
            role=Role.OFFICER,
            municipality_id=municipalities["tokmok"].id,
        )
        people = [
            await accounts.create_user(
                email=f"b{n}@t.kg",
                password="x" * 12,
                full_name=f"Bidder {n}",
                role=Role.BIDDER,
                bidder_kind=BidderKind.INDIVIDUAL,
                identity_number=f"2150619850{n:04d}",
            )
            for n in range(bidders)
        ]
        ledger = LedgerWriter(session, keys, clock)
        lot = await LotService(session, clock, ledger).create(officer, LotCreate(**lot_terms(clock.now(), **terms)))
        if lot.format == "sealed_bid":
            sealed = SealedLotService(session, clock, ledger)
            await hold_ceremony(sealed, officer, lot.id, [officer, second], 2)
            await sealed.publish(officer, lot.id)
        else:
            await LotService(session, clock, ledger).publish(officer, lot.id)
        participation = ParticipationService(session, clock, ledger)
        for person in people:
            signer = SIGNERS[person.id] = await register_signer(session, clock, person)
            keys_on_lot = [dict(signer.key)]
            signed = await signed_next(
                session, keys, clock, person, signer, lot.id, "application.submitted", {"keys": keys_on_lot}
            )
            application = await participation.apply(person, lot.id, keys_on_lot, signed)
            await participation.confirm_deposit(officer, application.id, f"REF-{person.id}")
        lot_id = lot.id
    clock.set(kit_schedule(clock.now())[1])  # the kit lots' opening
    scheduler = AuctionScheduler(sessions, keys, clock)
    await scheduler.tick()
    return lot_id, people


async def try_bid(
    sessions: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    keys: LedgerKeys,
    bidder: User,
    lot_id: int,
    amount: int,
    key: str,
) -> BidReceipt | None:
    try:
        async with transaction(sessions) as session:
            signed = await signed_next(
                session, keys, clock, bidder, SIGNERS[bidder.id], lot_id, "bid.placed", {"amount": amount}
            )
            return await AuctionService(session, clock, LedgerWriter(session, keys, clock)).place_bid(
                bidder, lot_id, amount, key, signed
            )
    except DomainError:
        return None


async def live_until(
    scheduler: AuctionScheduler,
    sessions: async_sessionmaker[AsyncSession],
    keys: LedgerKeys,
    clock: FrozenClock,
    target: datetime,
) -> None:
    """Move time forward with the platform alive: a tick at least every 30 s, so no outage is seen."""
    while clock.now() < target:
        clock.set(min(target, clock.now() + timedelta(seconds=30)))
        await integrate(sessions, keys, clock)
        await scheduler.tick()
    await integrate(sessions, keys, clock)


async def chain(sessions: async_sessionmaker[AsyncSession], lot_id: int) -> list[Any]:
    async with sessions() as session:
        rows = await session.scalars(
            select(LedgerEntry.leaf).where(LedgerEntry.chain_key == lot_id).order_by(LedgerEntry.lot_seq)
        )
        return [parse_leaf(raw).body for raw in rows]


async def verified(sessions: async_sessionmaker[AsyncSession], keys: LedgerKeys, tmp_path: Path) -> Any:
    async with sessions() as session:
        await LedgerReader(session, keys).export(tmp_path / "bundle.zip")
    report = verify_bundle(tmp_path / "bundle.zip", replay=replay)
    assert report.ok, report
    return report


async def test_two_hundred_concurrent_bidders_on_one_lot(
    sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    keys = keys_of(settings)
    lot_id, people = await setup_lot(sessions, clock, keys, 200)
    rng = random.Random(7)
    acknowledged: list[BidReceipt] = []

    async def bidder_loop(person: User) -> None:
        for attempt in range(3):
            # Each round bids above every earlier round: whichever bid the lock lets in first, even the highest of
            # its round, later rounds can still beat it, so more than one bid is accepted under any scheduling.
            amount = 100_000_00 + (attempt * 61 + rng.randint(0, 60)) * 5_000_00
            receipt = await try_bid(sessions, clock, keys, person, lot_id, amount, f"key-{person.id:05d}-{attempt}")
            if receipt is not None:
                acknowledged.append(receipt)

    await asyncio.gather(*(bidder_loop(p) for p in people))
    await integrate(sessions, keys, clock)
    bodies = await chain(sessions, lot_id)
    placed = [b for b in bodies if b.kind == "bid.placed"]
    assert {r.body_hash for r in acknowledged} <= {b.hash for b in bodies}
    assert len(placed) == len(acknowledged) > 1
    amounts = [b.payload["amount"] for b in placed]
    assert all(later > earlier for earlier, later in itertools.pairwise(amounts))

    scheduler = AuctionScheduler(sessions, keys, clock)
    await live_until(scheduler, sessions, keys, clock, clock.now() + timedelta(hours=3, minutes=10))
    kinds = [b.kind for b in await chain(sessions, lot_id)]
    assert kinds.count("award.made") == 1
    award = next(b for b in await chain(sessions, lot_id) if b.kind == "award.made")
    assert award.payload["price"] == max(amounts)
    report = await verified(sessions, keys, tmp_path)
    assert report.entries >= len(placed)


async def test_bids_racing_the_soft_close(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, tmp_path: Path
) -> None:
    keys = keys_of(settings)
    clock = SteppingClock(datetime(2026, 6, 1, 6, 0, tzinfo=UTC), timedelta(milliseconds=3))
    lot_id, people = await setup_lot(sessions, clock, keys, 30, soft_close_minutes=1, max_extension_minutes=2)
    async with sessions() as session:
        running = await session.get(AuctionClock, lot_id)
        assert running is not None
        closes_at = running.closes_at
    scheduler = AuctionScheduler(sessions, keys, clock)
    await live_until(scheduler, sessions, keys, clock, closes_at - timedelta(seconds=3))
    clock.set(closes_at - timedelta(seconds=2))
    outcomes: list[BidReceipt | None] = []

    async def bidder(person: User, n: int) -> None:
        amount = 100_000_00 + n * 5_000_00
        outcomes.append(await try_bid(sessions, clock, keys, person, lot_id, amount, f"race-{person.id:05d}"))

    async def closer() -> None:
        for _ in range(400):
            await integrate(sessions, keys, clock)
            await scheduler.tick()
            await asyncio.sleep(0)

    await asyncio.gather(closer(), *(bidder(p, n) for n, p in enumerate(people)))
    await live_until(scheduler, sessions, keys, clock, clock.now() + timedelta(minutes=10))
    bodies = await chain(sessions, lot_id)
    kinds = [b.kind for b in bodies]
    assert kinds.count("auction.closed") == 1
    assert all('"outage"' not in b.raw.decode() for b in bodies)
    closed_at = kinds.index("auction.closed")
    assert all(k not in {"bid.placed"} for k in kinds[closed_at:])
    assert sum(r is not None for r in outcomes) == kinds.count("bid.placed")
    await verified(sessions, keys, tmp_path)


async def test_sealed_bids_racing_the_close(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, tmp_path: Path
) -> None:
    keys = keys_of(settings)
    clock = SteppingClock(datetime(2026, 6, 1, 6, 0, tzinfo=UTC), timedelta(milliseconds=5))
    lot_id, people = await setup_lot(sessions, clock, keys, 20, format="sealed_bid")
    async with sessions() as session:
        from auction.bidding.models import Application, AuctionClock

        running = await session.get(AuctionClock, lot_id)
        key_text = await SealedLotService(session, clock, LedgerWriter(session, keys, clock)).public_key(lot_id)
        assert running is not None
        assert key_text is not None
        closes_at = running.closes_at
        public = b64url_decode(key_text)
        pseudonyms = {a.bidder_id: a.pseudonym for a in await session.scalars(select(Application))}
    scheduler = AuctionScheduler(sessions, keys, clock)
    # Live up to the final moments (no outage), then race the close.
    await live_until(scheduler, sessions, keys, clock, closes_at - timedelta(seconds=1))
    clock.set(closes_at - timedelta(milliseconds=60))
    accepted: list[BidReceipt] = []

    async def sealed(person: User, n: int) -> None:
        ciphertext = encrypt_bid(public, lot_id, pseudonyms[person.id], 100_000_00 + n)
        try:
            async with transaction(sessions) as session:
                fields = {"ciphertext_hash": ciphertext_hash(ciphertext)}
                signed = await signed_next(
                    session, keys, clock, person, SIGNERS[person.id], lot_id, "bid.sealed", fields
                )
                accepted.append(
                    await AuctionService(session, clock, LedgerWriter(session, keys, clock)).submit_sealed(
                        person, lot_id, ciphertext, f"sealed-{person.id}", signed
                    )
                )
        except DomainError:
            pass

    async def closer() -> None:
        for _ in range(100):
            await integrate(sessions, keys, clock)
            await scheduler.tick()
            await asyncio.sleep(0)

    await asyncio.gather(closer(), *(sealed(p, n) for n, p in enumerate(people)))
    bodies = await chain(sessions, lot_id)
    kinds = [b.kind for b in bodies]
    assert kinds.count("auction.closed") == 1
    assert kinds.count("bid.sealed") == len(accepted)
    assert "bid.sealed" not in kinds[kinds.index("auction.closed") :]
    await verified(sessions, keys, tmp_path)


async def test_two_schedulers_open_and_close_exactly_once(
    sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    keys = keys_of(settings)
    async with transaction(sessions) as session:
        municipalities = await MunicipalityService(session).seed_pilot()
        officer = await AccountService(session, clock).create_user(
            email="o@t.kg",
            password="x" * 12,
            full_name="Officer",
            role=Role.OFFICER,
            municipality_id=municipalities["tokmok"].id,
        )
        # A lot's commission has at least two officers of its municipality (they sign its results protocol).
        await AccountService(session, clock).create_user(
            email="o2@t.kg",
            password="x" * 12,
            full_name="Second Officer",
            role=Role.OFFICER,
            municipality_id=municipalities["tokmok"].id,
        )
        service = LotService(session, clock, LedgerWriter(session, keys, clock))
        ids = []
        for _ in range(5):
            lot = await service.create(officer, LotCreate(**lot_terms(clock.now())))
            await service.publish(officer, lot.id)
            ids.append(lot.id)
    first, second = AuctionScheduler(sessions, keys, clock), AuctionScheduler(sessions, keys, clock)
    clock.set(kit_schedule(clock.now())[1])  # the kit lots' opening
    await asyncio.gather(first.tick(), second.tick(), first.tick(), second.tick())
    # Jump to just before the final window (no outage is judged there), then live through the close.
    clock.set(clock.now() + timedelta(hours=3) - timedelta(minutes=6))
    await first.tick()
    await live_until(first, sessions, keys, clock, clock.now() + timedelta(minutes=5, seconds=50))
    clock.advance(timedelta(seconds=20))
    await integrate(sessions, keys, clock)
    await asyncio.gather(first.tick(), second.tick(), first.tick(), second.tick())
    await integrate(sessions, keys, clock)
    for lot_id in ids:
        kinds = [b.kind for b in await chain(sessions, lot_id)]
        expected = ["lot.published", "auction.opened", "auction.closed", "award.failed", "protocol.issued"]
        assert kinds == expected, kinds
    async with sessions() as session:
        states = set(await session.scalars(select(Lot.state)))
    assert states == {LotState.FAILED}
    await verified(sessions, keys, tmp_path)
