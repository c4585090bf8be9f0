"""What becomes of each deposit after the result: credited to the winner's contract, kept when an offer lapses
(`deposit.forfeited`, written by the awards), or refunded to a bidder who did not win (`deposit.refunded`,
recorded by an officer within the municipality's `refund_days`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.accounts.permissions import require_lot_manager
from auction.bidding.models import Application, Award
from auction.bidding.notices import tell
from auction.clock import Clock, as_utc
from auction.contracts.models import DepositRefund
from auction.contracts.rules import AwardFact, DepositFate, DepositPosition, deposit_positions
from auction.contracts.service import commit_reference
from auction.errors import Conflict, NotFound
from auction.ledger.admission import LedgerWriter
from auction.ledger.models import LedgerEntry, PendingEntry
from auction.ledger.verifier.settlement import DEPOSIT_REFUNDED, bishkek_date
from auction.lots.models import Lot, LotState
from auction.lots.service import LotService, actor_of
from auction.municipalities.models import Municipality

RESULT_KINDS = ("award.made", "award.failed", "lot.cancelled")
RESULT_STATES = (LotState.AWARDED, LotState.FAILED, LotState.CANCELLED)


@dataclass(frozen=True, slots=True)
class DepositLine:
    """One confirmed deposit of a lot and what became of it."""

    application: Application
    amount: int
    position: DepositPosition
    refund: DepositRefund | None

    @property
    def fate(self) -> DepositFate:
        return self.position.fate


class DepositService:
    def __init__(self, session: AsyncSession, clock: Clock, ledger: LedgerWriter) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.lots = LotService(session, clock, ledger)

    async def result_at(self, lot_id: int) -> datetime | None:
        """When the lot's result was recorded: its award, failure or cancellation, whichever came first."""
        kinds = list(RESULT_KINDS)
        moments = union_all(
            select(PendingEntry.admitted_at).where(PendingEntry.chain_key == lot_id, PendingEntry.kind.in_(kinds)),
            select(LedgerEntry.admitted_at).where(LedgerEntry.chain_key == lot_id, LedgerEntry.kind.in_(kinds)),
        ).subquery()
        rows = list(await self.session.scalars(select(moments.c.admitted_at)))
        return min((as_utc(moment) for moment in rows), default=None)

    async def lines(self, lot: Lot) -> list[DepositLine]:
        """Every confirmed deposit of the lot with its fate today (Bishkek date)."""
        applications = list(
            await self.session.scalars(
                select(Application)
                .where(Application.lot_id == lot.id, Application.deposit_confirmed_at.is_not(None))
                .order_by(Application.id)
            )
        )
        if not applications:
            return []
        awards = await self.session.scalars(select(Award).where(Award.lot_id == lot.id).order_by(Award.rank))
        facts = [
            AwardFact(a.pseudonym, a.status.value, None if a.decided_at is None else as_utc(a.decided_at))
            for a in awards
        ]
        refunds = {
            r.application_id: r
            for r in await self.session.scalars(select(DepositRefund).where(DepositRefund.lot_id == lot.id))
        }
        refunded = {r.pseudonym for r in refunds.values()}
        municipality = await self.session.get(Municipality, lot.municipality_id)
        assert municipality is not None
        result_at = await self.result_at(lot.id) if lot.state in RESULT_STATES else None
        positions = deposit_positions(
            [a.pseudonym for a in applications],
            result_at,
            facts,
            refunded,
            municipality.rules_in_force().refund_days,
            bishkek_date(self.clock.now()),
        )
        return [
            DepositLine(application, lot.deposit, position, refunds.get(application.id))
            for application, position in zip(applications, positions, strict=True)
        ]

    async def lines_for_officer(self, officer: User, lot_id: int) -> list[DepositLine]:
        lot = await self.lots.get(lot_id, viewer=officer)
        require_lot_manager(officer, lot.municipality_id)
        return await self.lines(lot)

    async def line_of_bidder(self, bidder: User, lot_id: int) -> DepositLine | None:
        """The bidder's own deposit on a lot, if it was confirmed."""
        lot = await self.lots.get(lot_id)
        return next((line for line in await self.lines(lot) if line.application.bidder_id == bidder.id), None)

    async def record_refund(self, officer: User, application_id: int, bank_reference: str) -> DepositRefund:
        """An officer records that a non-winner's deposit went back, with the bank's reference."""
        application = await self.session.get(Application, application_id)
        if application is None:
            raise NotFound("application.not_found", application_id=application_id)
        lot = await self.lots.lock(application.lot_id)
        require_lot_manager(officer, lot.municipality_id)
        line = next((line for line in await self.lines(lot) if line.application.id == application.id), None)
        if line is None:
            raise Conflict("refund.no_deposit")
        if line.fate != DepositFate.OWED:
            raise Conflict("refund.not_owed", fate=line.fate.value)
        reference = commit_reference(bank_reference, "bank_reference")
        at = await self.ledger.next_time(lot.id)
        refund = DepositRefund(
            lot_id=lot.id,
            application_id=application.id,
            pseudonym=application.pseudonym,
            amount=lot.deposit,
            reference=reference.reference,
            reference_salt=reference.salt,
            reference_commitment=reference.commitment,
            recorded_by_id=officer.id,
            recorded_at=at,
        )
        self.session.add(refund)
        await tell(self.session, lot, application.bidder_id, "deposit.refunded", str(application.id))
        payload = {"bidder": application.pseudonym, "amount": lot.deposit, "reference_commitment": reference.commitment}
        await self.ledger.record(DEPOSIT_REFUNDED, lot.id, actor_of(officer), payload, at=at)
        await self.session.flush()
        return refund

    async def owed_of(self, officer: User, municipality_id: int) -> list[tuple[Lot, DepositLine]]:
        """The municipality's refunds not yet recorded, overdue first, then by deadline."""
        require_lot_manager(officer, municipality_id)
        lots = await self.session.scalars(
            select(Lot)
            .where(Lot.municipality_id == municipality_id, Lot.state.in_(RESULT_STATES))
            .where(Lot.id.in_(select(Application.lot_id).where(Application.deposit_confirmed_at.is_not(None))))
            .order_by(Lot.id)
        )
        owed = [(lot, line) for lot in list(lots) for line in await self.lines(lot) if line.fate == DepositFate.OWED]
        return sorted(owed, key=lambda pair: (not pair[1].position.overdue, pair[1].position.due_on, pair[0].id))
