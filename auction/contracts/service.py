"""The contract a signed award concludes, and payments recorded against its schedule; each a ledger entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.accounts.permissions import require_lot_manager
from auction.clock import Clock
from auction.contracts.models import Contract, ContractPayment, InstalmentPlan
from auction.contracts.rules import LineState, LineStatus, arrears, line_states
from auction.errors import Conflict, InvalidInput
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.commitments import bank_reference_commitment, new_salt
from auction.ledger.verifier.municipal_rules import MunicipalRules
from auction.ledger.verifier.settlement import (
    CONTRACT_CONCLUDED,
    PAYMENT_RECORDED,
    ContractTerms,
    bishkek_date,
    contract_schedule,
)
from auction.lots.models import Deal, Lot, LotState
from auction.lots.service import LotService, actor_of
from auction.municipalities.models import Municipality

SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class ContractStatement:
    """A contract as people see it on a given day: every line paid, due or overdue, and the arrears."""

    contract: Contract
    lines: list[LineState]
    arrears: int

    @property
    def overdue(self) -> list[LineState]:
        return [line for line in self.lines if line.status == LineStatus.OVERDUE]


@dataclass(frozen=True, slots=True)
class Reference:
    """A bank reference and the salted commitment to it that the ledger shows instead."""

    reference: str
    salt: str
    commitment: str


def commit_reference(text: str, field: str) -> Reference:
    """A bank reference (3 to 100 characters) with a fresh salt and its commitment."""
    reference = text.strip()
    if not 3 <= len(reference) <= 100:
        raise InvalidInput("payment.reference_invalid", field=field)
    salt = new_salt()
    return Reference(reference, salt.hex(), bank_reference_commitment(salt, reference))


def terms_of(lot: Lot, price: int) -> ContractTerms:
    return ContractTerms(
        deal=lot.deal.value,
        price=price,
        deposit=lot.deposit,
        rent_period=None if lot.rent_period is None else lot.rent_period.value,
        lease_term_months=lot.lease_term_months,
        indexation_percent=lot.indexation_percent,
    )


class ContractService:
    def __init__(self, session: AsyncSession, clock: Clock, ledger: LedgerWriter) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.lots = LotService(session, clock, ledger)

    async def rules_of(self, lot: Lot) -> MunicipalRules:
        municipality = await self.session.get(Municipality, lot.municipality_id)
        assert municipality is not None
        return municipality.rules_in_force()

    async def instalments_of(self, lot: Lot, rules: MunicipalRules) -> int | None:
        """The instalments a sale will be paid in (the officer's choice, within today's rules; default 1)."""
        if lot.deal == Deal.LEASE:
            return None
        plan = await self.session.get(InstalmentPlan, lot.id)
        return 1 if plan is None else min(plan.instalments, rules.max_instalments)

    async def choose_instalments(self, officer: User, lot_id: int, instalments: int) -> InstalmentPlan:
        """An officer sets how many instalments the sale's winner pays in, before the contract is concluded."""
        lot = await self.lots.lock(lot_id)
        require_lot_manager(officer, lot.municipality_id)
        if lot.deal != Deal.SALE:
            raise Conflict("contract.instalments_sale_only")
        if lot.state in {LotState.FAILED, LotState.CANCELLED} or await self.contract_of(lot.id) is not None:
            raise Conflict("contract.instalments_closed", state=lot.state.value)
        rules = await self.rules_of(lot)
        if not 1 <= instalments <= rules.max_instalments:
            raise InvalidInput("contract.instalments_out_of_range", field="instalments", most=rules.max_instalments)
        plan = await self.session.get(InstalmentPlan, lot.id)
        if plan is None:
            plan = InstalmentPlan(lot_id=lot.id, instalments=instalments, chosen_by_id=officer.id)
            self.session.add(plan)
        plan.instalments, plan.chosen_by_id, plan.chosen_at = instalments, officer.id, self.clock.now()
        await self.session.flush()
        return plan

    async def preview(self, lot: Lot, price: int) -> list[dict[str, Any]]:
        """The schedule a signature now would conclude, for the winner to read before signing."""
        rules = await self.rules_of(lot)
        _, schedule = contract_schedule(
            terms_of(lot, price), self.clock.now(), rules, await self.instalments_of(lot, rules)
        )
        return schedule

    async def conclude(self, lot: Lot, bidder_id: int, pseudonym: str, price: int, at: datetime) -> Contract:
        """The award signed at `at` concludes the contract: called in the signature's transaction, the lot locked."""
        rules = await self.rules_of(lot)
        instalments = await self.instalments_of(lot, rules)
        credited, schedule = contract_schedule(terms_of(lot, price), at, rules, instalments)
        contract = Contract(
            lot_id=lot.id,
            bidder_id=bidder_id,
            pseudonym=pseudonym,
            deal=lot.deal.value,
            price=price,
            deposit_credited=credited,
            instalments=instalments,
            signed_on=bishkek_date(at),
            concluded_at=at,
            schedule=schedule,
        )
        self.session.add(contract)
        payload = {
            "bidder": pseudonym,
            "price": price,
            "deal": lot.deal.value,
            "signed_on": contract.signed_on.isoformat(),
            "deposit_credited": credited,
            "instalments": instalments,
            "schedule": schedule,
        }
        await self.ledger.record(CONTRACT_CONCLUDED, lot.id, SYSTEM, payload, at=at)
        await self.session.flush()
        return contract

    async def contract_of(self, lot_id: int) -> Contract | None:
        return await self.session.scalar(select(Contract).where(Contract.lot_id == lot_id))

    async def statement(self, lot_id: int) -> ContractStatement | None:
        """The lot's contract with each line's state today (Bishkek), or None before a contract."""
        contract = await self.contract_of(lot_id)
        return None if contract is None else await self._statement(contract)

    async def _statement(self, contract: Contract) -> ContractStatement:
        rows = await self.session.scalars(
            select(ContractPayment).where(ContractPayment.contract_id == contract.id).order_by(ContractPayment.id)
        )
        lines = line_states(contract.schedule, [(p.number, p.amount) for p in rows], self.today())
        return ContractStatement(contract, lines, arrears(lines))

    def today(self) -> date:
        return bishkek_date(self.clock.now())

    async def payments(self, officer: User, lot_id: int) -> list[ContractPayment]:
        """The payments recorded on a lot's contract, references included: for its officers only."""
        lot = await self.lots.get(lot_id, viewer=officer)
        require_lot_manager(officer, lot.municipality_id)
        contract = await self.contract_of(lot_id)
        if contract is None:
            return []
        rows = await self.session.scalars(
            select(ContractPayment).where(ContractPayment.contract_id == contract.id).order_by(ContractPayment.id)
        )
        return list(rows)

    async def record_payment(
        self, officer: User, lot_id: int, number: int, amount: int, paid_on: date, bank_reference: str
    ) -> ContractPayment:
        """An officer records a payment that reached the municipality's account, against one schedule line."""
        lot = await self.lots.lock(lot_id)
        require_lot_manager(officer, lot.municipality_id)
        contract = await self.contract_of(lot.id)
        if contract is None:
            raise Conflict("payment.no_contract")
        statement = await self._statement(contract)
        line = next((line for line in statement.lines if line.number == number), None)
        if line is None:
            raise InvalidInput("payment.line_unknown", field="number", number=number)
        if amount < 1:
            raise InvalidInput("payment.amount_invalid", field="amount")
        if amount > line.outstanding:
            raise InvalidInput("payment.more_than_owed", field="amount", owed_tyiyn=line.outstanding)
        at = await self.ledger.next_time(lot.id)
        if not contract.signed_on <= paid_on <= bishkek_date(at):
            raise InvalidInput("payment.date_invalid", field="paid_on", signed_on=contract.signed_on.isoformat())
        reference = commit_reference(bank_reference, "bank_reference")
        payment = ContractPayment(
            contract_id=contract.id,
            number=number,
            amount=amount,
            paid_on=paid_on,
            reference=reference.reference,
            reference_salt=reference.salt,
            reference_commitment=reference.commitment,
            recorded_by_id=officer.id,
            recorded_at=at,
        )
        self.session.add(payment)
        payload = {
            "bidder": contract.pseudonym,
            "number": number,
            "amount": amount,
            "paid_on": paid_on.isoformat(),
            "reference_commitment": reference.commitment,
        }
        await self.ledger.record(PAYMENT_RECORDED, lot.id, actor_of(officer), payload, at=at)
        await self.session.flush()
        return payment

    async def contracts_of_bidder(self, bidder: User) -> list[tuple[Lot, ContractStatement]]:
        """The winner's own contracts, newest first."""
        rows = await self.session.scalars(
            select(Contract).where(Contract.bidder_id == bidder.id).order_by(Contract.id.desc())
        )
        return [(await self.lots.get(c.lot_id), await self._statement(c)) for c in rows]

    async def arrears_of(self, officer: User, municipality_id: int) -> list[tuple[Lot, ContractStatement]]:
        """The municipality's contracts with a line overdue today, the largest arrears first."""
        require_lot_manager(officer, municipality_id)
        rows = await self.session.execute(
            select(Contract, Lot)
            .join(Lot, Lot.id == Contract.lot_id)
            .where(Lot.municipality_id == municipality_id)
            .order_by(Contract.id)
        )
        owing = []
        for contract, lot in rows.all():
            statement = await self._statement(contract)
            if statement.arrears:
                owing.append((lot, statement))
        return sorted(owing, key=lambda pair: -pair[1].arrears)
