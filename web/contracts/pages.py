"""The officer's desk after the award: a lot's contract and deposits (record payments and refunds, choose a sale's
instalments) and the municipality's arrears and owed refunds. The public sees schedules on the lot page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role, User
from auction.accounts.permissions import require_lot_manager, require_role
from auction.bidding.deposits import DepositService
from auction.contracts.service import ContractService
from auction.errors import InvalidInput
from auction.lots.models import Lot
from web.contracts.forms import InstalmentsForm, PaymentForm, RefundForm, parse
from web.lib.form_errors import FormErrors
from web.lib.guards import officers_only
from web.lib.rendering import redirect, render
from web.lib.visitor import Visitor


def provide_officer(visitor: NamedDependency[Visitor]) -> User:
    """The logged-in officer or admin (the guard has already turned everyone else away)."""
    return require_role(visitor.user, Role.OFFICER, Role.ADMIN)


class ContractPages(Controller):
    path = "/officer"
    guards = [officers_only]  # noqa: RUF012
    dependencies = {"officer": Provide(provide_officer, sync_to_thread=False)}  # noqa: RUF012

    @get("/arrears", name="officer_arrears")
    async def arrears(
        self,
        request: HTMXRequest,
        officer: NamedDependency[User],
        contract_service: NamedDependency[ContractService],
        deposit_service: NamedDependency[DepositService],
        municipality: FromQuery[int | None] = None,
    ) -> Template:
        """Overdue payments and owed refunds of the officer's municipality (an administrator names one)."""
        place = municipality if municipality is not None else officer.municipality_id
        if place is None:
            raise InvalidInput("contract.municipality_required", field="municipality")
        return render(
            request,
            "contracts/arrears.html.jinja2",
            owing=await contract_service.arrears_of(officer, place),
            refunds=await deposit_service.owed_of(officer, place),
        )

    @get("/lots/{lot_id:int}/contract", name="officer_contract")
    async def contract(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        contract_service: NamedDependency[ContractService],
        deposit_service: NamedDependency[DepositService],
    ) -> Template:
        lot = await _managed(contract_service, officer, lot_id)
        return await _page(request, officer, contract_service, deposit_service, lot)

    @post("/lots/{lot_id:int}/payments")
    async def record_payment(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        contract_service: NamedDependency[ContractService],
        deposit_service: NamedDependency[DepositService],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        lot = await _managed(contract_service, officer, lot_id)
        form, errors = parse(PaymentForm, data, visitor.gettext)
        if form is not None:
            action = contract_service.record_payment(
                officer, lot.id, form.number, form.amount, form.paid_on, form.bank_reference
            )
            await errors.attempt(db_session, action, visitor.explain)
        return await _after(request, officer, contract_service, deposit_service, lot, errors, data)

    @post("/lots/{lot_id:int}/refunds/{application_id:int}")
    async def record_refund(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        application_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        contract_service: NamedDependency[ContractService],
        deposit_service: NamedDependency[DepositService],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        lot = await _managed(contract_service, officer, lot_id)
        form, errors = parse(RefundForm, data, visitor.gettext)
        if form is not None:
            action = deposit_service.record_refund(officer, application_id, form.bank_reference)
            await errors.attempt(db_session, action, visitor.explain)
        return await _after(request, officer, contract_service, deposit_service, lot, errors, data)

    @post("/lots/{lot_id:int}/instalments")
    async def choose_instalments(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        officer: NamedDependency[User],
        visitor: NamedDependency[Visitor],
        contract_service: NamedDependency[ContractService],
        deposit_service: NamedDependency[DepositService],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[Any]:
        lot = await _managed(contract_service, officer, lot_id)
        form, errors = parse(InstalmentsForm, data, visitor.gettext)
        if form is not None:
            action = contract_service.choose_instalments(officer, lot.id, form.instalments)
            await errors.attempt(db_session, action, visitor.explain)
        return await _after(request, officer, contract_service, deposit_service, lot, errors, data)


async def _managed(contract_service: ContractService, officer: User, lot_id: int) -> Lot:
    lot = await contract_service.lots.get(lot_id, viewer=officer)
    require_lot_manager(officer, lot.municipality_id)
    return lot


async def _after(
    request: HTMXRequest,
    officer: User,
    contract_service: ContractService,
    deposit_service: DepositService,
    lot: Lot,
    errors: FormErrors,
    data: dict[str, str],
) -> Response[Any]:
    if not errors:
        return redirect(request, f"/officer/lots/{lot.id}/contract")
    return await _page(
        request, officer, contract_service, deposit_service, lot, errors=errors, values=data, status_code=422
    )


async def _page(
    request: HTMXRequest,
    officer: User,
    contract_service: ContractService,
    deposit_service: DepositService,
    lot: Lot,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    rules = await contract_service.rules_of(lot)
    return render(
        request,
        "contracts/officer_contract.html.jinja2",
        status_code=status_code,
        lot=lot,
        statement=await contract_service.statement(lot.id),
        payments=await contract_service.payments(officer, lot.id),
        deposits=await deposit_service.lines_for_officer(officer, lot.id),
        max_instalments=rules.max_instalments,
        instalments=await contract_service.instalments_of(lot, rules),
        today=contract_service.today(),
        errors=errors or FormErrors(),
        shown_fields=("number", "amount", "paid_on", "bank_reference", "instalments"),
        values=values or {},
    )
