"""What the pages read about bidding, always through the domain's services: a lot's bidding panel for one
visitor, and a bidder's own applications, bids and receipts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from litestar.di import NamedDependency

from auction.accounts.models import Role, User
from auction.bidding.auction import AuctionService
from auction.bidding.awards import AwardService
from auction.bidding.live import LiveAuctions
from auction.bidding.models import Application, ApplicationStatus, Award, AwardStatus, Bid, BidStatus, RunoffOffer
from auction.bidding.opening import SealedLotService
from auction.bidding.participation import ParticipationService
from auction.clock import as_utc
from auction.ledger.admission import Admitted
from auction.ledger.queries import LedgerReader
from auction.lots.models import AuctionFormat, Lot, LotState
from auction.lots.rules import DECIDED_STATES
from web.bidding.live import WATCHED_STATES, Live, LiveView, live_stream_url, shared_live_url
from web.bidding.schemas import ActionReceiptOut
from web.lib.visitor import Visitor


@dataclass(frozen=True, slots=True)
class MyBid:
    """One of the visitor's accepted bids, with whether its ledger entry can be proven yet."""

    bid: Bid
    integrated: bool


@dataclass(frozen=True, slots=True)
class BiddingPanel:
    """Everything the lot page's bidding panel shows one visitor."""

    lot: Lot
    is_bidder: bool
    user_id: int | None
    application: Application | None
    applications_open: bool
    live: Live | None
    stream_url: str | None
    public_key: str | None
    my_bids: list[MyBid] = field(default_factory=list)
    awards: list[Award] = field(default_factory=list)
    bids: list[Bid] = field(default_factory=list)
    # A descending tie's run-off: whether this visitor is one of its contenders, and their own offer if made.
    runoff_contender: bool = False
    runoff_offer: RunoffOffer | None = None
    # The stream the visitor's tabs share (web/static/js/live-tabs.js), without its lots; stream_url is the fallback.
    shared_stream_url: str | None = None

    @property
    def approved(self) -> bool:
        return self.application is not None and self.application.status == ApplicationStatus.APPROVED

    @property
    def may_bid(self) -> bool:
        return self.lot.state == LotState.BIDDING and self.approved

    @property
    def decided(self) -> bool:
        return self.lot.state in DECIDED_STATES

    @property
    def standing_sealed(self) -> Bid | None:
        """The visitor's sealed bid that counts now (a newer one replaces it; a withdrawal leaves none)."""
        if self.lot.format != AuctionFormat.SEALED_BID:
            return None
        standing = [mine.bid for mine in self.my_bids if mine.bid.status == BidStatus.STANDING]
        return standing[-1] if standing else None

    @property
    def offered(self) -> Award | None:
        """The award waiting for this visitor's signature, if the lot is offered to them."""
        for award in self.awards:
            if award.status == AwardStatus.AWAITING_SIGNATURE and award.bidder_id == self.user_id:
                return award
        return None


def action_receipt(admitted: Admitted) -> dict[str, Any]:
    """The receipt of an application, withdrawal or award answer as the page shows it, with its download.

    These receipts are stored nowhere but with the bidder, so the download is the answer itself (a data: link):
    the same JSON the API answers with, whose `receipt` note the verifier's --receipt checks.
    """
    receipt = ActionReceiptOut.of(admitted).model_dump(mode="json")
    content = json.dumps(receipt, ensure_ascii=False, indent=2) + "\n"
    return {
        **receipt,
        "download": "data:application/json;charset=utf-8," + quote(content, safe=""),
        "filename": f"achyk-receipt-lot{admitted.lot_id}-seq{admitted.lot_seq}.json",
    }


class BiddingDesk:
    def __init__(
        self,
        live: LiveAuctions,
        participation: ParticipationService,
        auctions: AuctionService,
        awards: AwardService,
        sealed: SealedLotService,
        ledger: LedgerReader,
    ) -> None:
        self.live = live
        self.participation = participation
        self.auctions = auctions
        self.awards = awards
        self.sealed = sealed
        self.ledger = ledger

    async def panel(self, lot: Lot, visitor: Visitor) -> BiddingPanel:
        user = visitor.user
        is_bidder = user is not None and user.role == Role.BIDDER
        application = await self.application(user, lot.id) if is_bidder and user else None
        live = None
        stream_url = shared_stream_url = None
        if lot.state in WATCHED_STATES:
            live = await self.live.state(lot.id, viewer=user)
            stream_url = live_stream_url(lot.id, view=LiveView.PUBLIC, shown=lot.state, language=visitor.language)
            shared_stream_url = shared_live_url(language=visitor.language)
        decided = lot.state in DECIDED_STATES
        my_bids = await self.bids_on(user, lot.id) if application and user else []
        contender = bool(
            live is not None
            and live.runoff_closes_at is not None
            and any(mine.bid.status == BidStatus.STANDING for mine in my_bids)
        )
        return BiddingPanel(
            lot=lot,
            is_bidder=is_bidder,
            user_id=user.id if user else None,
            application=application,
            applications_open=lot.state == LotState.PUBLISHED and visitor.now < as_utc(lot.applications_close_at),
            live=live,
            stream_url=stream_url,
            shared_stream_url=shared_stream_url,
            public_key=await self.sealed.public_key(lot.id) if lot.format == AuctionFormat.SEALED_BID else None,
            my_bids=my_bids,
            awards=await self.awards.awards(lot.id) if decided else [],
            bids=await self.auctions.bids(lot.id) if decided else [],
            runoff_contender=contender,
            runoff_offer=await self.auctions.runoff_offer_of(user, lot.id) if contender and user else None,
        )

    async def application(self, user: User, lot_id: int) -> Application | None:
        for application in await self.participation.applications_of_bidder(user):
            if application.lot_id == lot_id:
                return application
        return None

    async def bids_on(self, user: User, lot_id: int) -> list[MyBid]:
        """The bidder's own accepted bids on one lot, oldest first."""
        return [MyBid(bid, await self.integrated(bid)) for bid in await self.auctions.bids_of_bidder(user, lot_id)]

    async def applications_with_bids(self, user: User) -> list[tuple[Application, Lot, list[MyBid]]]:
        """Every lot the bidder applied to (newest first), with their bids on it."""
        by_lot: dict[int, list[MyBid]] = {}
        for bid in await self.auctions.bids_of_bidder(user):
            by_lot.setdefault(bid.lot_id, []).append(MyBid(bid, await self.integrated(bid)))
        rows = []
        for application in await self.participation.applications_of_bidder(user):
            lot = await self.participation.lots.get(application.lot_id)
            rows.append((application, lot, by_lot.get(application.lot_id, [])))
        return rows

    async def own_bid(self, user: User, bid_id: int) -> Bid:
        """One of the bidder's bids; anyone else's is as absent as a bid that does not exist."""
        return await self.auctions.bid_of_bidder(user, bid_id)

    async def integrated(self, bid: Bid) -> bool:
        """Whether the bid's entry has a global index, so that an inclusion proof can be had."""
        return await self.ledger.entry_by_body_hash(bid.body_hash) is not None


def provide_bidding_desk(
    live_auctions: NamedDependency[LiveAuctions],
    participation_service: NamedDependency[ParticipationService],
    auction_service: NamedDependency[AuctionService],
    award_service: NamedDependency[AwardService],
    sealed_lot_service: NamedDependency[SealedLotService],
    ledger_reader: NamedDependency[LedgerReader],
) -> BiddingDesk:
    return BiddingDesk(
        live_auctions,
        participation_service,
        auction_service,
        award_service,
        sealed_lot_service,
        ledger_reader,
    )
