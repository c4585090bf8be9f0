"""Pure rules after the award: what each schedule line's state is today, the arrears, and what became of each
deposit. No I/O; the services gather the facts and the pages show the answers."""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from auction.ledger.verifier.settlement import bishkek_date


class LineStatus(enum.StrEnum):
    PAID = "paid"
    DUE = "due"  # not yet paid in full, and its day has not passed
    OVERDUE = "overdue"  # its day has passed and it is not paid in full: arrears


@dataclass(frozen=True, slots=True)
class LineState:
    number: int
    due_on: date
    amount: int
    paid: int
    status: LineStatus

    @property
    def outstanding(self) -> int:
        return max(0, self.amount - self.paid)


def line_states(
    schedule: Sequence[Mapping[str, Any]], payments: Iterable[tuple[int, int]], today: date
) -> list[LineState]:
    """Each schedule line with what was paid against it and whether it is paid, due or overdue on `today`.

    A line is overdue from the day after its due date (a payment on the due day is on time).
    """
    paid: dict[int, int] = {}
    for number, amount in payments:
        paid[number] = paid.get(number, 0) + amount
    states = []
    for line in schedule:
        number, amount, due_on = int(line["number"]), int(line["amount"]), date.fromisoformat(str(line["due_on"]))
        got = paid.get(number, 0)
        if got >= amount:
            status = LineStatus.PAID
        elif due_on < today:
            status = LineStatus.OVERDUE
        else:
            status = LineStatus.DUE
        states.append(LineState(number, due_on, amount, got, status))
    return states


def arrears(states: Iterable[LineState]) -> int:
    """What is owed on overdue lines, in tyiyn."""
    return sum(state.outstanding for state in states if state.status == LineStatus.OVERDUE)


class DepositFate(enum.StrEnum):
    HELD = "held"  # the bidder is offered the lot or held in reserve as the runner-up
    CREDITED = "credited"  # the winner's deposit, credited to the contract
    FORFEITED = "forfeited"  # the offer was declined or expired
    OWED = "owed"  # to be refunded; see due_on
    REFUNDED = "refunded"
    PENDING = "pending"  # no result yet


@dataclass(frozen=True, slots=True)
class AwardFact:
    """An award row as the rules need it: whose, its status (AwardStatus value) and when it was decided."""

    pseudonym: str
    status: str
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class DepositPosition:
    pseudonym: str
    fate: DepositFate
    due_on: date | None = None  # the refund deadline, for owed and refunded deposits
    overdue: bool = False


def deposit_positions(
    deposited: Sequence[str],
    result_at: datetime | None,
    awards: Sequence[AwardFact],
    refunded: Collection[str],
    refund_days: int,
    today: date,
) -> list[DepositPosition]:
    """What became of every confirmed deposit of a lot whose result (award, failure or cancellation) came at
    `result_at`: a refund is due within `refund_days` of the result, or for a runner-up held in reserve, of the
    winner's signature; it is overdue from the day after that deadline until recorded."""
    by_bidder = {fact.pseudonym: fact for fact in awards}
    signed = next((fact for fact in awards if fact.status == "signed"), None)
    positions = []
    for pseudonym in deposited:
        fact = by_bidder.get(pseudonym)
        if result_at is None:
            positions.append(DepositPosition(pseudonym, DepositFate.PENDING))
            continue
        if fact is not None:
            if fact.status in {"declined", "expired"}:
                positions.append(DepositPosition(pseudonym, DepositFate.FORFEITED))
                continue
            if fact.status == "signed":
                positions.append(DepositPosition(pseudonym, DepositFate.CREDITED))
                continue
            if fact.status == "awaiting_signature" or signed is None:
                positions.append(DepositPosition(pseudonym, DepositFate.HELD))
                continue
        since = result_at
        if fact is not None and signed is not None:
            since = signed.decided_at or result_at  # a reserve released by the winner's signature
        due_on = bishkek_date(since) + timedelta(days=refund_days)
        if pseudonym in refunded:
            positions.append(DepositPosition(pseudonym, DepositFate.REFUNDED, due_on))
        else:
            positions.append(DepositPosition(pseudonym, DepositFate.OWED, due_on, overdue=due_on < today))
    return positions
