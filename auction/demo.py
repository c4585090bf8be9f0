"""Realistic demo data, created through the same services the site uses."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import BidderKind, Role, User
from auction.accounts.service import AccountService
from auction.clock import Clock, FrozenClock
from auction.db.engine import transaction
from auction.lots.models import AuctionFormat, Deal, LotState, PropertyKind, RentPeriod
from auction.lots.schemas import LotCreate
from auction.lots.service import LotService
from auction.money import TYIYN_PER_SOM
from auction.municipalities.pilot import PILOT_OPERATORS
from auction.municipalities.service import MunicipalityService

SOM = TYIYN_PER_SOM

# (kind, deal, en title, ru title, ky title, starting price in som, registration number)
CATALOG: tuple[tuple[PropertyKind, Deal, str, str, str, int, str | None], ...] = (
    (
        PropertyKind.LAND_PLOT,
        Deal.SALE,
        "Land plot for a family house, 0.08 ha",
        "Земельный участок под ИЖС, 0,08 га",
        "Үй куруу үчүн жер тилкеси, 0,08 га",
        850_000,
        "1-02-03-0004-0005",
    ),
    (
        PropertyKind.BUILDING,
        Deal.LEASE,
        "Former kindergarten building, ground floor",
        "Здание бывшего детского сада, первый этаж",
        "Мурдагы бала бакчанын имараты, биринчи кабат",
        45_000,
        "1-02-05-0110-0042",
    ),
    (
        PropertyKind.VEHICLE,
        Deal.SALE,
        "Municipal bus PAZ-3205, 2011",
        "Муниципальный автобус ПАЗ-3205, 2011 г.",
        "Муниципалдык автобус ПАЗ-3205, 2011-ж.",
        420_000,
        "01KG123ABC",
    ),
    (
        PropertyKind.EQUIPMENT,
        Deal.SALE,
        "Road grader DZ-122 (for parts)",
        "Автогрейдер ДЗ-122 (на запчасти)",
        "Автогрейдер ДЗ-122 (тетиктерге)",
        300_000,
        "INV-2019/044",
    ),
    (
        PropertyKind.BUILDING,
        Deal.LEASE,
        "Shop premises on the central square, 64 m²",
        "Торговое помещение на центральной площади, 64 м²",
        "Борбордук аянттагы соода жайы, 64 м²",
        30_000,
        "1-04-06-0012-0345-1",
    ),
    (
        PropertyKind.LAND_PLOT,
        Deal.LEASE,
        "Pasture plot, 12 ha, for seasonal grazing",
        "Пастбищный участок 12 га для сезонного выпаса",
        "Мезгилдик жайыт үчүн 12 га жайыт",
        18_000,
        "1-06-01-0201-0007",
    ),
    (
        PropertyKind.OTHER,
        Deal.SALE,
        "Decommissioned boiler-house equipment set",
        "Комплект оборудования списанной котельной",
        "Эскирген казандын жабдуулар топтому",
        150_000,
        None,
    ),
)

STATES_CYCLE = (
    LotState.PUBLISHED,
    LotState.BIDDING,
    LotState.DRAFT,
    LotState.PUBLISHED,
    LotState.CLOSED,
    LotState.CANCELLED,
    LotState.FAILED,
    LotState.AWARDED,
)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    password: str
    role: Role
    municipality: str


def demo_password(role: Role, code: str) -> str:
    """Predictable on purpose: demo data is for trying the site, never for production."""
    return f"demo-{role}-{code}"


async def seed_demo(sessions: async_sessionmaker[AsyncSession], now: datetime) -> list[DemoAccount]:
    """Create the pilot, one account per role per pilot municipality, and ~40 lots; safe to re-run."""
    async with transaction(sessions) as session:
        municipalities = await MunicipalityService(session).seed_pilot()
        already = await session.scalar(select(User.id).where(User.email == "officer@tokmok.demo.kg"))
        accounts = await _accounts(
            session, FrozenClock(now), {c: municipalities[c].id for c in PILOT_OPERATORS}
        )
    if already is None:
        await _lots(sessions, now)
    return accounts


async def _accounts(session: AsyncSession, clock: Clock, operators: dict[str, int]) -> list[DemoAccount]:
    service = AccountService(session, clock)
    accounts = []
    for index, (code, role) in enumerate(itertools.product(operators, Role)):
        email = f"{role}@{code}.demo.kg"
        password = demo_password(role, code)
        accounts.append(DemoAccount(email, password, role, code))
        if await session.scalar(select(User.id).where(User.email == email)) is not None:
            continue
        extra: dict[str, object] = {}
        if role == Role.BIDDER:
            extra = {"bidder_kind": BidderKind.INDIVIDUAL, "identity_number": f"2150619850{index:04d}"}
        await service.create_user(
            email=email,
            password=password,
            full_name=f"Demo {role} ({code})",
            role=role,
            municipality_id=operators[code] if role == Role.OFFICER else None,
            **extra,
        )
    return accounts


async def _lots(sessions: async_sessionmaker[AsyncSession], now: datetime) -> None:
    formats = itertools.cycle(AuctionFormat)
    states = itertools.cycle(STATES_CYCLE)
    for number, (code, item) in enumerate(itertools.product(PILOT_OPERATORS, CATALOG[:6])):
        target = next(states)
        fmt = next(formats)
        # Lots that have already been auctioned were created weeks ago, so their schedule lies in the past.
        past = target in {LotState.BIDDING, LotState.CLOSED, LotState.FAILED, LotState.AWARDED}
        created = now - timedelta(days=30) if past else now - timedelta(hours=2)
        clock = FrozenClock(created)
        async with transaction(sessions) as session:
            officer = await session.scalar(select(User).where(User.email == f"officer@{code}.demo.kg"))
            assert officer is not None
            service = LotService(session, clock)
            lot = await service.create(officer, _terms(item, fmt, created, target, number))
            if target == LotState.DRAFT:
                continue
            await service.publish(officer, lot.id)
            if target == LotState.CANCELLED:
                await service.cancel(
                    officer, lot.id, "The building was found to need structural repair first."
                )
                continue
            if past:
                clock.set(lot.bidding_opens_at)
                await service.move(await service.lock(lot.id), LotState.BIDDING)
            if target in {LotState.CLOSED, LotState.FAILED, LotState.AWARDED}:
                clock.set(lot.bidding_closes_at)
                locked = await service.lock(lot.id)
                await service.move(locked, LotState.CLOSED)
                if target != LotState.CLOSED:
                    await service.move(locked, target)


def _terms(
    item: tuple[PropertyKind, Deal, str, str, str, int, str | None],
    fmt: AuctionFormat,
    created: datetime,
    target: LotState,
    number: int,
) -> LotCreate:
    kind, deal, en, ru, ky, price_som, registration = item
    start = price_som * SOM
    applications_close = created + timedelta(days=7)
    opens = applications_close + timedelta(days=1)
    # A lot shown mid-auction closes in a few days; every other lot's bidding lasts three hours.
    closes = opens + (timedelta(days=25) if target == LotState.BIDDING else timedelta(hours=3))
    return LotCreate(
        deal=deal,
        kind=kind,
        format=fmt,
        title_en=en,
        title_ru=ru,
        title_ky=ky,
        description_en=f"{en}. Inspection by appointment with the municipal asset office.",
        description_ru=f"{ru}. Осмотр по записи в отделе муниципального имущества.",
        description_ky=f"{ky}. Муниципалдык мүлк бөлүмүнө жазылып көрүүгө болот.",
        address=f"{10 + number} Lenin street",
        registration_number=registration,
        starting_price=start,
        bid_step=max(start // 20, SOM),
        deposit=start // 10,
        lease_term_months=36 if deal == Deal.LEASE else None,
        rent_period=RentPeriod.MONTH if deal == Deal.LEASE else None,
        applications_close_at=applications_close,
        bidding_opens_at=opens,
        bidding_closes_at=closes,
        floor_price=start // 2 if fmt == AuctionFormat.DESCENDING else None,
        price_drop_interval_seconds=300 if fmt == AuctionFormat.DESCENDING else None,
    )
