"""The officer console: the municipality's lots in every state, the lot form, publish, amend, cancel, files."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, MultipartBody, QueryParameter, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role, User
from auction.accounts.permissions import require_lot_manager, require_role
from auction.bidding.cancellation import LIVE_STATES, CancellationService
from auction.bidding.live import running_closes
from auction.errors import DomainError
from auction.ledger.verifier.municipal_rules import DEFAULT_RULES
from auction.ledger.verifier.running_rules import lockout_starts
from auction.lots.models import FileKind, Lot, LotState
from auction.lots.rules import TRANSITIONS, can_amend
from auction.lots.schedule import closing
from auction.lots.schemas import LotAmend, LotCreate
from auction.lots.service import LotFilter, LotService
from auction.settings import Settings
from web.lib.form_errors import FormErrors
from web.lib.guards import officers_only
from web.lib.rendering import is_htmx, redirect, render
from web.lib.visitor import Visitor
from web.lots.views import file_response
from web.officer.action_forms import (
    CancellationForm,
    parse_cancel,
    parse_cancellation,
    parse_document_change,
    parse_upload,
)
from web.officer.forms import NEW_LOT_VALUES, lot_form_values, parse_lot_form, submitted_values

CONSOLE_PAGE_SIZE = 50
ALL_STATES = frozenset(LotState)


def provide_officer(visitor: NamedDependency[Visitor]) -> User:
    """The logged-in officer or admin (the guard has already turned everyone else away)."""
    return require_role(visitor.user, Role.OFFICER, Role.ADMIN)


class OfficerConsole(Controller):
    path = "/officer"
    guards = [officers_only]  # noqa: RUF012
    dependencies = {"officer": Provide(provide_officer, sync_to_thread=False)}  # noqa: RUF012

    @get("/", name="officer_console")
    async def index(
        self,
        request: HTMXRequest,
        officer: NamedDependency[User],
        lot_service: NamedDependency[LotService],
        cursor: Annotated[str | None, QueryParameter(max_length=100)] = None,
    ) -> Template:
        # Officers see their own municipality, drafts included; an admin sees every municipality.
        filters = LotFilter(municipality_id=officer.municipality_id, states=ALL_STATES)
        lots, next_cursor = await lot_service.browse(filters, viewer=officer, limit=CONSOLE_PAGE_SIZE, cursor=cursor)
        places = await lot_service.municipalities.hierarchy()
        return render(request, "officer/index.html.jinja2", lots=lots, next_cursor=next_cursor, places=places)

    @get("/lots/new", name="officer_new_lot")
    async def new_lot(
        self, request: HTMXRequest, officer: NamedDependency[User], lot_service: NamedDependency[LotService]
    ) -> Template:
        return await _lot_form(request, officer, lot_service, None, dict(NEW_LOT_VALUES), FormErrors())

    @post("/lots/new")
    async def create_lot(
        self,
        request: HTMXRequest,
        data: URLEncodedBody[dict[str, str]],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
    ) -> Response[Any]:
        terms, errors = parse_lot_form(
            data, LotCreate, visitor.gettext, may_choose_municipality=officer.role == Role.ADMIN
        )
        if terms is not None:
            try:
                lot = await lot_service.create(officer, terms)
            except DomainError as refusal:
                errors.add_refusal(refusal, visitor.explain)
            else:
                return redirect(request, f"/officer/lots/{lot.id}")
        values = submitted_values(data)
        return await _lot_form(request, officer, lot_service, None, values, errors, status_code=422)

    @get("/lots/{lot_id:int}", name="officer_lot")
    async def lot(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        lot_service: NamedDependency[LotService],
        cancellation_service: NamedDependency[CancellationService],
    ) -> Template:
        lot = await managed_lot(lot_service, officer, lot_id)
        return await _lot_page(
            request, lot_service, lot, cancellation=await _cancellation(cancellation_service, lot, officer)
        )

    @get("/lots/{lot_id:int}/edit", name="officer_edit_lot")
    async def edit_lot(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        lot_service: NamedDependency[LotService],
    ) -> Template:
        lot = await managed_lot(lot_service, officer, lot_id)
        return await _lot_form(request, officer, lot_service, lot, lot_form_values(lot), FormErrors())

    @post("/lots/{lot_id:int}/edit")
    async def amend_lot(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        await managed_lot(lot_service, officer, lot_id)
        terms, errors = parse_lot_form(data, LotAmend, visitor.gettext, may_choose_municipality=False)
        # In a savepoint: the form shown again after a refusal must show the lot as it is, not half-amended.
        if terms is not None and await errors.attempt(
            db_session, lot_service.amend(officer, lot_id, terms), visitor.explain
        ):
            return redirect(request, f"/officer/lots/{lot_id}")
        values = submitted_values(data)
        lot = await lot_service.get(lot_id, viewer=officer)  # as the refusal left it: unchanged
        return await _lot_form(request, officer, lot_service, lot, values, errors, status_code=422)

    @post("/lots/{lot_id:int}/publish")
    async def publish_lot(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        await managed_lot(lot_service, officer, lot_id)
        errors = FormErrors()
        # In a savepoint: after a refusal the page shows the lot as it is (a draft), not as the refused change left it.
        if await errors.attempt(db_session, lot_service.publish(officer, lot_id), visitor.explain):
            return redirect(request, f"/officer/lots/{lot_id}")
        lot = await lot_service.get(lot_id, viewer=officer)  # as the refusal left it: unchanged
        return await _lot_page(request, lot_service, lot, status_code=422, publish_errors=errors)

    @post("/lots/{lot_id:int}/cancel")
    async def cancel_lot(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        await managed_lot(lot_service, officer, lot_id)
        reason, errors = parse_cancel(data, visitor.gettext)
        if reason is not None and await errors.attempt(
            db_session, lot_service.cancel(officer, lot_id, reason), visitor.explain
        ):
            return redirect(request, f"/officer/lots/{lot_id}")
        lot = await lot_service.get(lot_id, viewer=officer)  # as the refusal left it: unchanged
        return await _lot_page(
            request,
            lot_service,
            lot,
            status_code=422,
            cancel_errors=errors,
            cancel_reason=data.get("reason", ""),
        )

    @post("/lots/{lot_id:int}/cancellation")
    async def request_cancellation(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: MultipartBody[dict[str, Any]],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        cancellation_service: NamedDependency[CancellationService],
        settings: NamedDependency[Settings],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        """Step one of cancelling a live lot: the reason, and the order with its signed document near the close."""
        await managed_lot(lot_service, officer, lot_id)
        form, errors = parse_cancellation(data, visitor.gettext)

        async def ask(form: CancellationForm) -> None:
            order = None
            if form.order is not None and form.order_file is not None:
                stored = await lot_service.add_file(
                    officer,
                    lot_id,
                    kind=FileKind.ORDER,
                    filename=form.order_file.filename,
                    content_type=form.order_file.content_type,
                    content=await form.order_file.read(),
                    max_bytes=settings.upload_max_bytes,
                )
                order = form.order.model_copy(update={"file_id": stored.id})
            await cancellation_service.request_cancellation(officer, lot_id, form.reason, order)

        if form is not None and await errors.attempt(db_session, ask(form), visitor.explain):
            return redirect(request, f"/officer/lots/{lot_id}#cancel-title")
        lot = await lot_service.get(lot_id, viewer=officer)
        return await _lot_page(
            request,
            lot_service,
            lot,
            status_code=422,
            cancel_errors=errors,
            cancel_values={name: str(data.get(name, "")) for name in CANCEL_FIELDS},
            cancellation=await _cancellation(cancellation_service, lot, officer),
        )

    @post("/lots/{lot_id:int}/cancellation/confirm")
    async def confirm_cancellation(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        cancellation_service: NamedDependency[CancellationService],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        """Step two: a different official confirms; the lot is cancelled and the ledger names both."""
        return await _decide(
            request, lot_id, officer, visitor, lot_service, cancellation_service, db_session, confirm=True
        )

    @post("/lots/{lot_id:int}/cancellation/withdraw")
    async def withdraw_cancellation(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        cancellation_service: NamedDependency[CancellationService],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        """The official who asked takes the request back."""
        return await _decide(
            request, lot_id, officer, visitor, lot_service, cancellation_service, db_session, confirm=False
        )

    @post("/lots/{lot_id:int}/files")
    async def upload_file(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: MultipartBody[dict[str, Any]],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        lot = await managed_lot(lot_service, officer, lot_id)
        upload, errors = parse_upload(data, visitor.gettext)
        change = parse_document_change(data, visitor.gettext, errors)
        if upload is not None and change is not None:
            try:
                await lot_service.add_file(
                    officer,
                    lot_id,
                    kind=upload.kind,
                    filename=upload.file.filename,
                    content_type=upload.file.content_type,
                    content=await upload.file.read(),
                    max_bytes=settings.upload_max_bytes,
                    replaces=change.replaces,
                    reason=change.reason,
                    applications_close_at=change.applications_close_at,
                )
            except DomainError as refusal:
                errors.add_refusal(refusal, visitor.explain)
            else:
                return redirect(request, f"/officer/lots/{lot_id}#files")
        return await _lot_page(request, lot_service, lot, status_code=422, upload_errors=errors)

    @get("/lots/{lot_id:int}/files/{file_id:int}", name="officer_file")
    async def download_file(
        self,
        lot_id: FromPath[int],
        file_id: FromPath[int],
        officer: NamedDependency[User],
        lot_service: NamedDependency[LotService],
    ) -> Response[bytes]:
        """Files of drafts too, which the public download refuses (it knows no session)."""
        await managed_lot(lot_service, officer, lot_id)
        return file_response(await lot_service.file(lot_id, file_id))


async def managed_lot(lot_service: LotService, officer: User, lot_id: int) -> Lot:
    """A lot this officer may manage; another municipality's lot is refused (403) like in the API."""
    lot = await lot_service.get(lot_id, viewer=officer)
    require_lot_manager(officer, lot.municipality_id)
    return lot


CANCEL_FIELDS = ("reason", "order_number", "order_date", "order_issued_by")


async def _decide(
    request: HTMXRequest,
    lot_id: int,
    officer: User,
    visitor: Visitor,
    lot_service: LotService,
    cancellation_service: CancellationService,
    db_session: AsyncSession,
    *,
    confirm: bool,
) -> Response[Any]:
    await managed_lot(lot_service, officer, lot_id)
    errors = FormErrors()
    action = (
        cancellation_service.confirm_cancellation(officer, lot_id)
        if confirm
        else cancellation_service.withdraw_cancellation(officer, lot_id)
    )
    if await errors.attempt(db_session, action, visitor.explain):
        return redirect(request, f"/officer/lots/{lot_id}")
    lot = await lot_service.get(lot_id, viewer=officer)
    return await _lot_page(
        request,
        lot_service,
        lot,
        status_code=422,
        confirm_errors=errors,
        cancellation=await _cancellation(cancellation_service, lot, officer),
    )


async def _cancellation(service: CancellationService, lot: Lot, officer: User) -> dict[str, Any] | None:
    """What the lot page shows about cancelling a live lot: the pending request, and when an order is needed."""
    if lot.state not in LIVE_STATES:
        return None
    closes_at, lockout_hours = await service.lockout(lot)
    pending = await service.pending(lot.id)
    view: dict[str, Any] = {
        "closes_at": closes_at,
        "lockout_hours": lockout_hours,
        "order_from": lockout_starts(closes_at, lockout_hours),
        "pending": pending,
    }
    if pending is not None:
        view["requester"] = await service.requester(pending)
        view["order_file"] = await service.order_file(pending)
        view["is_requester"] = pending.requested_by_id == officer.id
    return view


async def _lot_form(
    request: HTMXRequest,
    officer: User,
    lot_service: LotService,
    lot: Lot | None,
    values: dict[str, str],
    errors: FormErrors,
    *,
    status_code: int = 200,
) -> Template:
    template = "officer/lot_form.html.jinja2" if is_htmx(request) else "officer/lot_edit.html.jinja2"
    # The form explains the lease cap of the lot's municipality (an administrator's new lot: the law's default).
    municipality_id = lot.municipality_id if lot is not None else officer.municipality_id
    rules = (
        DEFAULT_RULES
        if municipality_id is None
        else (await lot_service.municipalities.get(municipality_id)).rules_in_force()
    )
    return render(
        request,
        template,
        status_code=status_code,
        lot=lot,
        values=values,
        errors=errors,
        places=await lot_service.municipalities.hierarchy() if officer.role == Role.ADMIN else None,
        # A published lot changes only by a recorded amendment, which needs a reason.
        is_amendment=lot is not None and lot.state == LotState.PUBLISHED,
        max_lease_months=rules.max_lease_months,
    )


async def _lot_page(
    request: HTMXRequest,
    lot_service: LotService,
    lot: Lot,
    *,
    status_code: int = 200,
    publish_errors: FormErrors | None = None,
    cancel_errors: FormErrors | None = None,
    upload_errors: FormErrors | None = None,
    cancel_reason: str = "",
    cancel_values: dict[str, str] | None = None,
    confirm_errors: FormErrors | None = None,
    cancellation: dict[str, Any] | None = None,
) -> Template:
    running = (await running_closes(lot_service.session, [lot.id])).get(lot.id)
    return render(
        request,
        "officer/lot.html.jinja2",
        status_code=status_code,
        lot=lot,
        closing=closing(lot, running),
        files=await lot_service.files(lot.id),
        versions=await lot_service.versions(lot.id),
        may_edit=can_amend(lot.state),
        may_publish=LotState.PUBLISHED in TRANSITIONS[lot.state],
        # A draft is cancelled in one step; a live lot by two officials (the `cancellation` panel).
        may_cancel=lot.state == LotState.DRAFT,
        cancellation=cancellation,
        cancel_values=cancel_values or {"reason": cancel_reason},
        confirm_errors=confirm_errors or FormErrors(),
        publish_errors=publish_errors or FormErrors(),
        cancel_errors=cancel_errors or FormErrors(),
        upload_errors=upload_errors or FormErrors(),
        cancel_reason=cancel_reason,
        file_kinds=list(FileKind),
    )
