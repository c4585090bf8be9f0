"""The bidding API: applications and deposits, bids of every format, live state, sealed opening, awards."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.accounts.permissions import can_manage_lots_of
from auction.bidding.auction import AuctionService
from auction.bidding.awards import AwardService
from auction.bidding.disclosure import competition_public, pseudonyms_linkable
from auction.bidding.live import LiveAuctions, LiveState
from auction.bidding.opening import SealedLotService
from auction.bidding.participation import ParticipationService
from auction.bidding.schemas import DepositConfirmation, Rejection
from auction.clock import Clock
from auction.errors import NotAuthenticated, NotFound
from auction.ledger.verifier.canonical import format_time
from auction.lots.models import AuctionFormat
from auction.lots.rules import amounts_public
from web.bidding.live import watch
from web.bidding.refusal import signed_refusal
from web.bidding.schemas import (
    AcceptRequest,
    ActionReceiptOut,
    ApplicationOut,
    ApplicationRequest,
    ApplicationSubmitted,
    AwardDeclined,
    AwardOut,
    AwardSigned,
    BidOut,
    BidReceiptOut,
    BidRequest,
    LiveAuction,
    RunoffOfferOut,
    RunoffOfferRequest,
    SealedBidRequest,
    SealedBidWithdrawn,
    SealedLotKey,
    SealedLotOutcome,
    SealedLotPublished,
    SignedAction,
    signed_dict,
)
from web.lib.error_schemas import api_errors
from web.lib.guards import PUBLIC, identified

IdempotencyKey = Annotated[str, HeaderParameter(name="idempotency-key", min_length=8, max_length=100)]

# The errors each kind of operation can answer, documented with the API's error body.
PUBLIC_READ = api_errors(404, 422)
ACCOUNT_READ = api_errors(401, 403, 404, 422)
ACTION = api_errors(401, 403, 404, 409, 422, 503)


def live_out(live: LiveState) -> dict[str, Any]:
    """The live state as the API has always sent it: the running fields only once bidding has opened."""
    state: dict[str, Any] = {
        "lot_id": live.lot_id,
        "state": live.state,
        "format": live.format,
        "server_time": format_time(live.server_time),
    }
    if not live.started:
        state["opens_at"] = format_time(live.opens_at) if live.opens_at else None
        return state
    assert live.closes_at is not None
    state.update(
        closes_at=format_time(live.closes_at),
        bid_count=live.bid_count,
        current_price=live.current_price,
        leader=live.leader,
    )
    if live.format == AuctionFormat.OPEN_ASCENDING:
        state["minimum_next_bid"] = live.minimum_next_bid
    if live.format == AuctionFormat.DESCENDING:
        state["contenders"] = live.contenders
        if live.runoff_closes_at is not None:
            state.update(runoff_price=live.runoff_price, runoff_closes_at=format_time(live.runoff_closes_at))
    return state


async def _pseudonyms_shown(participation: ParticipationService, officer: User, lot_id: int) -> bool:
    """Officers review applicants by name: the pseudonyms those applicants bid under stay hidden from them until
    the lot is decided (auction.bidding.disclosure)."""
    lot = await participation.lots.get(lot_id, viewer=officer)
    return pseudonyms_linkable(lot.state)


def _user(user: User | None) -> User:
    if user is None:
        raise NotAuthenticated("auth.bearer_of_account_required")
    return user


class BiddingApi(Controller):
    path = "/api/v1"
    tags = ["bidding"]  # noqa: RUF012
    guards = [identified]  # noqa: RUF012
    opt = {"caller": "account"}  # noqa: RUF012

    @post("/lots/{lot_id:int}/applications", summary="Apply to take part in a lot (bidder)", responses=ACTION)
    async def apply(
        self,
        request: Request[Any, Any, State],
        lot_id: FromPath[int],
        data: JSONBody[ApplicationRequest],
        participation_service: NamedDependency[ParticipationService],
        api_user: NamedDependency[User | None],
    ) -> ApplicationSubmitted:
        keys = None if data.keys is None else [key.as_dict() for key in data.keys]
        async with signed_refusal(request, lot_id, "application.submit"):
            application, admitted = await participation_service.apply_with_receipt(
                _user(api_user), lot_id, keys, signed_dict(data.signed)
            )
        return ApplicationSubmitted(
            **ApplicationOut.of(application).model_dump(), receipt=ActionReceiptOut.of(admitted)
        )

    @get("/lots/{lot_id:int}/applications", summary="A lot's applications (its officers)", responses=ACCOUNT_READ)
    async def applications(
        self,
        lot_id: FromPath[int],
        participation_service: NamedDependency[ParticipationService],
        api_user: NamedDependency[User | None],
    ) -> list[ApplicationOut]:
        officer = _user(api_user)
        rows = await participation_service.applications_of_lot(officer, lot_id)
        shown = await _pseudonyms_shown(participation_service, officer, lot_id)
        return [ApplicationOut.of(a, pseudonym_shown=shown) for a in rows]

    @get("/me/applications", summary="My applications (bidder)", responses=ACCOUNT_READ)
    async def my_applications(
        self,
        participation_service: NamedDependency[ParticipationService],
        api_user: NamedDependency[User | None],
    ) -> list[ApplicationOut]:
        return [ApplicationOut.of(a) for a in await participation_service.applications_of_bidder(_user(api_user))]

    @post(
        "/applications/{application_id:int}/confirm-deposit",
        status_code=200,
        summary="Confirm the deposit with its bank reference and approve (officer)",
        responses=ACTION,
    )
    async def confirm_deposit(
        self,
        application_id: FromPath[int],
        data: JSONBody[DepositConfirmation],
        participation_service: NamedDependency[ParticipationService],
        api_user: NamedDependency[User | None],
    ) -> ApplicationOut:
        officer = _user(api_user)
        application = await participation_service.confirm_deposit(officer, application_id, data.bank_reference)
        shown = await _pseudonyms_shown(participation_service, officer, application.lot_id)
        return ApplicationOut.of(application, pseudonym_shown=shown)

    @post(
        "/applications/{application_id:int}/reject",
        status_code=200,
        summary="Reject with a reason (officer)",
        responses=ACTION,
    )
    async def reject(
        self,
        application_id: FromPath[int],
        data: JSONBody[Rejection],
        participation_service: NamedDependency[ParticipationService],
        api_user: NamedDependency[User | None],
    ) -> ApplicationOut:
        officer = _user(api_user)
        application = await participation_service.reject(officer, application_id, data.reason)
        shown = await _pseudonyms_shown(participation_service, officer, application.lot_id)
        return ApplicationOut.of(application, pseudonym_shown=shown)

    @post(
        "/lots/{lot_id:int}/sealed/publish",
        status_code=200,
        summary="Publish a sealed-bid draft whose commission key ceremony is complete (officer)",
        responses=ACTION,
    )
    async def publish_sealed(
        self,
        lot_id: FromPath[int],
        sealed_lot_service: NamedDependency[SealedLotService],
        api_user: NamedDependency[User | None],
    ) -> SealedLotPublished:
        lot = await sealed_lot_service.publish(_user(api_user), lot_id)
        return SealedLotPublished(
            lot_id=lot.id, state=lot.state, public_key=await sealed_lot_service.public_key(lot.id)
        )

    @post(
        "/lots/{lot_id:int}/sealed/open",
        status_code=200,
        summary="With k members' decryption shares posted: the bids are decrypted and the lot decided (officer)",
        responses=ACTION,
    )
    async def open_sealed(
        self,
        lot_id: FromPath[int],
        sealed_lot_service: NamedDependency[SealedLotService],
        api_user: NamedDependency[User | None],
    ) -> SealedLotOutcome:
        outcome = await sealed_lot_service.open_and_award(_user(api_user), lot_id)
        return SealedLotOutcome.of(outcome)

    @get(
        "/lots/{lot_id:int}/sealed/key",
        summary="The sealed lot's joint key (edwards25519, base64url); the ledger's lot.published carries it too",
        responses=PUBLIC_READ,
        opt=PUBLIC,
    )
    async def sealed_key(
        self, lot_id: FromPath[int], sealed_lot_service: NamedDependency[SealedLotService]
    ) -> SealedLotKey:
        key = await sealed_lot_service.public_key(lot_id)
        if key is None:
            raise NotFound("commission.no_key")
        return SealedLotKey(lot_id=lot_id, public_key=key)

    @post("/lots/{lot_id:int}/bids", summary="Place an open ascending bid (approved bidder)", responses=ACTION)
    async def bid(
        self,
        request: Request[Any, Any, State],
        lot_id: FromPath[int],
        data: JSONBody[BidRequest],
        idempotency_key: IdempotencyKey,
        auction_service: NamedDependency[AuctionService],
        api_user: NamedDependency[User | None],
    ) -> BidReceiptOut:
        async with signed_refusal(request, lot_id, "bid.place"):
            receipt = await auction_service.place_bid(
                _user(api_user), lot_id, data.amount, idempotency_key, signed_dict(data.signed)
            )
        return BidReceiptOut.of(receipt)

    @post(
        "/lots/{lot_id:int}/sealed-bids", summary="Submit or replace a sealed bid (approved bidder)", responses=ACTION
    )
    async def sealed_bid(
        self,
        request: Request[Any, Any, State],
        lot_id: FromPath[int],
        data: JSONBody[SealedBidRequest],
        idempotency_key: IdempotencyKey,
        auction_service: NamedDependency[AuctionService],
        api_user: NamedDependency[User | None],
    ) -> BidReceiptOut:
        async with signed_refusal(request, lot_id, "bid.seal"):
            receipt = await auction_service.submit_sealed(
                _user(api_user), lot_id, data.ciphertext, idempotency_key, signed_dict(data.signed)
            )
        return BidReceiptOut.of(receipt)

    @delete("/lots/{lot_id:int}/sealed-bids", status_code=200, summary="Withdraw my sealed bid", responses=ACTION)
    async def withdraw_sealed(
        self,
        request: Request[Any, Any, State],
        lot_id: FromPath[int],
        data: JSONBody[SignedAction],
        auction_service: NamedDependency[AuctionService],
        api_user: NamedDependency[User | None],
    ) -> SealedBidWithdrawn:
        async with signed_refusal(request, lot_id, "bid.withdraw"):
            admitted = await auction_service.withdraw_sealed(_user(api_user), lot_id, signed_dict(data.signed))
        return SealedBidWithdrawn(lot_id=lot_id, withdrawn=True, receipt=ActionReceiptOut.of(admitted))

    @post("/lots/{lot_id:int}/accept", summary="Accept the current price of a descending auction", responses=ACTION)
    async def accept(
        self,
        request: Request[Any, Any, State],
        lot_id: FromPath[int],
        data: JSONBody[AcceptRequest],
        idempotency_key: IdempotencyKey,
        auction_service: NamedDependency[AuctionService],
        api_user: NamedDependency[User | None],
    ) -> BidReceiptOut:
        async with signed_refusal(request, lot_id, "bid.accept"):
            receipt = await auction_service.accept_price(
                _user(api_user), lot_id, idempotency_key, data.limit, signed_dict(data.signed)
            )
        return BidReceiptOut.of(receipt)

    @post(
        "/lots/{lot_id:int}/runoff-offer",
        summary="A contender's one sealed offer in a descending auction's run-off",
        description=(
            "Only bidders who accepted the same price tick; at least the tied price, before the run-off's deadline. "
            "`signed` covers `offer_hash` = hex SHA-256 of the RFC 8785 JSON "
            '`{"offer": "achyk-runoff-offer/v1", "lot", "bidder", "amount", "nonce"}`.'
        ),
        responses=ACTION,
    )
    async def runoff_offer(
        self,
        request: Request[Any, Any, State],
        lot_id: FromPath[int],
        data: JSONBody[RunoffOfferRequest],
        auction_service: NamedDependency[AuctionService],
        api_user: NamedDependency[User | None],
    ) -> RunoffOfferOut:
        async with signed_refusal(request, lot_id, "runoff.offer"):
            offer, admitted = await auction_service.submit_runoff_offer(
                _user(api_user), lot_id, data.amount, data.nonce, signed_dict(data.signed)
            )
        return RunoffOfferOut(lot_id=lot_id, offer_hash=offer.offer_hash, receipt=ActionReceiptOut.of(admitted))

    @get("/lots/{lot_id:int}/auction", summary="The live state of the lot's auction", responses=PUBLIC_READ, opt=PUBLIC)
    async def auction(
        self,
        lot_id: FromPath[int],
        live_auctions: NamedDependency[LiveAuctions],
        api_user: NamedDependency[User | None],
    ) -> LiveAuction:
        return LiveAuction.model_validate(live_out(await live_auctions.state(lot_id, viewer=api_user)))

    @get(
        "/lots/{lot_id:int}/stream",
        summary="Server-sent events with the live state (one 'state' event per change)",
        description="Each 'state' event's data is the live state as JSON, the same object as GET .../auction.",
        media_type="text/event-stream",
        responses=PUBLIC_READ,
        opt=PUBLIC,
    )
    async def stream(
        self, lot_id: FromPath[int], request: Request[Any, Any, State], api_user: NamedDependency[User | None]
    ) -> ServerSentEvent:
        sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
        clock: Clock = request.app.state.clock
        async with sessions() as session:
            await LiveAuctions(session, clock).state(lot_id)  # 404 before the stream starts

        async def events() -> AsyncIterator[ServerSentEventMessage]:
            # The same watch as the pages' streams (web.bidding.live): pushed by the process's hub on PostgreSQL,
            # polled on SQLite; it ends once the lot is decided. The response cancels it when the client goes.
            hub = getattr(request.app.state, "live_hub", None)
            async for live in watch(sessions, clock, [lot_id], api_user, hub):
                yield ServerSentEventMessage(data=json.dumps(live_out(live)), event="state")

        return ServerSentEvent(events())

    @get(
        "/lots/{lot_id:int}/bids",
        summary="The lot's bids: amounts public in open auctions and after the award",
        description=(
            "A sealed-bid lot's bids are listed only once the commission has opened them: until then even their "
            "number stays confidential (the list is empty), except to officers of the lot's municipality."
        ),
        responses=PUBLIC_READ,
        opt=PUBLIC,
    )
    async def bids(
        self,
        lot_id: FromPath[int],
        auction_service: NamedDependency[AuctionService],
        api_user: NamedDependency[User | None],
    ) -> list[BidOut]:
        lot = await auction_service.lots.get(lot_id, viewer=api_user)
        insider = api_user is not None and can_manage_lots_of(api_user, lot.municipality_id)
        if lot.format == AuctionFormat.SEALED_BID and not (insider or competition_public(lot.format, lot.state)):
            return []
        reveal = amounts_public(lot.format, lot.state)
        return [BidOut.of(b, reveal=reveal) for b in await auction_service.bids(lot_id)]

    @get("/lots/{lot_id:int}/awards", summary="The award and the runner-up", responses=PUBLIC_READ, opt=PUBLIC)
    async def awards(
        self,
        lot_id: FromPath[int],
        award_service: NamedDependency[AwardService],
        api_user: NamedDependency[User | None],
    ) -> list[AwardOut]:
        await award_service.lots.get(lot_id, viewer=api_user)  # a lot that is not public has no awards to show
        return [AwardOut.of(a) for a in await award_service.awards(lot_id)]

    @post("/lots/{lot_id:int}/award/sign", status_code=200, summary="The winner signs for the lot", responses=ACTION)
    async def sign(
        self,
        request: Request[Any, Any, State],
        lot_id: FromPath[int],
        data: JSONBody[SignedAction],
        award_service: NamedDependency[AwardService],
        api_user: NamedDependency[User | None],
    ) -> AwardSigned:
        async with signed_refusal(request, lot_id, "award.sign"):
            award, admitted = await award_service.sign_with_receipt(_user(api_user), lot_id, signed_dict(data.signed))
        return AwardSigned(**AwardOut.of(award).model_dump(), receipt=ActionReceiptOut.of(admitted))

    @post(
        "/lots/{lot_id:int}/award/decline",
        status_code=200,
        summary="The winner declines (the deposit is forfeited; the runner-up is offered the lot)",
        responses=ACTION,
    )
    async def decline(
        self,
        request: Request[Any, Any, State],
        lot_id: FromPath[int],
        data: JSONBody[SignedAction],
        award_service: NamedDependency[AwardService],
        api_user: NamedDependency[User | None],
    ) -> AwardDeclined:
        async with signed_refusal(request, lot_id, "award.decline"):
            passed, admitted = await award_service.decline_with_receipt(
                _user(api_user), lot_id, signed_dict(data.signed)
            )
        return AwardDeclined(passed_to=AwardOut.of(passed) if passed else None, receipt=ActionReceiptOut.of(admitted))
