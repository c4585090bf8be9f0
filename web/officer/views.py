"""What the officer console reads about a lot's auction: applications with their bidders, the commission,
the running auction, the result, and the record a results protocol prints."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import NamedDependency

from auction.accounts.models import User
from auction.accounts.service import AccountService
from auction.bidding.auction import AuctionService
from auction.bidding.awards import AwardService
from auction.bidding.disclosure import pseudonyms_linkable
from auction.bidding.live import LiveAuctions
from auction.bidding.models import Application, AuctionClock, Award, Bid
from auction.bidding.opening import CeremonyView, Commission, SealedLotService
from auction.bidding.participation import ParticipationService
from auction.errors import NotFound
from auction.ledger.models import SignedCheckpoint
from auction.ledger.queries import LedgerReader
from auction.lots.models import AuctionFormat, Lot, LotState
from auction.lots.rules import amounts_public
from auction.municipalities.models import Municipality
from web.bidding.live import WATCHED_STATES, Live, LiveView, live_stream_url, shared_live_url

REVIEWABLE_STATES = frozenset({LotState.PUBLISHED, LotState.BIDDING})


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    application: Application
    bidder: User | None


@dataclass(frozen=True, slots=True)
class OfficerAuction:
    lot: Lot
    applications: list[ApplicationRow]
    live: Live | None
    stream_url: str | None
    commission: Commission | None
    awards: list[Award]
    bids: list[Bid]
    # The stream the officer's tabs share (web/static/js/live-tabs.js), without its lots; stream_url is the fallback.
    shared_stream_url: str | None = None

    @property
    def reviewable(self) -> bool:
        return self.lot.state in REVIEWABLE_STATES

    @property
    def admitting(self) -> bool:
        """Deposits are confirmed only before bidding opens; a pending application may still be rejected."""
        return self.lot.state == LotState.PUBLISHED

    @property
    def may_open(self) -> bool:
        """A closed sealed lot waits for its commission."""
        return self.lot.state == LotState.CLOSED and self.commission is not None and self.commission.opened_at is None

    @property
    def may_decide(self) -> bool:
        """Enough members have posted their decryption shares to open the bids."""
        commission = self.commission
        return self.may_open and commission is not None and commission.shares_posted >= commission.threshold

    @property
    def pseudonyms_shown(self) -> bool:
        """Whether the applicants' pseudonyms may sit next to their names: only once the lot is decided."""
        return pseudonyms_linkable(self.lot.state)

    @property
    def amounts_known(self) -> bool:
        return amounts_public(self.lot.format, self.lot.state)


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
        live: LiveAuctions,
        accounts: AccountService,
        participation: ParticipationService,
        auctions: AuctionService,
        awards: AwardService,
        sealed: SealedLotService,
        ledger: LedgerReader,
    ) -> None:
        self.live = live
        self.sealed = sealed
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
        if not pseudonyms_linkable(lot.state):
            # In the order of application, the list would line up with the ledger's application.submitted entries
            # and give each name its pseudonym: by name, it does not.
            rows.sort(key=lambda row: (row.bidder.full_name.casefold() if row.bidder else "", row.application.id))
        live = stream_url = shared_stream_url = None
        if lot.state in WATCHED_STATES:
            live = await self.live.state(lot.id, viewer=officer)
            stream_url = live_stream_url(lot.id, view=LiveView.OFFICER, shown=lot.state, language=language)
            shared_stream_url = shared_live_url(language=language)
        return OfficerAuction(
            lot=lot,
            applications=rows,
            live=live,
            stream_url=stream_url,
            shared_stream_url=shared_stream_url,
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
        """Who may sit on a commission of this municipality's lots (SealedLotService.publish refuses anyone else)."""
        return await self.accounts.officers_of(municipality_id)

    async def ceremony(self, lot: Lot) -> CeremonyView | None:
        """The sealed draft's current key ceremony, if one was started."""
        try:
            return await self.sealed.ceremony(lot.id)
        except NotFound:
            return None

    async def commission(self, lot: Lot) -> Commission | None:
        return await self.sealed.commission(lot.id) if lot.format == AuctionFormat.SEALED_BID else None


def provide_officer_desk(
    live_auctions: NamedDependency[LiveAuctions],
    account_service: NamedDependency[AccountService],
    participation_service: NamedDependency[ParticipationService],
    auction_service: NamedDependency[AuctionService],
    award_service: NamedDependency[AwardService],
    sealed_lot_service: NamedDependency[SealedLotService],
    ledger_reader: NamedDependency[LedgerReader],
) -> OfficerDesk:
    return OfficerDesk(
        live_auctions,
        account_service,
        participation_service,
        auction_service,
        award_service,
        sealed_lot_service,
        ledger_reader,
    )
