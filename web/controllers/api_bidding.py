"""The bidding API: applications and deposits, bids of every format, live state, sealed opening, awards."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.bidding.auction import AuctionService
from auction.bidding.awards import AwardService
from auction.bidding.models import Application, AuctionClock, Award, Bid
from auction.bidding.opening import SealedLotService
from auction.bidding.participation import ParticipationService
from auction.clock import Clock, as_utc
from auction.errors import NotAuthenticated, NotFound
from auction.ledger.verifier import auction_rules as rules
from auction.ledger.verifier.canonical import format_time
from auction.lots.models import AuctionFormat, Lot, LotState

IdempotencyKey = Annotated[str, HeaderParameter(name="idempotency-key", min_length=8, max_length=100)]


class BidRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    amount: Annotated[int, Field(ge=1, le=rules.MAX_AMOUNT, description="Tyiyn; the rent per period for a lease")]


class SealedBidRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ciphertext: Annotated[str, StringConstraints(min_length=10, max_length=1024)]


class DepositConfirmation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank_reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=100)]


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=2000)]


class MemberSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: int
    passphrase: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(repr=False)


class SealedPublication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: Annotated[int, Field(ge=2, le=255)]
    members: Annotated[list[MemberSecret], Field(min_length=2, max_length=255)]


class Opening(BaseModel):
    model_config = ConfigDict(extra="forbid")

    releases: Annotated[list[MemberSecret], Field(min_length=1, max_length=255)]


def application_out(application: Application) -> dict[str, Any]:
    return {
        "id": application.id,
        "lot_id": application.lot_id,
        "pseudonym": application.pseudonym,
        "status": application.status,
        "deposit_reference": application.deposit_reference,
        "reason": application.reason,
        "submitted_at": format_time(as_utc(application.submitted_at)),
    }


def bid_out(bid: Bid, *, reveal: bool) -> dict[str, Any]:
    return {
        "bidder": bid.pseudonym,
        "amount": bid.amount if reveal else None,
        "ciphertext_hash": bid.ciphertext_hash,
        "status": bid.status,
        "placed_at": format_time(as_utc(bid.placed_at)),
        "body_hash": bid.body_hash,
    }


def award_out(award: Award) -> dict[str, Any]:
    return {
        "rank": award.rank,
        "bidder": award.pseudonym,
        "price": award.price,
        "status": award.status,
        "sign_deadline": format_time(as_utc(award.sign_deadline)),
    }


async def live_state(session: AsyncSession, clock: Clock, lot_id: int) -> dict[str, Any]:
    """What a watcher of the lot sees: state, price, leader pseudonym, closing time, the server's clock."""
    lot = await session.get(Lot, lot_id, populate_existing=True)
    if lot is None or lot.state == LotState.DRAFT:
        raise NotFound(f"There is no lot number {lot_id}.")
    now = clock.now()
    state: dict[str, Any] = {
        "lot_id": lot.id,
        "state": lot.state,
        "format": lot.format,
        "server_time": format_time(now),
    }
    running = await session.get(AuctionClock, lot_id, populate_existing=True)
    if running is None:
        state["opens_at"] = format_time(as_utc(lot.bidding_opens_at))
        return state
    sealed = lot.format == AuctionFormat.SEALED_BID
    state.update(
        closes_at=format_time(as_utc(running.closes_at)),
        bid_count=running.bid_count,
        current_price=None if sealed else running.current_price,
        leader=None if sealed else running.leader,
    )
    if lot.format == AuctionFormat.OPEN_ASCENDING:
        state["minimum_next_bid"] = rules.minimum_next_bid(lot.starting_price, lot.bid_step, running.current_price)
    if lot.format == AuctionFormat.DESCENDING and lot.floor_price and lot.price_drop_interval_seconds:
        state["current_price"] = running.current_price or rules.dutch_price(
            lot.starting_price,
            lot.bid_step,
            lot.floor_price,
            as_utc(lot.bidding_opens_at),
            timedelta(seconds=lot.price_drop_interval_seconds),
            now,
        )
    return state


def _user(user: User | None) -> User:
    if user is None:
        raise NotAuthenticated("Send 'Authorization: Bearer <token>' of your account.")
    return user


class BiddingApi(Controller):
    path = "/api/v1"
    tags = ["bidding"]  # noqa: RUF012

    @post("/lots/{lot_id:int}/applications", summary="Apply to take part in a lot (bidder)")
    async def apply(
        self,
        lot_id: FromPath[int],
        participation_service: NamedDependency[ParticipationService],
        api_user: NamedDependency[User | None],
    ) -> dict[str, Any]:
        return application_out(await participation_service.apply(_user(api_user), lot_id))

    @get("/lots/{lot_id:int}/applications", summary="A lot's applications (its officers)")
    async def applications(
        self,
        lot_id: FromPath[int],
        participation_service: NamedDependency[ParticipationService],
        api_user: NamedDependency[User | None],
    ) -> list[dict[str, Any]]:
        rows = await participation_service.applications_of_lot(_user(api_user), lot_id)
        return [application_out(a) for a in rows]

    @get("/me/applications", summary="My applications (bidder)")
    async def my_applications(
        self,
        participation_service: NamedDependency[ParticipationService],
        api_user: NamedDependency[User | None],
    ) -> list[dict[str, Any]]:
        return [application_out(a) for a in await participation_service.applications_of_bidder(_user(api_user))]

    @post(
        "/applications/{application_id:int}/confirm-deposit",
        status_code=200,
        summary="Confirm the deposit with its bank reference and approve (officer)",
    )
    async def confirm_deposit(
        self,
        application_id: FromPath[int],
        data: JSONBody[DepositConfirmation],
        participation_service: NamedDependency[ParticipationService],
        api_user: NamedDependency[User | None],
    ) -> dict[str, Any]:
        application = await participation_service.confirm_deposit(_user(api_user), application_id, data.bank_reference)
        return application_out(application)

    @post("/applications/{application_id:int}/reject", status_code=200, summary="Reject with a reason (officer)")
    async def reject(
        self,
        application_id: FromPath[int],
        data: JSONBody[Rejection],
        participation_service: NamedDependency[ParticipationService],
        api_user: NamedDependency[User | None],
    ) -> dict[str, Any]:
        return application_out(await participation_service.reject(_user(api_user), application_id, data.reason))

    @post(
        "/lots/{lot_id:int}/sealed/publish",
        status_code=200,
        summary="Publish a sealed-bid lot with its commission (officer); passphrases are never stored",
    )
    async def publish_sealed(
        self,
        lot_id: FromPath[int],
        data: JSONBody[SealedPublication],
        sealed_lot_service: NamedDependency[SealedLotService],
        api_user: NamedDependency[User | None],
    ) -> dict[str, Any]:
        members = [(m.member_id, m.passphrase) for m in data.members]
        lot = await sealed_lot_service.publish(_user(api_user), lot_id, data.threshold, members)
        return {
            "lot_id": lot.id,
            "state": lot.state,
            "public_key": await sealed_lot_service.public_key(lot.id),
        }

    @post(
        "/lots/{lot_id:int}/sealed/open",
        status_code=200,
        summary="Commission members release their shares; the bids are decrypted and the lot decided",
    )
    async def open_sealed(
        self,
        lot_id: FromPath[int],
        data: JSONBody[Opening],
        sealed_lot_service: NamedDependency[SealedLotService],
        api_user: NamedDependency[User | None],
    ) -> dict[str, Any]:
        releases = [(m.member_id, m.passphrase) for m in data.releases]
        outcome = await sealed_lot_service.open_and_award(_user(api_user), lot_id, releases)
        return {
            "winner": outcome.winner,
            "price": outcome.price,
            "runner_up": outcome.runner_up,
            "runner_up_price": outcome.runner_up_price,
            "reason": outcome.reason,
        }

    @get("/lots/{lot_id:int}/sealed/key", summary="The sealed lot's public key (P-256, SEC1, base64url)")
    async def sealed_key(
        self, lot_id: FromPath[int], sealed_lot_service: NamedDependency[SealedLotService]
    ) -> dict[str, Any]:
        key = await sealed_lot_service.public_key(lot_id)
        if key is None:
            raise NotFound("This lot has no sealed-bid key.")
        return {"lot_id": lot_id, "public_key": key}

    @post("/lots/{lot_id:int}/bids", summary="Place an open ascending bid (approved bidder)")
    async def bid(
        self,
        lot_id: FromPath[int],
        data: JSONBody[BidRequest],
        idempotency_key: IdempotencyKey,
        auction_service: NamedDependency[AuctionService],
        api_user: NamedDependency[User | None],
    ) -> dict[str, Any]:
        receipt = await auction_service.place_bid(_user(api_user), lot_id, data.amount, idempotency_key)
        return receipt.as_dict()

    @post("/lots/{lot_id:int}/sealed-bids", summary="Submit or replace a sealed bid (approved bidder)")
    async def sealed_bid(
        self,
        lot_id: FromPath[int],
        data: JSONBody[SealedBidRequest],
        idempotency_key: IdempotencyKey,
        auction_service: NamedDependency[AuctionService],
        api_user: NamedDependency[User | None],
    ) -> dict[str, Any]:
        receipt = await auction_service.submit_sealed(_user(api_user), lot_id, data.ciphertext, idempotency_key)
        return receipt.as_dict()

    @delete("/lots/{lot_id:int}/sealed-bids", status_code=200, summary="Withdraw my sealed bid")
    async def withdraw_sealed(
        self,
        lot_id: FromPath[int],
        auction_service: NamedDependency[AuctionService],
        api_user: NamedDependency[User | None],
    ) -> dict[str, Any]:
        await auction_service.withdraw_sealed(_user(api_user), lot_id)
        return {"lot_id": lot_id, "withdrawn": True}

    @post("/lots/{lot_id:int}/accept", summary="Accept the current price of a descending auction")
    async def accept(
        self,
        lot_id: FromPath[int],
        idempotency_key: IdempotencyKey,
        auction_service: NamedDependency[AuctionService],
        api_user: NamedDependency[User | None],
    ) -> dict[str, Any]:
        return (await auction_service.accept_price(_user(api_user), lot_id, idempotency_key)).as_dict()

    @get("/lots/{lot_id:int}/auction", summary="The live state of the lot's auction")
    async def auction(
        self, lot_id: FromPath[int], db_session: NamedDependency[AsyncSession], clock: NamedDependency[Clock]
    ) -> dict[str, Any]:
        return await live_state(db_session, clock, lot_id)

    @get(
        "/lots/{lot_id:int}/stream",
        summary="Server-sent events with the live state (one 'state' event per change)",
    )
    async def stream(self, lot_id: FromPath[int], request: Request[Any, Any, State]) -> ServerSentEvent:
        sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
        clock: Clock = request.app.state.clock
        async with sessions() as session:
            await live_state(session, clock, lot_id)  # 404 before the stream starts

        async def events() -> AsyncIterator[ServerSentEventMessage]:
            # Polling the database keeps every app process and host in step with no extra broker;
            # twice a second is well inside the one-second promise.
            last = None
            # The streaming response cancels this generator when the watcher disconnects.
            while True:
                async with sessions() as session:
                    state = await live_state(session, clock, lot_id)
                change = {k: v for k, v in state.items() if k != "server_time"}
                if change != last:
                    last = change
                    yield ServerSentEventMessage(data=json.dumps(state), event="state")
                await asyncio.sleep(0.5)

        return ServerSentEvent(events())

    @get(
        "/lots/{lot_id:int}/bids",
        summary="The lot's bids: amounts public in open auctions and after the award",
    )
    async def bids(
        self,
        lot_id: FromPath[int],
        auction_service: NamedDependency[AuctionService],
        api_user: NamedDependency[User | None],
    ) -> list[dict[str, Any]]:
        lot = await auction_service.lots.get(lot_id, viewer=api_user)
        decided = lot.state in {LotState.AWARDED, LotState.FAILED}
        reveal = decided or lot.format != AuctionFormat.SEALED_BID
        return [bid_out(b, reveal=reveal) for b in await auction_service.bids(lot_id)]

    @get("/lots/{lot_id:int}/awards", summary="The award and the runner-up")
    async def awards(self, lot_id: FromPath[int], award_service: NamedDependency[AwardService]) -> list[dict[str, Any]]:
        return [award_out(a) for a in await award_service.awards(lot_id)]

    @post("/lots/{lot_id:int}/award/sign", status_code=200, summary="The winner signs for the lot")
    async def sign(
        self,
        lot_id: FromPath[int],
        award_service: NamedDependency[AwardService],
        api_user: NamedDependency[User | None],
    ) -> dict[str, Any]:
        return award_out(await award_service.sign(_user(api_user), lot_id))

    @post(
        "/lots/{lot_id:int}/award/decline",
        status_code=200,
        summary="The winner declines (the deposit is forfeited; the runner-up is offered the lot)",
    )
    async def decline(
        self,
        lot_id: FromPath[int],
        award_service: NamedDependency[AwardService],
        api_user: NamedDependency[User | None],
    ) -> dict[str, Any]:
        passed = await award_service.decline(_user(api_user), lot_id)
        return {"passed_to": award_out(passed) if passed else None}
