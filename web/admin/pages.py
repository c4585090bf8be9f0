"""The administrator's console at /admin: units (tree, import with a check first), a unit's settings, accounts."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, MultipartBody, QueryParameter, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.admin.service import Actor, AdminService, ImportReport, InvalidUnits
from auction.errors import DomainError
from auction.municipalities.contacts import CONTACT_FIELDS
from auction.municipalities.models import Municipality
from auction.settings import Settings
from web.admin.forms import (
    ACCOUNT_FIELDS,
    ACCOUNT_KIND_LABELS,
    RULE_LABELS,
    WEEKDAYS,
    parse_account_form,
    parse_rules_form,
    rule_rows,
    rules_values,
)
from web.admin.views import provide_actor, provide_admin_service, unit_tree
from web.lib.form_errors import FormErrors
from web.lib.guards import admins_only
from web.lib.i18n.catalogs import N_
from web.lib.rendering import redirect, render
from web.lib.visitor import Visitor

CHOOSE_CSV = N_("Choose the CSV file of units.")


class AdminConsole(Controller):
    path = "/admin"
    guards = [admins_only]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "actor": Provide(provide_actor, sync_to_thread=False),
        "admin_service": Provide(provide_admin_service, sync_to_thread=False),
    }

    @get("/", name="admin_units")
    async def units(
        self,
        request: HTMXRequest,
        admin_service: NamedDependency[AdminService],
        visitor: NamedDependency[Visitor],
        created: Annotated[int | None, QueryParameter(ge=0)] = None,
        updated: Annotated[int | None, QueryParameter(ge=0)] = None,
        unchanged: Annotated[int | None, QueryParameter(ge=0)] = None,
    ) -> Template:
        # After an import, the redirect carries its counts, so a reload does not import again.
        imported = None if created is None else (created, updated or 0, unchanged or 0)
        return await _units_page(request, admin_service, visitor, imported=imported)

    @post("/units/import")
    async def import_units(
        self,
        request: HTMXRequest,
        data: MultipartBody[dict[str, Any]],
        actor: NamedDependency[Actor],
        visitor: NamedDependency[Visitor],
        admin_service: NamedDependency[AdminService],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        upload = data.get("file")
        errors = FormErrors()
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors.add("file", visitor.gettext(CHOOSE_CSV))
            return await _units_page(request, admin_service, visitor, errors=errors, status_code=422)
        content = await upload.read()
        dry_run = data.get("action") != "import"
        try:
            report = await admin_service.import_units(actor, content, filename=upload.filename, dry_run=dry_run)
        except InvalidUnits as invalid:
            report = ImportReport(problems=invalid.problems)
        if report.problems:
            return await _units_page(request, admin_service, visitor, report=report, status_code=422)
        if dry_run:
            return await _units_page(request, admin_service, visitor, report=report)
        created, updated = len(report.created), len(report.updated)
        return redirect(request, f"/admin/?created={created}&updated={updated}&unchanged={report.unchanged}")

    @get("/units/{unit_id:int}", name="admin_unit")
    async def unit(
        self, request: HTMXRequest, unit_id: FromPath[int], admin_service: NamedDependency[AdminService]
    ) -> Template:
        unit = await admin_service.municipalities.get(unit_id)
        return await _unit_page(request, admin_service, unit)

    @post("/units/{unit_id:int}/owns-property")
    async def owns_property(
        self,
        request: HTMXRequest,
        unit_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        actor: NamedDependency[Actor],
        admin_service: NamedDependency[AdminService],
    ) -> Response[Any]:
        await admin_service.set_owns_property(actor, unit_id, owns=data.get("owns_property") == "true")
        return redirect(request, f"/admin/units/{unit_id}")

    @post("/units/{unit_id:int}/payment-details")
    async def payment_details(
        self,
        request: HTMXRequest,
        unit_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        actor: NamedDependency[Actor],
        visitor: NamedDependency[Visitor],
        admin_service: NamedDependency[AdminService],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        text = data.get("payment_details", "")
        errors = FormErrors()
        if await errors.attempt(db_session, admin_service.set_payment_details(actor, unit_id, text), visitor.explain):
            return redirect(request, f"/admin/units/{unit_id}")
        unit = await admin_service.municipalities.get(unit_id)
        return await _unit_page(request, admin_service, unit, payment_errors=errors, payment_text=text, status_code=422)

    @post("/units/{unit_id:int}/contacts")
    async def contacts(
        self,
        request: HTMXRequest,
        unit_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        actor: NamedDependency[Actor],
        visitor: NamedDependency[Visitor],
        admin_service: NamedDependency[AdminService],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        errors = FormErrors()
        if await errors.attempt(db_session, admin_service.set_contacts(actor, unit_id, data), visitor.explain):
            return redirect(request, f"/admin/units/{unit_id}#contacts")
        unit = await admin_service.municipalities.get(unit_id)
        return await _unit_page(
            request, admin_service, unit, contact_errors=errors, contact_values=dict(data), status_code=422
        )

    @post("/units/{unit_id:int}/rules")
    async def rules(
        self,
        request: HTMXRequest,
        unit_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        actor: NamedDependency[Actor],
        visitor: NamedDependency[Visitor],
        admin_service: NamedDependency[AdminService],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        unit = await admin_service.municipalities.get(unit_id)
        rules, errors = parse_rules_form(data, visitor.gettext)
        if rules is not None and await errors.attempt(
            db_session, admin_service.set_rules(actor, unit_id, rules), visitor.explain
        ):
            return redirect(request, f"/admin/units/{unit_id}#rules")
        return await _unit_page(
            request, admin_service, unit, rule_errors=errors, rule_values=dict(data), status_code=422
        )

    @get("/accounts", name="admin_accounts")
    async def accounts(
        self,
        request: HTMXRequest,
        visitor: NamedDependency[Visitor],
        admin_service: NamedDependency[AdminService],
    ) -> Template:
        return await _accounts_page(request, visitor, admin_service)

    @post("/accounts")
    async def create_account(
        self,
        request: HTMXRequest,
        data: URLEncodedBody[dict[str, str]],
        actor: NamedDependency[Actor],
        visitor: NamedDependency[Visitor],
        admin_service: NamedDependency[AdminService],
    ) -> Template:
        account, errors = parse_account_form(data, visitor.gettext)
        if account is not None:
            try:
                user, password = await admin_service.create_account(actor, account)
            except DomainError as refusal:
                errors.add_refusal(refusal, visitor.explain)
            else:
                # Shown once, on this answer only: it is not kept anywhere in clear.
                return await _accounts_page(request, visitor, admin_service, created=user, password=password)
        values = dict(data)
        values.pop("_csrf_token", None)
        return await _accounts_page(request, visitor, admin_service, errors=errors, values=values, status_code=422)

    @post("/accounts/{user_id:int}/deactivate")
    async def deactivate(
        self,
        request: HTMXRequest,
        user_id: FromPath[int],
        actor: NamedDependency[Actor],
        admin_service: NamedDependency[AdminService],
    ) -> Response[Any]:
        await admin_service.set_active(actor, user_id, active=False)
        return redirect(request, "/admin/accounts")

    @post("/accounts/{user_id:int}/reactivate")
    async def reactivate(
        self,
        request: HTMXRequest,
        user_id: FromPath[int],
        actor: NamedDependency[Actor],
        admin_service: NamedDependency[AdminService],
    ) -> Response[Any]:
        await admin_service.set_active(actor, user_id, active=True)
        return redirect(request, "/admin/accounts")


async def _units_page(
    request: HTMXRequest,
    admin_service: AdminService,
    visitor: Visitor,
    *,
    report: ImportReport | None = None,
    imported: tuple[int, int, int] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    units = await admin_service.municipalities.all()
    return render(
        request,
        "admin/units.html.jinja2",
        status_code=status_code,
        tree=unit_tree(units),
        report=report,
        # Each problem of the file with its line and column, in the reader's language.
        problems=[(found.line, found.problem.field or "", visitor.explain(found.problem)) for found in report.problems]
        if report
        else [],
        imported=imported,
        errors=errors or FormErrors(),
    )


async def _unit_page(
    request: HTMXRequest,
    admin_service: AdminService,
    unit: Municipality,
    *,
    payment_errors: FormErrors | None = None,
    payment_text: str | None = None,
    rule_errors: FormErrors | None = None,
    rule_values: dict[str, str] | None = None,
    contact_errors: FormErrors | None = None,
    contact_values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    by_id = {m.id: m for m in await admin_service.municipalities.all()}
    parents: list[Municipality] = []
    current = unit
    while current.parent_id is not None and current.parent_id in by_id:
        current = by_id[current.parent_id]
        parents.insert(0, current)
    return render(
        request,
        "admin/unit.html.jinja2",
        status_code=status_code,
        unit=unit,
        parents=parents,
        children=sorted((m for m in by_id.values() if m.parent_id == unit.id), key=lambda m: m.code),
        payment_errors=payment_errors or FormErrors(),
        contact_errors=contact_errors or FormErrors(),
        contact_values=contact_values
        if contact_values is not None
        else {name: getattr(unit, name) or "" for name in CONTACT_FIELDS},
        payment_text=unit.payment_details or "" if payment_text is None else payment_text,
        rule_errors=rule_errors or FormErrors(),
        rule_values=rules_values(unit.rules_in_force()) if rule_values is None else rule_values,
        rule_rows=rule_rows(),
        rule_labels=RULE_LABELS,
        weekdays=WEEKDAYS,
        has_own_rules=unit.rules is not None,
    )


async def _accounts_page(
    request: HTMXRequest,
    visitor: Visitor,
    admin_service: AdminService,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    created: User | None = None,
    password: str | None = None,
    status_code: int = 200,
) -> Template:
    units = await admin_service.municipalities.all()
    return render(
        request,
        "admin/accounts.html.jinja2",
        status_code=status_code,
        staff=await admin_service.staff(),
        places={m.id: m for m in units},
        owners=[(m.code, m.name(visitor.language)) for m in sorted(units, key=lambda m: m.code) if m.owns_property],
        kinds=[(kind, visitor.gettext(text)) for kind, text in ACCOUNT_KIND_LABELS.items()],
        errors=errors or FormErrors(),
        values=values or {"kind": "officer"},
        shown_fields=ACCOUNT_FIELDS,
        created=created,
        password=password,
    )
