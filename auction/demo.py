"""Realistic demo data, created through the same services the site uses."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import BidderKind, Role, User
from auction.accounts.service import AccountService
from auction.bidding.auction import AuctionService
from auction.bidding.awards import AwardService
from auction.bidding.cancellation import CancellationService
from auction.bidding.commission_member import SoftwareMember, hold_ceremony, post_opening_shares
from auction.bidding.deposits import DepositService
from auction.bidding.keys import KeyService
from auction.bidding.models import AwardStatus
from auction.bidding.opening import SealedLotService
from auction.bidding.participation import ParticipationService
from auction.bidding.results_protocol import ProtocolService
from auction.bidding.signer import Ed25519Signer, next_statement, sign
from auction.clock import Clock, FrozenClock, as_utc
from auction.contracts.rules import DepositFate
from auction.contracts.service import ContractService
from auction.db.engine import transaction
from auction.ledger.admission import LedgerWriter
from auction.ledger.integrator import Integrator
from auction.ledger.keys import LedgerKeys
from auction.ledger.verifier import statements as st
from auction.ledger.verifier.auction_rules import dutch_price, minimum_next_bid
from auction.ledger.verifier.municipal_rules import BISHKEK
from auction.ledger.verifier.sealed import b64url_decode, ciphertext_hash, encrypt_bid
from auction.ledger.verifier.settlement import bishkek_date
from auction.lots.models import AuctionFormat, Deal, Lot, LotState, PropertyKind, RentPeriod, SingleParticipantRule
from auction.lots.schemas import LotCreate, RepeatAuction
from auction.lots.service import LotService
from auction.money import TYIYN_PER_SOM
from auction.municipalities.models import Municipality
from auction.municipalities.pilot import PILOT_OPERATORS
from auction.municipalities.service import MunicipalityService
from auction.redflags.inspection import InspectionService
from auction.redflags.linking import DEMO_KEY

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
        PropertyKind.PREMISES,
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

# Each demo lease's permitted use, area and yearly indexation, by registration number.
LEASES: dict[str, tuple[str, Decimal | None, int | None]] = {
    "1-02-05-0110-0042": ("Education, children's clubs or health care", Decimal("410.00"), None),
    "1-04-06-0012-0345-1": ("Retail of food and household goods", Decimal("64.00"), 5),
    "1-06-01-0201-0007": ("Seasonal grazing of livestock", Decimal("120000.00"), None),
}

# (target state, format): every state and every format, with real auction histories where there was bidding.
PLAN: tuple[tuple[LotState, AuctionFormat], ...] = (
    (LotState.PUBLISHED, AuctionFormat.OPEN_ASCENDING),
    (LotState.BIDDING, AuctionFormat.OPEN_ASCENDING),
    (LotState.DRAFT, AuctionFormat.SEALED_BID),
    (LotState.PUBLISHED, AuctionFormat.SEALED_BID),
    (LotState.CLOSED, AuctionFormat.SEALED_BID),
    (LotState.CANCELLED, AuctionFormat.DESCENDING),
    (LotState.FAILED, AuctionFormat.OPEN_ASCENDING),
    (LotState.AWARDED, AuctionFormat.OPEN_ASCENDING),
    (LotState.AWARDED, AuctionFormat.SEALED_BID),
    (LotState.AWARDED, AuctionFormat.DESCENDING),
    (LotState.BIDDING, AuctionFormat.DESCENDING),
    (LotState.PUBLISHED, AuctionFormat.DESCENDING),
)


# Tokmok's whole-life lots, from publication to the first payment and the refunds: a sale and a lease, each with its
# municipality's rules and council decision, three bidders, a results protocol signed by both commission members with
# their own keys, the winner's signature concluding the contract, the first payment and the non-winners' refunds.
SHOWCASE_CODE = "tokmok"
SHOWCASE: tuple[tuple[PropertyKind, Deal, str, str, str, int, str | None], ...] = (CATALOG[0], CATALOG[4])


# Batken's lots with the patterns red flags point at, each played through the services as it would happen: a lot
# sold to its only participant, one sold far below its valuation, a sealed bid withdrawn minutes before the close, a
# winner who walks away; and across lots one bidder who wins again and again (a repeat auction included) while
# another bids beside them and always loses to them. The bidders are the pilot's demo bidder accounts.
RED_FLAGS_CODE = "batken"
PATRON = "bidder@naryn.demo.kg"  # wins lot after lot in Batken
SHADOW = "bidder@talas.demo.kg"  # bids beside the patron and always loses to them (bids in no other demo lot)
LOCAL = "bidder@batken.demo.kg"
NEIGHBOUR = "bidder@nookat.demo.kg"
RED_FLAG_LOTS: dict[str, tuple[PropertyKind, Deal, str, str, str, int, str | None]] = {
    "single_participant": (
        PropertyKind.BUILDING,
        Deal.SALE,
        "Former veterinary station building, 180 m²",
        "Здание бывшей ветеринарной станции, 180 м²",
        "Мурдагы ветеринардык станциянын имараты, 180 м²",
        1_200_000,
        "1-08-02-0031-0110",
    ),
    "below_valuation": (
        PropertyKind.LAND_PLOT,
        Deal.SALE,
        "Land plot by the Batken–Isfana road, 0.25 ha",
        "Земельный участок у трассы Баткен — Исфана, 0,25 га",
        "Баткен — Исфана жолунун боюндагы жер тилкеси, 0,25 га",
        900_000,
        "1-08-04-0115-0021",
    ),
    "late_withdrawal": (
        PropertyKind.VEHICLE,
        Deal.SALE,
        "Tractor MTZ-82.1, 2012",
        "Трактор МТЗ-82.1, 2012 г.",
        "МТЗ-82.1 трактору, 2012-ж.",
        650_000,
        "08KG482BTK",
    ),
    "winner_walked_away": (
        PropertyKind.EQUIPMENT,
        Deal.SALE,
        "Diesel generator, 100 kW",
        "Дизельный генератор 100 кВт",
        "100 кВт дизелдик генератор",
        380_000,
        "INV-2021/017",
    ),
    "repeat": (
        PropertyKind.LAND_PLOT,
        Deal.SALE,
        "Apricot orchard plot, 1.5 ha",
        "Участок абрикосового сада, 1,5 га",
        "Өрүк багынын жер тилкеси, 1,5 га",
        1_500_000,
        "1-08-06-0210-0003",
    ),
}
REPEAT_REDUCTION_PERCENT = 20  # within the default rules' 25 % per repeat
# The below-valuation lot's appraisal against its starting price: it sells near 40 % of it (the red flag's threshold
# is auction/redflags/rules.py BELOW_VALUATION_PERCENT, a share of the valuation).
BELOW_VALUATION_APPRAISAL_PERCENT = 250


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    password: str
    role: Role
    municipality: str


def demo_password(role: Role, code: str) -> str:
    """Predictable on purpose: demo data is for trying the site, never for production."""
    return f"demo-{role}-{code}"


async def seed_demo(sessions: async_sessionmaker[AsyncSession], now: datetime, keys: LedgerKeys) -> list[DemoAccount]:
    """Create the pilot, accounts for every role in every pilot municipality, and ~40 lots; safe to re-run.

    Everything goes through the services — applications, deposits, bids, closes, awards, a runner-up —
    so the demo's ledger holds real histories an inspector can replay. It is integrated and signed
    before this returns.
    """
    async with transaction(sessions) as session:
        municipalities = await MunicipalityService(session).seed_pilot()
        already = await session.scalar(select(User.id).where(User.email == "officer@tokmok.demo.kg"))
        accounts = await _accounts(session, FrozenClock(now), {c: municipalities[c].id for c in PILOT_OPERATORS})
        for number, code in enumerate(PILOT_OPERATORS):
            _demo_contacts(municipalities[code], number)
        inspection = InspectionService(session, LedgerWriter(session, keys, FrozenClock(now)))
        if await inspection.pinned() is None:
            # A key everyone can derive (auction/redflags/linking.py DEMO_KEY): a demo's links are no secret.
            await inspection.pin(DEMO_KEY)
    if already is None:
        for number, (code, item) in enumerate(itertools.product(PILOT_OPERATORS, CATALOG[:6])):
            state, fmt = PLAN[number % len(PLAN)]
            decline_first = fmt == AuctionFormat.OPEN_ASCENDING and number % 2 == 1
            await _play(sessions, keys, now, code, item, state, fmt, number, decline_first=decline_first)
        first = len(PILOT_OPERATORS) * 6
        for number, item in enumerate(SHOWCASE, start=first):
            await _play(
                sessions, keys, now, SHOWCASE_CODE, item, LotState.AWARDED, AuctionFormat.OPEN_ASCENDING, number
            )
        await _play_red_flags(sessions, keys, now, first + len(SHOWCASE))
        await Integrator(sessions, keys, FrozenClock(now)).integrate_all()
    return accounts


def _demo_contacts(unit: Municipality, number: int) -> None:
    """Made-up contacts for a pilot's contact page (a number that reaches no one), unless it has its own."""
    if unit.contact_email is None:
        unit.contact_address = f"{unit.name_en}, 1 Lenin street, municipal property office (demo)"
        unit.contact_phone = f"+996 000 000 {number:03d}"
        unit.contact_email = f"property@{unit.code}.demo.kg"
        unit.office_hours = "Mon–Fri 9:00–18:00, lunch 12:30–13:30"
        unit.responsible_officer = f"Head of the municipal property office of {unit.name_en} (demo)"


async def showcase_lots(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[Deal, int]]:
    """Tokmok's whole-life sale and lease (deal, lot id), as the demo seeded them."""
    titles = [item[2] for item in SHOWCASE]
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(Lot.deal, Lot.id)
            .join(Municipality, Municipality.id == Lot.municipality_id)
            .where(Municipality.code == SHOWCASE_CODE, Lot.title_en.in_(titles), Lot.state == LotState.AWARDED)
            .order_by(Lot.id)
        )
        return [(deal, lot_id) for deal, lot_id in rows.all()]


async def red_flag_lots(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, int]]:
    """Batken's red-flag lots (pattern, lot id), as the demo seeded them; the repeat auction, not its failed first."""
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(Lot.title_en, Lot.id)
            .join(Municipality, Municipality.id == Lot.municipality_id)
            .where(
                Municipality.code == RED_FLAGS_CODE,
                Lot.title_en.in_([item[2] for item in RED_FLAG_LOTS.values()]),
                Lot.state != LotState.FAILED,
            )
            .order_by(Lot.id)
        )
        found = {str(title): lot_id for title, lot_id in rows.all()}
    return [(pattern, found[item[2]]) for pattern, item in RED_FLAG_LOTS.items() if item[2] in found]


async def _accounts(session: AsyncSession, clock: Clock, operators: dict[str, int]) -> list[DemoAccount]:
    service = AccountService(session, clock)
    accounts = []
    people = [(code, role, f"{role}@{code}.demo.kg") for code, role in itertools.product(operators, Role)]
    # A second officer per municipality, so that sealed-bid commissions have two members.
    people += [(code, Role.OFFICER, f"commission@{code}.demo.kg") for code in operators]
    for index, (code, role, email) in enumerate(people):
        password = demo_password(role, code)
        accounts.append(DemoAccount(email, password, role, code))
        if await session.scalar(select(User.id).where(User.email == email)) is not None:
            continue
        extra: dict[str, object] = {}
        if role == Role.BIDDER:
            # One personal number each (a unique index holds them), none with the serial 00000.
            extra = {"bidder_kind": BidderKind.INDIVIDUAL, "identity_number": f"2150619850{index + 1:04d}"}
        user = await service.create_user(
            email=email,
            password=password,
            full_name=f"Demo {role} ({code})" if not email.startswith("commission") else f"Commission ({code})",
            role=role,
            municipality_id=operators[code] if role == Role.OFFICER else None,
            **extra,
        )
        if role in {Role.BIDDER, Role.OFFICER}:
            # Bidders sign their actions and officers (the commission) sign results protocols with keys registered
            # on their own accounts, as any API client registers one (POST /api/me/keys with a proof of possession).
            signer = demo_signer(email)
            await KeyService(session, clock).add_ed25519(user, signer.public_key, signer.proof(user.id), "demo key")
    return accounts


def demo_signer(email: str) -> Ed25519Signer:
    """A demo bidder's or officer's software key, derived from their e-mail so every run of the demo signs alike.

    A real bidder's or commission member's key is made on their own device and never known to the platform; these
    are demo props.
    """
    seed = hashlib.sha256(f"achyk-demo-bidder-key|{email}".encode()).digest()
    return Ed25519Signer(Ed25519PrivateKey.from_private_bytes(seed))


class _Stage:
    """One lot's story, told through the services with a clock the demo moves."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], keys: LedgerKeys, clock: FrozenClock) -> None:
        self.sessions, self.keys, self.clock = sessions, keys, clock

    @contextlib.asynccontextmanager
    async def services(self) -> AsyncIterator[tuple[AsyncSession, LedgerWriter]]:
        async with transaction(self.sessions) as session:
            yield session, LedgerWriter(session, self.keys, self.clock)

    async def user(self, session: AsyncSession, email: str) -> User:
        found = await session.scalar(select(User).where(User.email == email))
        assert found is not None, email
        return found

    async def signed(
        self, session: AsyncSession, email: str, lot_id: int, action: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """The demo bidder's signature on their next action on the lot, made with their demo key."""
        user = await self.user(session, email)
        stmt = await next_statement(session, self.keys, user.id, lot_id, action, fields, self.clock.now())
        return sign(demo_signer(email), stmt)


async def _cancel(
    stage: _Stage, session: AsyncSession, ledger: LedgerWriter, officer: User, code: str, lot_id: int
) -> None:
    """A live lot is cancelled by two officials: the lot's officer asks, a colleague confirms."""
    cancellations = CancellationService(session, stage.clock, ledger)
    await cancellations.request_cancellation(officer, lot_id, "The building was found to need structural repair first.")
    colleague = await stage.user(session, f"commission@{code}.demo.kg")
    await cancellations.confirm_cancellation(colleague, lot_id)


async def _play(
    sessions: async_sessionmaker[AsyncSession],
    keys: LedgerKeys,
    now: datetime,
    code: str,
    item: tuple[PropertyKind, Deal, str, str, str, int, str | None],
    target: LotState,
    fmt: AuctionFormat,
    number: int,
    *,
    decline_first: bool = False,
) -> None:
    past = target in {LotState.BIDDING, LotState.CLOSED, LotState.FAILED, LotState.AWARDED}
    clock = FrozenClock(now - timedelta(days=30) if past else now - timedelta(hours=2))
    stage = _Stage(sessions, keys, clock)
    officer_email = f"officer@{code}.demo.kg"
    terms = _terms(item, fmt, clock.now(), target, number, code)
    if target == LotState.DRAFT:
        async with stage.services() as (session, ledger):
            await LotService(session, stage.clock, ledger).create(await stage.user(session, officer_email), terms)
        return
    lot_id, opens_at, commission = await _publish(stage, code, terms)
    if target == LotState.CANCELLED:
        async with stage.services() as (session, ledger):
            await _cancel(stage, session, ledger, await stage.user(session, officer_email), code, lot_id)
        return
    if not past:
        return
    bidders = [f"bidder@{c}.demo.kg" for c in PILOT_OPERATORS[(number % 3) :][:3]]
    if target == LotState.FAILED:
        bidders = []
    pseudonyms = await _admit(stage, officer_email, lot_id, bidders)
    await _open(stage, lot_id, opens_at)
    await _bid(stage, lot_id, fmt, _rounds(fmt, bidders), pseudonyms)
    if target == LotState.BIDDING:
        return
    await _close(stage, code, lot_id, fmt, commission if target == LotState.AWARDED else None)
    await _after_result(stage, lot_id, code, target, decline_first=decline_first)


async def _publish(stage: _Stage, code: str, terms: LotCreate) -> tuple[int, datetime, list[SoftwareMember]]:
    """The officer creates the lot and publishes it (a sealed lot after its commission's key ceremony): its id,
    bidding's opening and the commission's software members."""
    async with stage.services() as (session, ledger):
        officer = await stage.user(session, f"officer@{code}.demo.kg")
        lot = await LotService(session, stage.clock, ledger).create(officer, terms)
        commission = await _publish_draft(stage, session, ledger, officer, code, lot)
        return lot.id, as_utc(lot.bidding_opens_at), commission


async def _publish_draft(
    stage: _Stage, session: AsyncSession, ledger: LedgerWriter, officer: User, code: str, lot: Lot
) -> list[SoftwareMember]:
    """Publish a draft; a sealed lot's commission holds its key ceremony first: its software members.

    The demo commission's members are software: their keys live only in the demo's calls, so a sealed lot the demo
    does not open can never be opened by anyone, as it would be if its real members lost their key files.
    """
    if lot.format != AuctionFormat.SEALED_BID:
        await LotService(session, stage.clock, ledger).publish(officer, lot.id)
        return []
    second = await stage.user(session, f"commission@{code}.demo.kg")
    sealed = SealedLotService(session, stage.clock, ledger)
    commission = await hold_ceremony(sealed, officer, lot.id, [officer, second], 2)
    await sealed.publish(officer, lot.id)
    return commission


async def _open(stage: _Stage, lot_id: int, opens_at: datetime) -> None:
    stage.clock.set(opens_at)
    async with stage.services() as (session, ledger):
        await AuctionService(session, stage.clock, ledger).open_if_due(lot_id)


async def _close(
    stage: _Stage, code: str, lot_id: int, fmt: AuctionFormat, commission: list[SoftwareMember] | None
) -> None:
    """Bidding closes once its bids are in the ledger; an open or descending lot is decided at once, a sealed one
    when its commission (if given) posts its shares and opens the bids."""
    await Integrator(stage.sessions, stage.keys, stage.clock).integrate_all()
    async with stage.services() as (session, ledger):
        closes_at = (await AuctionService(session, stage.clock, ledger).auction_clock(lot_id)).closes_at
    stage.clock.set(max(stage.clock.now(), as_utc(closes_at)) + timedelta(seconds=1))
    async with stage.services() as (session, ledger):
        auctions = AuctionService(session, stage.clock, ledger)
        await auctions.close_if_due(lot_id)
        if fmt != AuctionFormat.SEALED_BID:
            await AwardService(session, stage.clock, ledger).decide(await auctions.lots.lock(lot_id))
    if fmt == AuctionFormat.SEALED_BID and commission is not None:
        async with stage.services() as (session, ledger):
            officer = await stage.user(session, f"officer@{code}.demo.kg")
            second = await stage.user(session, f"commission@{code}.demo.kg")
            sealed = SealedLotService(session, stage.clock, ledger)
            users = {officer.id: officer, second.id: second}
            await post_opening_shares(sealed, lot_id, [(users[sm.member], sm) for sm in commission])
            await sealed.open_and_award(officer, lot_id)


async def _play_red_flags(
    sessions: async_sessionmaker[AsyncSession], keys: LedgerKeys, now: datetime, first: int
) -> None:
    """Batken's red-flag lots (RED_FLAG_LOTS), a few weeks apart over the last three months."""
    code, lots = RED_FLAGS_CODE, RED_FLAG_LOTS

    def stage(days_ago: int) -> _Stage:
        return _Stage(sessions, keys, FrozenClock(now - timedelta(days=days_ago)))

    # Sold to the only bidder admitted, at the starting price: the lot's rule is to sell to a single participant.
    await _play_open(stage(60), code, lots["single_participant"], first, [PATRON], [PATRON])
    # Appraised at 2.5 times its starting price and sold one step above it, the shadow bidding first.
    await _play_open(
        stage(55),
        code,
        lots["below_valuation"],
        first + 1,
        [PATRON, SHADOW],
        [SHADOW, PATRON],
        valuation_percent=BELOW_VALUATION_APPRAISAL_PERCENT,
    )
    # A sealed lot: the local bidder withdraws their sealed bid ten minutes before the close; the patron's bid wins.
    offers = {SHADOW: 2, LOCAL: 6, PATRON: 3}  # steps above the starting price
    await _play_sealed_withdrawn(stage(50), code, lots["late_withdrawal"], first + 2, offers, LOCAL)
    # The local bidder outbids the neighbour, then declines the award: it passes to the neighbour at their lower bid.
    await _play_open(
        stage(45), code, lots["winner_walked_away"], first + 3, [NEIGHBOUR, LOCAL], [NEIGHBOUR, LOCAL], decline=True
    )
    # The patron and the shadow apply and neither bids, so the lot fails; its repeat, 20 % cheaper, goes to the patron.
    await _play_repeat(stage(90), code, lots["repeat"], first + 4, [PATRON, SHADOW], [SHADOW, PATRON])


async def _play_open(
    stage: _Stage,
    code: str,
    item: tuple[PropertyKind, Deal, str, str, str, int, str | None],
    number: int,
    admitted: list[str],
    bids: list[str],
    *,
    decline: bool = False,
    valuation_percent: int | None = None,
) -> int:
    """An open ascending lot from publication to the contract (or failure, without bids), each bid in turn the
    minimum next bid: its id. `valuation_percent` sets its appraisal against the starting price."""
    terms = _terms(
        item, AuctionFormat.OPEN_ASCENDING, stage.clock.now(), LotState.AWARDED, number, code, valuation_percent
    )
    lot_id, opens_at, _ = await _publish(stage, code, terms)
    await _auction_open(stage, code, lot_id, opens_at, admitted, bids)
    target = LotState.AWARDED if bids else LotState.FAILED
    await _after_result(stage, lot_id, code, target, decline_first=decline)
    return lot_id


async def _auction_open(
    stage: _Stage, code: str, lot_id: int, opens_at: datetime, admitted: list[str], bids: list[str]
) -> None:
    pseudonyms = await _admit(stage, f"officer@{code}.demo.kg", lot_id, admitted)
    await _open(stage, lot_id, opens_at)
    # Each bid the minimum next bid.
    await _bid(stage, lot_id, AuctionFormat.OPEN_ASCENDING, [(email, 0) for email in bids], pseudonyms)
    await _close(stage, code, lot_id, AuctionFormat.OPEN_ASCENDING, None)


async def _play_sealed_withdrawn(
    stage: _Stage,
    code: str,
    item: tuple[PropertyKind, Deal, str, str, str, int, str | None],
    number: int,
    offers: dict[str, int],
    withdrawer: str,
) -> None:
    """A sealed lot: each bidder seals an offer (steps above the starting price); `withdrawer` takes theirs back
    ten minutes before the close; the commission opens the standing bids and the highest wins."""
    terms = _terms(item, AuctionFormat.SEALED_BID, stage.clock.now(), LotState.AWARDED, number, code)
    lot_id, opens_at, commission = await _publish(stage, code, terms)
    pseudonyms = await _admit(stage, f"officer@{code}.demo.kg", lot_id, list(offers))
    await _open(stage, lot_id, opens_at)
    await _bid(stage, lot_id, AuctionFormat.SEALED_BID, list(offers.items()), pseudonyms)
    async with stage.services() as (session, ledger):
        auctions = AuctionService(session, stage.clock, ledger)
        stage.clock.set(as_utc((await auctions.auction_clock(lot_id)).closes_at) - timedelta(minutes=10))
        signed = await stage.signed(session, withdrawer, lot_id, "bid.withdrawn", {})
        await auctions.withdraw_sealed(await stage.user(session, withdrawer), lot_id, signed)
    await _close(stage, code, lot_id, AuctionFormat.SEALED_BID, commission)
    await _after_result(stage, lot_id, code, LotState.AWARDED, decline_first=False)


async def _play_repeat(
    stage: _Stage,
    code: str,
    item: tuple[PropertyKind, Deal, str, str, str, int, str | None],
    number: int,
    admitted: list[str],
    bids: list[str],
) -> None:
    """An open lot whose admitted bidders never bid fails; the officer relists it REPEAT_REDUCTION_PERCENT cheaper
    and the same bidders come back, this time bidding."""
    failed = await _play_open(stage, code, item, number, admitted, [])
    applications_close, opens, closes = _schedule(stage.clock.now())
    schedule = RepeatAuction(
        reduction_percent=REPEAT_REDUCTION_PERCENT,
        applications_close_at=applications_close,
        bidding_opens_at=opens,
        bidding_closes_at=closes,
    )
    async with stage.services() as (session, ledger):
        officer = await stage.user(session, f"officer@{code}.demo.kg")
        repeat = await LotService(session, stage.clock, ledger).relist(officer, failed, schedule)
        await _publish_draft(stage, session, ledger, officer, code, repeat)
        lot_id = repeat.id
    await _auction_open(stage, code, lot_id, opens, admitted, bids)
    await _after_result(stage, lot_id, code, LotState.AWARDED, decline_first=False)


async def _after_result(stage: _Stage, lot_id: int, code: str, target: LotState, *, decline_first: bool) -> None:
    """The commission signs the protocol the award (or failure) issued, the same day; an award goes on to the
    winner's signature, the contract's first payment and the refunds."""
    if target in {LotState.AWARDED, LotState.FAILED}:
        await _sign_protocol(stage, lot_id, code)
    if target == LotState.AWARDED:
        await _settle(stage, lot_id, decline_first=decline_first)
        await _after_contract(stage, lot_id, f"officer@{code}.demo.kg")


async def _admit(stage: _Stage, officer_email: str, lot_id: int, bidders: list[str]) -> dict[str, str]:
    pseudonyms = {}
    async with stage.services() as (session, ledger):
        officer = await stage.user(session, officer_email)
        participation = ParticipationService(session, stage.clock, ledger)
        for email in bidders:
            keys = [dict(demo_signer(email).key)]
            signed = await stage.signed(session, email, lot_id, "application.submitted", {"keys": keys})
            application = await participation.apply(await stage.user(session, email), lot_id, keys, signed)
            await participation.confirm_deposit(officer, application.id, f"KICB-{lot_id:05d}-{application.id:05d}")
            pseudonyms[email] = application.pseudonym
    return pseudonyms


def _rounds(fmt: AuctionFormat, bidders: list[str]) -> list[tuple[str, int]]:
    """A demo lot's bids (bidder, steps; see _bid): two rounds of open bids, each a step higher than the last; one
    sealed offer each, seven steps apart; or the first bidder taking a descending lot."""
    if fmt == AuctionFormat.OPEN_ASCENDING:
        return [(email, round_number) for round_number, email in enumerate(bidders * 2)]
    if fmt == AuctionFormat.SEALED_BID:
        return [(email, round_number * 7 + 3) for round_number, email in enumerate(bidders)]
    return [(email, 0) for email in bidders]


async def _bid(
    stage: _Stage, lot_id: int, fmt: AuctionFormat, bids: list[tuple[str, int]], pseudonyms: dict[str, str]
) -> None:
    """Each (bidder, steps) in turn, seven minutes apart: an open bid `steps` bid steps above the minimum next bid, a
    sealed offer `steps` steps above the starting price; the first bidder takes a descending lot at its price."""
    for round_number, (email, steps) in enumerate(bids):
        stage.clock.advance(timedelta(minutes=7))
        async with stage.services() as (session, ledger):
            bidder = await stage.user(session, email)
            auctions = AuctionService(session, stage.clock, ledger)
            lot = await auctions.lots.get(lot_id)
            key = f"demo-{lot_id}-{round_number}"
            if fmt == AuctionFormat.OPEN_ASCENDING:
                running = await auctions.auction_clock(lot_id)
                amount = minimum_next_bid(lot.starting_price, lot.bid_step, running.current_price)
                amount += steps * lot.bid_step
                signed = await stage.signed(session, email, lot_id, "bid.placed", {"amount": amount})
                await auctions.place_bid(bidder, lot_id, amount, key, signed)
            elif fmt == AuctionFormat.SEALED_BID:
                public_key = await SealedLotService(session, stage.clock, ledger).public_key(lot_id)
                assert public_key is not None
                amount = lot.starting_price + steps * lot.bid_step
                ciphertext = encrypt_bid(b64url_decode(public_key), lot_id, pseudonyms[email], amount)
                fields = {"ciphertext_hash": ciphertext_hash(ciphertext)}
                signed = await stage.signed(session, email, lot_id, "bid.sealed", fields)
                await auctions.submit_sealed(bidder, lot_id, ciphertext, key, signed)
            else:
                # The first bidder takes the lot once the price has dropped a few steps.
                assert lot.floor_price is not None
                assert lot.price_drop_interval_seconds is not None
                limit = dutch_price(
                    lot.starting_price,
                    lot.bid_step,
                    lot.floor_price,
                    as_utc(lot.bidding_opens_at),
                    timedelta(seconds=lot.price_drop_interval_seconds),
                    stage.clock.now(),
                )
                signed = await stage.signed(session, email, lot_id, "bid.accepted", {"limit": limit})
                await auctions.accept_price(bidder, lot_id, key, limit, signed)
                return


async def _sign_protocol(stage: _Stage, lot_id: int, code: str) -> None:
    """Each commission member signs the issued protocol's hash with the key registered on their own account."""
    stage.clock.advance(timedelta(hours=1))
    async with stage.services() as (session, ledger):
        protocols = ProtocolService(session, stage.clock, ledger)
        view = await protocols.get(lot_id)
        for member_id in view.commission:
            member = await session.get(User, member_id)
            assert member is not None, member_id
            assert member.email.endswith(f"@{code}.demo.kg"), member.email
            signer = demo_signer(member.email)
            signature = signer.signature(view.statement(member.id))
            await protocols.sign(member, lot_id, st.key_id(signer.key), {"key_id": st.key_id(signer.key), **signature})


async def _after_contract(stage: _Stage, lot_id: int, officer_email: str) -> None:
    """The contract's first line is paid (a sale's payment or first instalment, a lease's first rent period) and
    the deposits of those who did not win are refunded; the officer records both with the bank's references."""
    stage.clock.advance(timedelta(days=2))
    async with stage.services() as (session, ledger):
        officer = await stage.user(session, officer_email)
        contracts = ContractService(session, stage.clock, ledger)
        statement = await contracts.statement(lot_id)
        if statement is None:  # the award lapsed or passed to nobody: no contract to pay
            return
        first = statement.lines[0]
        if first.outstanding == 0:  # the deposit credited covered it
            return
        paid_on = bishkek_date(stage.clock.now())
        reference = f"KICB-PAY-{lot_id:05d}-{first.number:02d}"
        await contracts.record_payment(officer, lot_id, first.number, first.outstanding, paid_on, reference)
    stage.clock.advance(timedelta(hours=3))
    async with stage.services() as (session, ledger):
        officer = await stage.user(session, officer_email)
        deposits = DepositService(session, stage.clock, ledger)
        lot = await deposits.lots.get(lot_id)
        for line in await deposits.lines(lot):
            if line.fate == DepositFate.OWED:
                await deposits.record_refund(officer, line.application.id, f"KICB-REF-{line.application.id:05d}")


async def _settle(stage: _Stage, lot_id: int, *, decline_first: bool) -> None:
    """The winner signs; in some lots the winner declines first and the runner-up signs instead."""
    stage.clock.advance(timedelta(days=1))
    async with stage.services() as (session, ledger):
        awards = AwardService(session, stage.clock, ledger)
        offered = [a for a in await awards.awards(lot_id) if a.status == AwardStatus.AWAITING_SIGNATURE]
        if not offered:
            return
        award = offered[0]
        winner = await session.get(User, award.bidder_id)
        assert winner is not None
        if decline_first:
            signed = await stage.signed(session, winner.email, lot_id, "award.declined", {})
            passed = await awards.decline(winner, lot_id, signed)
            if passed is None:
                return
            award = passed
            winner = await session.get(User, passed.bidder_id)
            assert winner is not None
        signed = await stage.signed(session, winner.email, lot_id, "award.signed", {"price": award.price})
        await awards.sign(winner, lot_id, signed)


def _terms(
    item: tuple[PropertyKind, Deal, str, str, str, int, str | None],
    fmt: AuctionFormat,
    created: datetime,
    target: LotState,
    number: int,
    code: str,
    valuation_percent: int | None = None,
) -> LotCreate:
    """A demo lot's terms; `valuation_percent` sets its appraisal against the starting price (default: a plausible
    one, demo_valuation)."""
    kind, deal, en, ru, ky, price_som, registration = item
    start = price_som * SOM
    use, area, indexation = (
        LEASES.get(registration or "", (None, None, None)) if deal == Deal.LEASE else (None, None, None)
    )
    applications_close, opens, closes = _schedule(created)
    if target == LotState.BIDDING:  # a lot shown mid-auction closes in a few days
        closes = _working_noon_after(opens + timedelta(days=25))
    valuation = demo_valuation(start, number) if valuation_percent is None else start * valuation_percent // 100
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
        area_sqm=area,
        permitted_use=use,
        indexation_percent=indexation,
        starting_price=start,
        bid_step=max(start // 20, SOM),
        deposit=start // 10,
        valuation=valuation,
        lease_term_months=36 if deal == Deal.LEASE else None,
        rent_period=RentPeriod.MONTH if deal == Deal.LEASE else None,
        applications_close_at=applications_close,
        bidding_opens_at=opens,
        bidding_closes_at=closes,
        floor_price=start // 2 if fmt == AuctionFormat.DESCENDING else None,
        price_drop_interval_seconds=300 if fmt == AuctionFormat.DESCENDING else None,
        single_participant_rule=SingleParticipantRule.SELL_AT_START,
        council_decision=f"{code.replace('_', ' ').title()} kenesh decision No. {14 + number} of 12.03.2026",
        # Deposits go to the municipality's treasury account (the BIK's first 3 digits start the account).
        payment_recipient=f"{code.replace('_', ' ').title()} municipality (local budget)",
        payment_bank="Central Treasury of the Ministry of Finance of the Kyrgyz Republic",
        payment_bank_code="440001",
        payment_account=f"440{sum(map(ord, code)) % 1000:03d}{number:010d}",
        payment_purpose=f"Auction deposit, {code.replace('_', ' ').title()} lot No. {number}",
    )


def _schedule(created: datetime) -> tuple[datetime, datetime, datetime]:
    """A lot's applications close, bidding opens and bidding closes, under the default rules (docs/rules.md):
    applications stay open 21 days (20 are required), and bidding runs three hours on a working day in Bishkek, from
    noon."""
    applications_close = created + timedelta(days=21)
    opens = _working_noon_after(applications_close + timedelta(days=1))
    return applications_close, opens, opens + timedelta(hours=3)


def demo_valuation(start: int, number: int) -> int:
    """A plausible appraised value: 100 to 130 percent of the starting price (municipalities start near or below
    the appraisal), varied by the lot's number; rounded down to whole som, as appraisal reports state it."""
    percent = 100 + (number * 7) % 31
    return start * percent // 100 // SOM * SOM


def _working_noon_after(moment: datetime) -> datetime:
    """The first noon in Bishkek on a weekday at or after ``moment``: within every default rule's working hours."""
    local = moment.astimezone(BISHKEK)
    noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon < local:
        noon += timedelta(days=1)
    while noon.weekday() >= 5:
        noon += timedelta(days=1)
    return noon.astimezone(UTC)
