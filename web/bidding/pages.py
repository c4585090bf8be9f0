"""A bidder on a lot's page: apply, bid in each format, withdraw a sealed bid, sign or decline the award;
and the live auction pushed to every watcher as HTML fragments over server-sent events.

With htmx each form swaps its own region (problems come back with 422); without JavaScript it posts,
and the lot page comes back, redirected after success or re-rendered with the problem.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import ServerSentEvent
from litestar.template import TemplateProtocol
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.accounts.service import AccountService
from auction.bidding.auction import AuctionService, BidReceipt
from auction.bidding.awards import AwardService
from auction.bidding.live import LiveAuctions
from auction.bidding.participation import ParticipationService
from auction.clock import Clock
from auction.errors import DomainError, NotAuthenticated
from auction.ledger.admission import Admitted
from auction.ledger.keys import LedgerKeys
from auction.lots.service import LotService
from web.bidding.forms import (
    idempotency_key_of,
    keys_of,
    limit_of,
    parse_open_bid,
    parse_runoff_offer,
    parse_sealed_bid,
    signed_of,
)
from web.bidding.live import (
    FRAGMENTS,
    LIVE_TEMPLATE,
    MAX_SHARED_LOTS,
    Live,
    LiveView,
    live_context,
    live_events,
    shared_live_events,
)
from web.bidding.live_hub import LiveHub
from web.bidding.refusal import signed_refusal
from web.bidding.views import BiddingDesk, action_receipt
from web.lib.form_errors import FormErrors
from web.lib.i18n.catalogs import DEFAULT_LANGUAGE, LANGUAGES
from web.lib.rendering import is_htmx, redirect, render
from web.lib.visitor import Visitor
from web.lots.lot_page import panel_context, render_lot_page

BID_AREA = "lots/partials/bid_area_response.html.jinja2"

Done = TypeVar("Done")


def signed_in(visitor: Visitor) -> User:
    """The logged-in account; anonymous visitors are sent to log in (and come back to the lot)."""
    if visitor.user is None:
        raise NotAuthenticated("auth.login_required")
    return visitor.user


async def attempt(
    request: HTMXRequest,
    db_session: AsyncSession,
    lot_id: int,
    action: str,
    work: Awaitable[Done],
    errors: FormErrors,
    visitor: Visitor,
) -> Done | None:
    """Run one bidder action in a savepoint, as the API does: a refusal becomes the form's problem, with the log's
    signed refusal (the same one the API answers with) for the bidder to download; it leaves nothing behind."""
    try:
        async with signed_refusal(request, lot_id, action), db_session.begin_nested():
            return await work
    except DomainError as refusal:
        errors.add_refusal(refusal, visitor.explain)
        return None


class BiddingPages(Controller):
    @post("/lots/{lot_id:int}/apply")
    async def apply(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        participation_service: NamedDependency[ParticipationService],
        bidding_desk: NamedDependency[BiddingDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        user = signed_in(visitor)
        errors = FormErrors()
        applying = participation_service.apply_with_receipt(user, lot_id, keys_of(data), signed_of(data))
        applied = await attempt(request, db_session, lot_id, "application.submit", applying, errors, visitor)
        return await _answer(
            request,
            visitor,
            lot_service,
            bidding_desk,
            lot_id,
            fragment="lots/partials/participation.html.jinja2",
            anchor="participation",
            failed=bool(errors),
            apply_errors=errors,
            action_receipt=action_receipt(applied[1]) if applied else None,
        )

    @post("/lots/{lot_id:int}/bids")
    async def bid(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        auction_service: NamedDependency[AuctionService],
        bidding_desk: NamedDependency[BiddingDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        user = signed_in(visitor)
        submitted, errors = parse_open_bid(data, visitor.gettext)
        receipt: BidReceipt | None = None
        if submitted is not None and submitted.amount is not None:
            placing = auction_service.place_bid(user, lot_id, submitted.amount, submitted.key, signed_of(data))
            receipt = await attempt(request, db_session, lot_id, "bid.place", placing, errors, visitor)
        return await _answer_bid(
            request, visitor, lot_service, bidding_desk, lot_id, receipt, errors, {"amount": data.get("amount", "")}
        )

    @post("/lots/{lot_id:int}/sealed-bids")
    async def sealed_bid(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        auction_service: NamedDependency[AuctionService],
        bidding_desk: NamedDependency[BiddingDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        """Only the ciphertext sealed in the browser arrives here; the amount never leaves the page."""
        user = signed_in(visitor)
        submitted, errors = parse_sealed_bid(data, visitor.gettext)
        receipt: BidReceipt | None = None
        if submitted is not None and submitted.ciphertext is not None:
            sealing = auction_service.submit_sealed(user, lot_id, submitted.ciphertext, submitted.key, signed_of(data))
            receipt = await attempt(request, db_session, lot_id, "bid.seal", sealing, errors, visitor)
        return await _answer_bid(request, visitor, lot_service, bidding_desk, lot_id, receipt, errors, {})

    @post("/lots/{lot_id:int}/sealed-bids/withdraw")
    async def withdraw_sealed(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        auction_service: NamedDependency[AuctionService],
        bidding_desk: NamedDependency[BiddingDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        user = signed_in(visitor)
        errors = FormErrors()
        withdrawing = auction_service.withdraw_sealed(user, lot_id, signed_of(data))
        withdrawn = await attempt(request, db_session, lot_id, "bid.withdraw", withdrawing, errors, visitor)
        return await _answer_bid(
            request, visitor, lot_service, bidding_desk, lot_id, None, errors, {}, withdrawn=withdrawn
        )

    @post("/lots/{lot_id:int}/accept")
    async def accept(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        auction_service: NamedDependency[AuctionService],
        bidding_desk: NamedDependency[BiddingDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        """Descending auction: take the lot at the price of the moment the server admits the acceptance."""
        user = signed_in(visitor)
        errors = FormErrors()
        key, limit = idempotency_key_of(data), limit_of(data)
        accepting = auction_service.accept_price(user, lot_id, key, limit, signed_of(data))
        receipt = await attempt(request, db_session, lot_id, "bid.accept", accepting, errors, visitor)
        return await _answer_bid(request, visitor, lot_service, bidding_desk, lot_id, receipt, errors, {})

    @post("/lots/{lot_id:int}/runoff-offer")
    async def runoff_offer(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        auction_service: NamedDependency[AuctionService],
        bidding_desk: NamedDependency[BiddingDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        """A contender's one sealed run-off offer: the page hashed amount and nonce and signed the hash."""
        user = signed_in(visitor)
        submitted, errors = parse_runoff_offer(data, visitor.gettext)
        offered = None
        if submitted is not None:
            offering = auction_service.submit_runoff_offer(
                user, lot_id, submitted.amount, submitted.nonce, signed_of(data)
            )
            offered = await attempt(request, db_session, lot_id, "runoff.offer", offering, errors, visitor)
        return await _answer(
            request,
            visitor,
            lot_service,
            bidding_desk,
            lot_id,
            fragment="lots/partials/runoff.html.jinja2",
            anchor="runoff",
            failed=bool(errors),
            runoff_errors=errors,
            runoff_values={"amount": data.get("amount", "")} if errors else {},
            action_receipt=action_receipt(offered[1]) if offered else None,
        )

    @post("/lots/{lot_id:int}/award/sign")
    async def sign(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        award_service: NamedDependency[AwardService],
        bidding_desk: NamedDependency[BiddingDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        user = signed_in(visitor)
        errors = FormErrors()
        signing = award_service.sign_with_receipt(user, lot_id, signed_of(data))
        signed = await attempt(request, db_session, lot_id, "award.sign", signing, errors, visitor)
        return await _answer_award(request, visitor, lot_service, bidding_desk, lot_id, errors, signed)

    @post("/lots/{lot_id:int}/award/decline")
    async def decline(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        award_service: NamedDependency[AwardService],
        bidding_desk: NamedDependency[BiddingDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        """The winner gives the lot up: the deposit is forfeited and the runner-up is offered the lot."""
        user = signed_in(visitor)
        errors = FormErrors()
        declining = award_service.decline_with_receipt(user, lot_id, signed_of(data))
        declined = await attempt(request, db_session, lot_id, "award.decline", declining, errors, visitor)
        return await _answer_award(request, visitor, lot_service, bidding_desk, lot_id, errors, declined)

    @get("/lots/{lot_id:int}/live", name="lot_live")
    async def live(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        view: Annotated[LiveView, QueryParameter()] = LiveView.PUBLIC,
        shown: Annotated[str, QueryParameter(max_length=20)] = "",
        language: Annotated[str, QueryParameter(max_length=5)] = DEFAULT_LANGUAGE,
    ) -> ServerSentEvent:
        """The live panel as HTML fragments, one "state" event per change, each with the server's time.

        No request-scoped session: the stream outlives the request's unit of work, and opens a short
        session per poll instead.
        """
        watcher = await _watcher(request, [lot_id], language)

        def fragment(live: Live) -> str:
            return watcher.render(live, view=view, shown=shown)

        events = live_events(watcher.sessions, watcher.clock, lot_id, fragment, watcher.viewer, watcher.hub)
        return ServerSentEvent(events, headers=STREAM_HEADERS)

    @get("/lots/live", name="lots_live")
    async def shared_live(
        self,
        request: HTMXRequest,
        lot: Annotated[list[int], QueryParameter(min_items=1, max_items=MAX_SHARED_LOTS)],
        language: Annotated[str, QueryParameter(max_length=5)] = DEFAULT_LANGUAGE,
    ) -> ServerSentEvent:
        """The live panels of several lots in one stream, which a browser's tabs share (so that a seventh tab does
        not wait for one of the six connections a browser keeps per host): each "state" event is JSON naming its
        lot, its state and the panel's HTML for it; "end" names a lot that is decided. At most `MAX_SHARED_LOTS`
        lots, each one the visitor may see (else 404, as for one lot)."""
        lots = sorted(set(lot))
        watcher = await _watcher(request, lots, language)

        def fragment(live: Live) -> str:
            # Each tab compares the state with the one its page shows and reloads the page itself.
            return watcher.render(live, view=LiveView.PUBLIC, shown=str(live.state))

        events = shared_live_events(watcher.sessions, watcher.clock, lots, fragment, watcher.viewer, watcher.hub)
        return ServerSentEvent(events, headers=STREAM_HEADERS)


# A proxy that buffered the stream would hold every update back until the auction is over.
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


@dataclass(frozen=True)
class _Watcher:
    """Who watches a live stream and how their panels are rendered: the same fragment the page includes."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    viewer: User | None
    user_id: int | None
    keys: LedgerKeys
    language: str
    template: TemplateProtocol
    hub: LiveHub | None

    def render(self, live: Live, *, view: LiveView, shown: str) -> str:
        # The bidder's pseudonym in this lot, so the panel can say "you lead"; never anyone else's name.
        pseudonym = self.keys.pseudonym(live.lot_id, self.user_id) if self.user_id is not None else None

        def rendered() -> str:
            context = live_context(live, view=view, shown=shown, viewer_pseudonym=pseudonym)
            return str(self.template.render(lang=self.language, server_now=live.server_time, **context))

        return FRAGMENTS.get((live, self.language, view, shown, pseudonym), rendered)


async def _watcher(request: HTMXRequest, lot_ids: list[int], language: str) -> _Watcher:
    """The watcher of ``lot_ids``, refused (404) before any stream starts if one of them has no auction they see.

    No request-scoped session: a stream outlives the request's unit of work, and opens a short session per poll.
    """
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    clock: Clock = request.app.state.clock
    user_id = request.session.get("user_id") if request.scope.get("session") else None
    user_id = user_id if isinstance(user_id, int) else None
    async with sessions() as session:
        # Who watches decides what the panel shows (an officer of the lot's municipality sees the sealed-bid
        # count); the ``view`` parameter only says which page to reload, and anyone may send it.
        viewer = await AccountService(session, clock).get(user_id) if user_id is not None else None
        await LiveAuctions(session, clock).states(lot_ids, viewer=viewer)
    engine = request.app.template_engine
    assert engine is not None  # the app is built with its Jinja templates
    return _Watcher(
        sessions=sessions,
        clock=clock,
        viewer=viewer,
        user_id=user_id,
        keys=request.app.state.ledger_keys,
        language=language if language in LANGUAGES else DEFAULT_LANGUAGE,
        template=engine.get_template(LIVE_TEMPLATE),
        # On PostgreSQL the process's hub tells the stream of changes; without one (SQLite) the stream polls.
        hub=getattr(request.app.state, "live_hub", None),
    )


async def _answer(
    request: HTMXRequest,
    visitor: Visitor,
    lot_service: LotService,
    desk: BiddingDesk,
    lot_id: int,
    *,
    fragment: str,
    anchor: str,
    failed: bool,
    **forms: Any,
) -> Response[Any]:
    """After a form: its region again for htmx (422 with the problem), else the lot page or a redirect to it."""
    if not failed and not is_htmx(request):
        return redirect(request, f"/lots/{lot_id}#{anchor}")
    lot = await lot_service.get(lot_id, viewer=visitor.user)
    status = 422 if failed else 200
    if is_htmx(request):
        panel = await desk.panel(lot, visitor)
        return render(request, fragment, status_code=status, **panel_context(panel, **forms))
    return await render_lot_page(request, visitor, lot_service, desk, lot, status_code=status, **forms)


async def _answer_award(
    request: HTMXRequest,
    visitor: Visitor,
    lot_service: LotService,
    desk: BiddingDesk,
    lot_id: int,
    errors: FormErrors,
    done: tuple[Any, Admitted] | None,
) -> Response[Any]:
    """After the winner signs or declines: the results region, with the action's receipt or the problem."""
    return await _answer(
        request,
        visitor,
        lot_service,
        desk,
        lot_id,
        fragment="lots/partials/results.html.jinja2",
        anchor="results",
        failed=bool(errors),
        award_errors=errors,
        action_receipt=action_receipt(done[1]) if done else None,
    )


async def _answer_bid(
    request: HTMXRequest,
    visitor: Visitor,
    lot_service: LotService,
    desk: BiddingDesk,
    lot_id: int,
    receipt: BidReceipt | None,
    errors: FormErrors,
    values: dict[str, str],
    *,
    withdrawn: Admitted | None = None,
) -> Response[Any]:
    """After a bid or a withdrawal: with htmx, the bid area with the receipt (or the problem) and the bidder's bids
    refreshed."""
    failed = bool(errors)
    return await _answer(
        request,
        visitor,
        lot_service,
        desk,
        lot_id,
        fragment=BID_AREA,
        anchor="my-bids",
        failed=failed,
        bid_errors=errors,
        # What was typed comes back only with its problem; after a bid the form starts from the new minimum.
        bid_values=values if failed else {},
        receipt=receipt.as_dict() if receipt else None,
        action_receipt=action_receipt(withdrawn) if withdrawn else None,
    )
