"""The reads the pages used to make with SQL of their own, now services: the live state of an auction, a bidder's
own bids, the officers of a municipality, a sealed lot's commission, and the municipal hierarchy."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import Role, User
from auction.accounts.service import AccountService
from auction.bidding.auction import AuctionService
from auction.bidding.live import LiveAuctions
from auction.bidding.opening import SealedLotService
from auction.clock import FrozenClock
from auction.db.engine import transaction
from auction.errors import NotFound
from auction.ledger.admission import LedgerWriter
from auction.lots.models import AuctionFormat, LotState
from auction.municipalities.models import MunicipalityLevel
from auction.municipalities.service import MunicipalityService
from auction.settings import Settings
from tests.integration.test_bidding_api import Auction, auction, world  # noqa: F401  (fixtures)
from tests.kit.commission import ApiCommission
from tests.kit.ledger import keys_of
from tests.kit.world import PASSWORD, World, kit_schedule


def auctions(session: AsyncSession, clock: FrozenClock, settings: Settings) -> AuctionService:
    return AuctionService(session, clock, LedgerWriter(session, keys_of(settings), clock))


async def test_live_state_before_and_during_bidding(
    auction: Auction,  # noqa: F811
    world: World,  # noqa: F811
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    created = await auction.create()
    async with sessions() as session:
        with pytest.raises(NotFound):
            await LiveAuctions(session, clock).state(auction.lot_id)  # a draft is nobody's business

    await auction.publish()
    async with sessions() as session:
        waiting = await LiveAuctions(session, clock).state(auction.lot_id)
    assert (waiting.state, waiting.started, waiting.running) == (LotState.PUBLISHED, False, False)
    assert waiting.opens_at is not None
    assert waiting.opens_at.isoformat() == created["bidding_opens_at"].replace("Z", "+00:00")
    assert (waiting.bid_count, waiting.current_price, waiting.leader) == (0, None, None)

    await auction.admit("bidder", "bidder2")
    clock.set(kit_schedule(clock.now())[1])  # the kit lots' opening
    await auction.tick()
    assert (await auction.bid("bidder", 100_000_00)).status_code == 201
    assert (await auction.bid("bidder2", 105_000_00)).status_code == 201
    async with sessions() as session:
        live = await LiveAuctions(session, clock).state(auction.lot_id)
    assert live.running
    assert (live.bid_count, live.current_price, live.minimum_next_bid) == (2, 105_000_00, 110_000_00)
    assert live.leader == keys_of(settings).pseudonym(auction.lot_id, world.user_ids["bidder2"])
    assert live.server_time == clock.now()
    # The API shows the same moment.
    api = await auction.state()
    assert (api["bid_count"], api["current_price"], api["leader"]) == (2, 105_000_00, live.leader)


async def test_a_bidder_sees_only_their_own_bids_across_lots(
    auction: Auction,  # noqa: F811
    world: World,  # noqa: F811
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    lots = []
    for _ in range(2):
        await auction.create()
        await auction.publish()
        await auction.admit("bidder", "bidder2")
        lots.append(auction.lot_id)
    clock.set(kit_schedule(clock.now())[1])  # the kit lots' opening
    await auction.tick()
    for lot_id, amounts in zip(lots, ((100_000_00, 110_000_00), (100_000_00,)), strict=True):
        auction.lot_id = lot_id
        for amount in amounts:
            assert (await auction.bid("bidder", amount)).status_code == 201
        assert (await auction.bid("bidder2", amounts[-1] + 5_000_00)).status_code == 201

    async with sessions() as session:
        service = auctions(session, clock, settings)
        bidder = await session.get(User, world.user_ids["bidder"])
        other = await session.get(User, world.user_ids["bidder2"])
        assert bidder is not None
        assert other is not None
        mine = await service.bids_of_bidder(bidder)
        assert [(b.lot_id, b.amount) for b in mine] == [
            (lots[0], 100_000_00),
            (lots[0], 110_000_00),
            (lots[1], 100_000_00),
        ]
        on_second = await service.bids_of_bidder(bidder, lots[1])
        assert [(b.lot_id, b.amount) for b in on_second] == [(lots[1], 100_000_00)]
        assert (await service.bid_of_bidder(bidder, mine[1].id)).id == mine[1].id
        with pytest.raises(NotFound):
            await service.bid_of_bidder(other, mine[1].id)  # someone else's bid is as good as absent
        with pytest.raises(NotFound):
            await service.bid_of_bidder(bidder, 10_000)


async def test_officers_of_a_municipality_are_its_active_officers_by_name(
    world: World,  # noqa: F811
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tokmok = world.municipality["tokmok"]
    async with transaction(sessions) as session:
        accounts = AccountService(session, clock)
        retired = await accounts.create_user(
            email="retired@test.kg",
            password=PASSWORD,
            full_name="Aaa Retired",
            role=Role.OFFICER,
            municipality_id=tokmok,
        )
        retired.is_active = False
    async with sessions() as session:
        officers = await AccountService(session, clock).officers_of(tokmok)
    assert [o.full_name for o in officers] == ["Bakyt Toktogulov", "Officer Tokmok"]


async def test_a_sealed_lots_commission_in_the_order_chosen(
    auction: Auction,  # noqa: F811
    world: World,  # noqa: F811
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    await auction.create()
    await auction.publish()
    open_lot = auction.lot_id
    await auction.create(format=AuctionFormat.SEALED_BID.value)
    names = ("officer2_tokmok", "officer_tokmok")
    await ApiCommission(auction.client, world, auction.lot_id, names).publish()
    members = sorted(world.user_ids[name] for name in names)  # a commission is ordered by user id
    async with sessions() as session:
        service = SealedLotService(session, clock, LedgerWriter(session, keys_of(settings), clock))
        commission = await service.commission(auction.lot_id)
        assert await service.commission(open_lot) is None
    assert commission is not None
    assert (commission.threshold, [m.id for m in commission.members], commission.opened_at) == (2, members, None)
    assert commission.shares_posted == 0


async def test_the_hierarchy_puts_every_place_under_its_region(
    world: World,  # noqa: F811
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        service = MunicipalityService(session)
        hierarchy = await service.hierarchy()
        everything = await service.all()
        chui = await service.by_code("chui")
    assert {m.level for m in hierarchy.regions} == {MunicipalityLevel.REGION}
    assert world.municipality["tokmok"] in {m.id for m in hierarchy.by_region[chui.id]}
    placed = [m.id for places in hierarchy.by_region.values() for m in places]
    assert sorted(placed) == sorted(m.id for m in everything if m.level != MunicipalityLevel.REGION)
    assert set(hierarchy.by_id) == {m.id for m in everything}
