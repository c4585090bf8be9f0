"""What the officer console reads about a lot's auction: applications with their bidders, the commission,
the running auction, the result, and the record a results protocol prints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from litestar.di import NamedDependency
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role, User
from auction.accounts.service import AccountService
from auction.bidding.auction import AuctionService
from auction.bidding.awards import AwardService
from auction.bidding.models import Application, AuctionClock, Award, Bid, SealedLotKey
from auction.bidding.participation import ParticipationService
from auction.clock import Clock
from auction.errors import NotFound
from auction.ledger.models import SignedCheckpoint
from auction.ledger.queries import LedgerReader
from auction.lots.models import AuctionFormat, Lot, LotState
from auction.municipalities.models import Municipality
from web.bidding.live import WATCHED_STATES, Live, LiveView, live_stream_url, load_live
from web.bidding.views import DECIDED_STATES

REVIEWABLE_STATES = frozenset({LotState.PUBLISHED, LotState.BIDDING})


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    application: Application
    bidder: User | None


@dataclass(frozen=True, slots=True)
class Commission:
    """A sealed lot's commission as published: how many must open, who, and whether they have."""

    threshold: int
    members: list[User]
    opened_at: datetime | None


@dataclass(frozen=True, slots=True)
class OfficerAuction:
    lot: Lot
    applications: list[ApplicationRow]
    live: Live | None
    stream_url: str | None
    commission: Commission | None
    awards: list[Award]
    bids: list[Bid]

    @property
    def reviewable(self) -> bool:
        return self.lot.state in REVIEWABLE_STATES

    @property
    def may_open(self) -> bool:
        """A closed sealed lot waits for its commission."""
        return self.lot.state == LotState.CLOSED and self.commission is not None and self.commission.opened_at is None

    @property
    def amounts_known(self) -> bool:
        return self.lot.format != AuctionFormat.SEALED_BID or self.lot.state in DECIDED_STATES


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The newest body on the lot's chain: every earlier one is committed to by its hash chain."""

    lot_seq: int
    kind: str
    body_hash: str
    integrated: bool


@dataclass(frozen=True, slots=True)
class Protocol:
    auction: OfficerAuction
    municipality: Municipality
    clock: AuctionClock | None
    chain_head: ChainHead | None
    checkpoint: SignedCheckpoint | None
    verifier_key: str


class OfficerDesk:
    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        accounts: AccountService,
        participation: ParticipationService,
        auctions: AuctionService,
        awards: AwardService,
        ledger: LedgerReader,
    ) -> None:
        self.session = session
        self.clock = clock
        self.accounts = accounts
        self.participation = participation
        self.auctions = auctions
        self.awards = awards
        self.ledger = ledger

    async def auction(self, lot: Lot, officer: User, language: str) -> OfficerAuction:
        rows = [
            ApplicationRow(application, await self.accounts.get(application.bidder_id))
            for application in await self.participation.applications_of_lot(officer, lot.id)
        ]
        live = stream_url = None
        if lot.state in WATCHED_STATES:
            live = await load_live(self.session, self.clock, lot.id)
            stream_url = live_stream_url(lot.id, view=LiveView.OFFICER, shown=lot.state, language=language)
        return OfficerAuction(
            lot=lot,
            applications=rows,
            live=live,
            stream_url=stream_url,
            commission=await self.commission(lot),
            awards=await self.awards.awards(lot.id),
            bids=await self.auctions.bids(lot.id) if lot.state != LotState.PUBLISHED else [],
        )

    async def protocol(self, lot: Lot, officer: User, municipality: Municipality, language: str) -> Protocol:
        try:
            clock: AuctionClock | None = await self.auctions.auction_clock(lot.id)
        except NotFound:
            clock = None
        return Protocol(
            auction=await self.auction(lot, officer, language),
            municipality=municipality,
            clock=clock,
            chain_head=await self.chain_head(lot.id),
            checkpoint=await self.ledger.latest_checkpoint(),
            verifier_key=self.ledger.verifier_key(),
        )

    async def chain_head(self, lot_id: int) -> ChainHead | None:
        pending = await self.ledger.pending_of_lot(lot_id)
        if pending:
            newest = pending[-1]
            return ChainHead(newest.lot_seq, newest.kind, newest.body_hash, integrated=False)
        entries = await self.ledger.entries_of_lot(lot_id)
        if entries:
            last = entries[-1]
            return ChainHead(last.lot_seq, last.kind, last.body_hash, integrated=True)
        return None

    async def officers_of(self, municipality_id: int) -> list[User]:
        """Who may sit on a commission of this municipality's lots.

        AccountService has no listing of users yet; this read is the same test the ceremony applies
        (SealedLotService.publish refuses anyone else).
        """
        rows = await self.session.scalars(
            select(User)
            .where(User.role == Role.OFFICER, User.municipality_id == municipality_id, User.is_active.is_(True))
            .order_by(User.full_name, User.id)
        )
        return list(rows)

    async def commission(self, lot: Lot) -> Commission | None:
        """The lot's commission from its sealed-key record (SealedLotService exposes only the public key)."""
        if lot.format != AuctionFormat.SEALED_BID:
            return None
        record = await self.session.get(SealedLotKey, lot.id)
        if record is None:
            return None
        members = []
        for share in record.shares:
            member = await self.accounts.get(int(share["member"]))
            if member is not None:
                members.append(member)
        return Commission(record.threshold, members, record.opened_at)


def provide_officer_desk(
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    account_service: NamedDependency[AccountService],
    participation_service: NamedDependency[ParticipationService],
    auction_service: NamedDependency[AuctionService],
    award_service: NamedDependency[AwardService],
    ledger_reader: NamedDependency[LedgerReader],
) -> OfficerDesk:
    return OfficerDesk(
        db_session, clock, account_service, participation_service, auction_service, award_service, ledger_reader
    )
