"""The world a test starts from: the pilot municipalities, people of every role, lots at a chosen stage.

Everything is made through the domain services (not HTTP), so a page or API test reads a lot that was
built the way the platform builds it, in a fraction of the requests. Names are the ones tests speak:
``world.lot(stage="bidding", format="sealed")``, ``await world.bidder("bidder3")``, ``world.auth("admin")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import BidderKind, Role, User
from auction.accounts.service import AccountService
from auction.bidding.commission_member import SoftwareMember, hold_ceremony
from auction.bidding.keys import KeyService
from auction.bidding.models import Application
from auction.bidding.opening import SealedLotService
from auction.bidding.participation import ParticipationService
from auction.bidding.signer import Ed25519Signer, StatementSigner, next_statement, sign
from auction.clock import FrozenClock
from auction.db.engine import transaction
from auction.ledger.admission import LedgerWriter
from auction.ledger.keys import LedgerKeys
from auction.ledger.verifier.municipal_rules import BISHKEK, MunicipalRules
from auction.lots.schemas import LotCreate
from auction.lots.service import LotService
from auction.municipalities.service import MunicipalityService

PASSWORD = "correct horse battery"
# The commission of a sealed lot: software members, whose keys only the test holds (World.commission_keys).
COMMISSION = ("officer_tokmok", "officer2_tokmok")

Stage = Literal["draft", "published", "applications", "bidding", "closed", "awarded"]
Format = Literal["open", "sealed", "descending"]
STAGES: tuple[Stage, ...] = ("draft", "published", "applications", "bidding", "closed", "awarded")
FORMATS: dict[Format, str] = {"open": "open_ascending", "sealed": "sealed_bid", "descending": "descending"}


# The schedule of a kit lot keeps the default municipal rules (docs/rules.md): applications stay open NOTICE after
# publishing (the rules ask for 20 days), and bidding runs on a working day in Bishkek from noon for three hours.
NOTICE = timedelta(days=21)
BIDDING_HOURS = timedelta(hours=3)
COUNCIL_DECISION = "Tokmok city kenesh decision No. 14 of 12.03.2026"


def working_noon_after(moment: datetime) -> datetime:
    """The first noon in Bishkek on a weekday at or after ``moment`` (UTC): a time every default rule accepts."""
    local = moment.astimezone(BISHKEK)
    noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon < local:
        noon += timedelta(days=1)
    while noon.weekday() >= 5:
        noon += timedelta(days=1)
    return noon.astimezone(UTC)


def kit_schedule(now: datetime) -> tuple[datetime, datetime, datetime]:
    """A kit lot's applications deadline, opening and close when published at ``now``.

    From the tests' START (Monday 1 June 2026, noon in Bishkek): applications close 21 days later, bidding opens the
    next day at noon (2026-06-23T06:00Z) and closes at 15:00.
    """
    deadline = now + NOTICE
    opens = working_noon_after(deadline + timedelta(days=1))
    return deadline, opens, opens + BIDDING_HOURS


# Where the kit's bidders pay deposits: a lot that takes one is published only with these (auction/lots/payment.py).
PAYMENT_DETAILS = {
    "payment_recipient": "Tokmok city hall (мэрия г. Токмок)",
    "payment_bank": "Central Treasury of the Ministry of Finance",
    "payment_account": "4402011101000001",
    "payment_bank_code": "440001",
    "payment_purpose": "Auction deposit, lot of Tokmok",
}


# A monthly shop lease of six months at 20 000 som a month: bidder2 wins it at 21 000 and the 5 000 som deposit
# pays part of the first month (the contract, open-data and statistics tests all read that schedule).
SHOP_LEASE: dict[str, Any] = {
    "deal": "lease",
    "kind": "building",
    "lease_term_months": 6,
    "rent_period": "month",
    "permitted_use": "Shop",
    "starting_price": 20_000_00,
    "bid_step": 1_000_00,
    "deposit": 5_000_00,
}


def lot_terms(now: datetime, **overrides: Any) -> dict[str, Any]:
    """A valid open-ascending land sale published at ``now`` under the default rules, as JSON the API accepts."""
    deadline, opens, closes = kit_schedule(now)
    body: dict[str, Any] = {
        "deal": "sale",
        "kind": "land_plot",
        "format": "open_ascending",
        "title_en": "Land plot on Lenin street",
        "title_ru": "Земельный участок на улице Ленина",
        "description_en": "0.08 ha for a family house.",
        "address": "12 Lenin street, Tokmok",
        "registration_number": "1-02-03-0004-0005",
        "starting_price": 100_000_00,
        "bid_step": 5_000_00,
        "deposit": 10_000_00,
        "applications_close_at": deadline.isoformat(),
        "bidding_opens_at": opens.isoformat(),
        "bidding_closes_at": closes.isoformat(),
        "council_decision": COUNCIL_DECISION,
        **PAYMENT_DETAILS,
    }
    body.update(overrides)
    return body


@dataclass
class World:
    """The pilot municipalities and named accounts with API tokens; grows as a test asks for more."""

    sessions: async_sessionmaker[AsyncSession]
    clock: FrozenClock
    keys: LedgerKeys
    municipality: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    bidders: int = 0
    # lot id -> its commission's software members, holding the keys that only they have
    commission_keys: dict[int, list[SoftwareMember]] = field(default_factory=dict)
    # Each bidder's software key, registered on their account: the kit signs every bidder action with it.
    signers: dict[str, StatementSigner] = field(default_factory=dict)
    # Whether Tokmok runs under drill rules (tests/kit/site.py: live auctions within seconds, by the real clock).
    drill: bool = False

    def auth(self, who: str) -> dict[str, str]:
        """The Authorization header of a named account."""
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def user(self, who: str) -> User:
        async with self.sessions() as session:
            user = await session.get(User, self.user_ids[who])
            assert user is not None, who
            return user

    async def bidder(self, name: str | None = None, full_name: str | None = None) -> str:
        """A new individual bidder (named ``bidder<n>`` unless given a name); returns the name."""
        self.bidders += 1
        name = name or f"bidder{self.bidders}"
        number = f"215061985{self.bidders:05d}"  # a valid personal number, one per bidder
        extra = {"bidder_kind": BidderKind.INDIVIDUAL, "identity_number": number}
        await self._person(name, Role.BIDDER, None, extra, full_name)
        signer = Ed25519Signer()
        async with transaction(self.sessions) as session:
            user = await session.get(User, self.user_ids[name])
            assert user is not None
            await KeyService(session, self.clock).add_ed25519(user, signer.public_key, signer.proof(user.id), "kit")
        self.signers[name] = signer
        return name

    async def statement(
        self,
        who: str,
        lot_id: int,
        action: str,
        fields: dict[str, Any],
        *,
        session: AsyncSession | None = None,
        seen_at: datetime | None = None,
    ) -> dict[str, Any]:
        """The statement of ``who``'s next action on a lot, as their device builds it."""
        moment = seen_at or self.clock.now()
        if session is not None:
            return await next_statement(session, self.keys, self.user_ids[who], lot_id, action, fields, moment)
        async with self.sessions() as own:
            return await next_statement(own, self.keys, self.user_ids[who], lot_id, action, fields, moment)

    async def signed(
        self,
        who: str,
        lot_id: int,
        action: str,
        fields: dict[str, Any] | None = None,
        *,
        signer: StatementSigner | None = None,
        session: AsyncSession | None = None,
        seen_at: datetime | None = None,
    ) -> dict[str, Any]:
        """``who``'s `signed` object for their next action on a lot, by their kit key unless another is given."""
        stmt = await self.statement(who, lot_id, action, fields or {}, session=session, seen_at=seen_at)
        return sign(signer or self.signers[who], stmt)

    def key_list(self, who: str) -> list[dict[str, str]]:
        """The keys an application of ``who`` puts on a lot: their kit key."""
        return [dict(self.signers[who].key)]

    async def apply(self, who: str, lot_id: int, session: AsyncSession, ledger: LedgerWriter) -> Application:
        """``who`` applies to a lot, signing the application with their kit key."""
        bidder = await session.get(User, self.user_ids[who])
        assert bidder is not None, who
        keys = self.key_list(who)
        signed = await self.signed(who, lot_id, "application.submitted", {"keys": keys}, session=session)
        return await ParticipationService(session, self.clock, ledger).apply(bidder, lot_id, keys, signed)

    async def set_rules(self, municipality: str, rules: MunicipalRules) -> None:
        """The administrator sets a municipality's rules (a `municipality.rules` entry): later lots keep them."""
        async with transaction(self.sessions) as session:
            admin = await session.get(User, self.user_ids["admin"])
            assert admin is not None
            service = MunicipalityService(session, LedgerWriter(session, self.keys, self.clock))
            await service.set_rules(admin, self.municipality[municipality], rules)

    async def officer(self, name: str, municipality: str = "tokmok", full_name: str | None = None) -> str:
        await self._person(name, Role.OFFICER, self.municipality[municipality], {}, full_name)
        return name

    async def _person(
        self, name: str, role: Role, municipality_id: int | None, extra: dict[str, Any], full_name: str | None = None
    ) -> None:
        async with transaction(self.sessions) as session:
            accounts = AccountService(session, self.clock)
            user = await accounts.create_user(
                email=f"{name}@test.kg",
                password=PASSWORD,
                full_name=full_name or name.replace("_", " ").title(),
                role=role,
                municipality_id=municipality_id,
                **extra,
            )
            self.tokens[name] = await accounts.issue_token(user, "tests")
            self.user_ids[name] = user.id

    async def lot(
        self,
        stage: Stage = "published",
        format: Format = "open",  # noqa: A002 - the domain's word for an auction's kind
        *,
        bidders: tuple[str, ...] = ("bidder", "bidder2"),
        by: str = "officer_tokmok",
        **terms: Any,
    ) -> int:
        """A lot of ``by``'s municipality at ``stage``; from "applications" on, ``bidders`` are approved.

        "closed" and "awarded" are reached by a contest (see ``Drive.contest``): a sealed lot stays closed
        until its commission opens it; the other formats are decided by the same tick that closes them.
        """
        from tests.kit.drive import Drive  # the driver builds on the world

        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; one of {STAGES}")
        async with transaction(self.sessions) as session:
            officer = await session.get(User, self.user_ids[by])
            assert officer is not None, by
            ledger = LedgerWriter(session, self.keys, self.clock)
            lots = LotService(session, self.clock, ledger)
            if format == "descending":
                terms = {"floor_price": 50_000_00, "price_drop_interval_seconds": 60, **terms}
            lot = await lots.create(officer, LotCreate(**lot_terms(self.clock.now(), format=FORMATS[format], **terms)))
            lot_id = lot.id
            if stage != "draft":
                if format == "sealed":
                    members = [await session.get(User, self.user_ids[name]) for name in COMMISSION]
                    sealed = SealedLotService(session, self.clock, ledger)
                    self.commission_keys[lot_id] = await hold_ceremony(
                        sealed, officer, lot_id, [m for m in members if m is not None], 2
                    )
                    await sealed.publish(officer, lot_id)
                else:
                    await lots.publish(officer, lot_id)
            if STAGES.index(stage) >= STAGES.index("applications"):
                participation = ParticipationService(session, self.clock, ledger)
                for who in bidders:
                    application = await self.apply(who, lot_id, session, ledger)
                    await participation.confirm_deposit(officer, application.id, f"KICB-{who}")
        drive = Drive(self)
        if STAGES.index(stage) >= STAGES.index("bidding"):
            await drive.open(lot_id)
        if STAGES.index(stage) >= STAGES.index("closed"):
            await drive.contest(lot_id, bidders)
            await drive.close(lot_id)
        if stage == "awarded" and format == "sealed":
            await drive.open_sealed(lot_id)
        return lot_id


async def build_world(sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, keys: LedgerKeys) -> World:
    """The pilot municipalities plus one account of each role, and the people a contest needs.

    Named accounts: officer_tokmok, officer2_tokmok (the sealed lots' second commission member),
    officer_naryn, officer2_naryn, admin, inspector, bidder and bidder2.
    """
    world = World(sessions, clock, keys)
    async with transaction(sessions) as session:
        municipalities = await MunicipalityService(session).seed_pilot()
        world.municipality = {code: m.id for code, m in municipalities.items()}
    await world.officer("officer_tokmok")
    await world.officer("officer2_tokmok", full_name="Bakyt Toktogulov")
    await world.officer("officer_naryn", "naryn")
    # Every lot has a commission of at least two officers, who sign its results protocol.
    await world.officer("officer2_naryn", "naryn", full_name="Aida Sultanova")
    await world._person("admin", Role.ADMIN, None, {})
    await world._person("inspector", Role.INSPECTOR, None, {})
    await world.bidder("bidder")
    await world.bidder("bidder2", full_name="Nurlan Beishenov")
    return world
