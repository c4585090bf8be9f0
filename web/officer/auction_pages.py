"""The officer console's auction pages for one lot: review applications and deposits, hold the sealed-bid
key ceremony, watch the running auction, open the sealed bids with the commission, print the protocol.

No secret passes through these pages: each commission member makes their own key on the member pages
(web/bidding/commission_pages.py); the officer only chooses the members, publishes and opens.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.bidding.opening import SealedLotService
from auction.bidding.participation import ParticipationService
from auction.errors import DomainError, NotFound
from auction.lots.models import AuctionFormat, Lot, LotState
from auction.lots.service import LotService
from web.lib.form_errors import FormErrors
from web.lib.guards import officers_only
from web.lib.rendering import is_htmx, redirect, render
from web.lib.visitor import Visitor
from web.officer.commission_forms import ceremony_values, parse_commission
from web.officer.pages import managed_lot, provide_officer
from web.officer.review_forms import parse_confirmation, parse_rejection
from web.officer.views import OfficerDesk


class OfficerAuctionPages(Controller):
    path = "/officer"
    guards = [officers_only]  # noqa: RUF012
    dependencies = {"officer": Provide(provide_officer, sync_to_thread=False)}  # noqa: RUF012

    @get("/lots/{lot_id:int}/auction", name="officer_auction")
    async def auction(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        officer_desk: NamedDependency[OfficerDesk],
    ) -> Template:
        lot = await managed_lot(lot_service, officer, lot_id)
        return await _auction_page(request, visitor, officer, officer_desk, lot)

    @post("/lots/{lot_id:int}/applications/{application_id:int}/confirm-deposit")
    async def confirm_deposit(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        application_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        participation_service: NamedDependency[ParticipationService],
        officer_desk: NamedDependency[OfficerDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        lot = await _lot_with_application(lot_service, participation_service, officer, lot_id, application_id)
        reference, errors = parse_confirmation(data, visitor.gettext)
        if reference is not None:
            await errors.attempt(
                db_session, participation_service.confirm_deposit(officer, application_id, reference), visitor.explain
            )
        return await _after_review(request, visitor, officer, officer_desk, lot, application_id, errors, data)

    @post("/lots/{lot_id:int}/applications/{application_id:int}/reject")
    async def reject(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        application_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        participation_service: NamedDependency[ParticipationService],
        officer_desk: NamedDependency[OfficerDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        lot = await _lot_with_application(lot_service, participation_service, officer, lot_id, application_id)
        reason, errors = parse_rejection(data, visitor.gettext)
        if reason is not None:
            await errors.attempt(
                db_session, participation_service.reject(officer, application_id, reason), visitor.explain
            )
        return await _after_review(request, visitor, officer, officer_desk, lot, application_id, errors, data)

    @get("/lots/{lot_id:int}/commission", name="officer_commission")
    async def commission_form(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        lot_service: NamedDependency[LotService],
        officer_desk: NamedDependency[OfficerDesk],
    ) -> Template:
        lot = await managed_lot(lot_service, officer, lot_id)
        return await _ceremony(request, officer_desk, lot, {"threshold": "2"}, FormErrors())

    @post("/lots/{lot_id:int}/commission")
    async def start_ceremony(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        sealed_lot_service: NamedDependency[SealedLotService],
        officer_desk: NamedDependency[OfficerDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        """Choose the commission and start (or restart, with new member keys) its key ceremony."""
        lot = await managed_lot(lot_service, officer, lot_id)
        candidates = [member.id for member in await officer_desk.officers_of(lot.municipality_id)]
        commission, errors = parse_commission(data, candidates, visitor.gettext)
        if commission is not None:
            try:
                async with db_session.begin_nested():
                    await sealed_lot_service.start_ceremony(officer, lot_id, commission.members, commission.threshold)
            except DomainError as refusal:
                errors.add_refusal(refusal, visitor.explain)
            else:
                return redirect(request, f"/officer/lots/{lot_id}/commission")
        values = ceremony_values(data, candidates)
        return await _ceremony(request, officer_desk, lot, values, errors, status_code=422)

    @post("/lots/{lot_id:int}/commission/publish")
    async def publish_with_commission(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        sealed_lot_service: NamedDependency[SealedLotService],
        officer_desk: NamedDependency[OfficerDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        """Publish once the ceremony is complete: its whole transcript goes into the ledger with the joint key."""
        lot = await managed_lot(lot_service, officer, lot_id)
        errors = FormErrors()
        try:
            async with db_session.begin_nested():
                await sealed_lot_service.publish(officer, lot_id)
        except DomainError as refusal:
            errors.add_refusal(refusal, visitor.explain)
        else:
            return redirect(request, f"/officer/lots/{lot_id}/auction")
        lot = await lot_service.get(lot_id, viewer=officer)
        return await _ceremony(request, officer_desk, lot, {"threshold": "2"}, errors, status_code=422)

    @post("/lots/{lot_id:int}/open")
    async def open_sealed(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        sealed_lot_service: NamedDependency[SealedLotService],
        officer_desk: NamedDependency[OfficerDesk],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        """With k members' decryption shares posted: the bids are decrypted and the lot decided."""
        await managed_lot(lot_service, officer, lot_id)
        errors = FormErrors()
        try:
            async with db_session.begin_nested():
                await sealed_lot_service.open_and_award(officer, lot_id)
        except DomainError as refusal:
            errors.add_refusal(refusal, visitor.explain)
        else:
            return redirect(request, f"/officer/lots/{lot_id}/auction#result")
        lot = await lot_service.get(lot_id, viewer=officer)
        return await _auction_page(request, visitor, officer, officer_desk, lot, status_code=422, opening_errors=errors)

    @get("/lots/{lot_id:int}/protocol", name="officer_protocol")
    async def protocol(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        officer_desk: NamedDependency[OfficerDesk],
    ) -> Template:
        """The results protocol, printable: terms, schedule, participants, every bid, the result, the ledger."""
        lot = await managed_lot(lot_service, officer, lot_id)
        municipality = await lot_service.municipalities.get(lot.municipality_id)
        record = await officer_desk.protocol(lot, officer, municipality, visitor.language)
        region = await lot_service.municipalities.region_of(municipality)
        return render(request, "officer/protocol.html.jinja2", protocol=record, lot=lot, region=region)


async def _lot_with_application(
    lot_service: LotService,
    participation: ParticipationService,
    officer: User,
    lot_id: int,
    application_id: int,
) -> Lot:
    """The officer's lot, and a check that the application is one of its own (not another lot's)."""
    lot = await managed_lot(lot_service, officer, lot_id)
    if not any(a.id == application_id for a in await participation.applications_of_lot(officer, lot_id)):
        raise NotFound("application.not_found", application_id=application_id)
    return lot


async def _after_review(
    request: HTMXRequest,
    visitor: Visitor,
    officer: User,
    desk: OfficerDesk,
    lot: Lot,
    application_id: int,
    errors: FormErrors,
    data: dict[str, str],
) -> Response[Any]:
    if not errors and not is_htmx(request):
        return redirect(request, f"/officer/lots/{lot.id}/auction#applications")
    status = 422 if errors else 200
    review = {"application_id": application_id, "errors": errors, "values": data}
    if is_htmx(request):
        auction = await desk.auction(lot, officer, visitor.language)
        return render(
            request, "officer/partials/applications.html.jinja2", status_code=status, auction=auction, review=review
        )
    return await _auction_page(request, visitor, officer, desk, lot, status_code=status, review=review)


async def _auction_page(
    request: HTMXRequest,
    visitor: Visitor,
    officer: User,
    desk: OfficerDesk,
    lot: Lot,
    *,
    status_code: int = 200,
    **forms: Any,
) -> Template:
    return render(
        request,
        "officer/auction.html.jinja2",
        status_code=status_code,
        auction=await desk.auction(lot, officer, visitor.language),
        review=forms.get("review"),
        opening_errors=forms.get("opening_errors") or FormErrors(),
    )


async def _ceremony(
    request: HTMXRequest,
    desk: OfficerDesk,
    lot: Lot,
    values: dict[str, str],
    errors: FormErrors,
    *,
    status_code: int = 200,
) -> Template:
    sealed_draft = lot.format == AuctionFormat.SEALED_BID and lot.state == LotState.DRAFT
    return render(
        request,
        "officer/commission.html.jinja2",
        status_code=status_code,
        lot=lot,
        officers=await desk.officers_of(lot.municipality_id) if sealed_draft else [],
        ceremony=await desk.ceremony(lot) if sealed_draft else None,
        sealed_draft=sealed_draft,
        values=values,
        errors=errors,
    )
