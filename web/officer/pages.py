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
from auction.errors import DomainError
from auction.lots.models import FileKind, Lot, LotState
from auction.lots.rules import TRANSITIONS, can_amend
from auction.lots.schemas import LotAmend, LotCreate
from auction.lots.service import LotFilter, LotService
from auction.settings import Settings
from web.lib.form_errors import FormErrors
from web.lib.guards import officers_only
from web.lib.rendering import is_htmx, redirect, render
from web.lib.visitor import Visitor
from web.officer.action_forms import parse_cancel, parse_document_change, parse_upload
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
        lots, next_cursor = await lot_service.browse(filters, limit=CONSOLE_PAGE_SIZE, cursor=cursor)
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
    ) -> Template:
        return await _lot_page(request, lot_service, await managed_lot(lot_service, officer, lot_id))

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
        stored = await lot_service.file(lot_id, file_id)
        disposition = "inline" if stored.kind == FileKind.PHOTO else "attachment"
        return Response(
            stored.content,
            media_type=stored.content_type,
            headers={
                "Content-Disposition": f'{disposition}; filename="lot-{lot_id}-{file_id}"',
                "X-Content-SHA256": stored.sha256,
                "X-Content-Type-Options": "nosniff",
            },
        )


async def managed_lot(lot_service: LotService, officer: User, lot_id: int) -> Lot:
    """A lot this officer may manage; another municipality's lot is refused (403) like in the API."""
    lot = await lot_service.get(lot_id, viewer=officer)
    require_lot_manager(officer, lot.municipality_id)
    return lot


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
) -> Template:
    return render(
        request,
        "officer/lot.html.jinja2",
        status_code=status_code,
        lot=lot,
        files=await lot_service.files(lot.id),
        versions=await lot_service.versions(lot.id),
        may_edit=can_amend(lot.state),
        may_publish=LotState.PUBLISHED in TRANSITIONS[lot.state],
        may_cancel=LotState.CANCELLED in TRANSITIONS[lot.state],
        publish_errors=publish_errors or FormErrors(),
        cancel_errors=cancel_errors or FormErrors(),
        upload_errors=upload_errors or FormErrors(),
        cancel_reason=cancel_reason,
        file_kinds=list(FileKind),
    )
