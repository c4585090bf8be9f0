"""After the award: the contract's payment schedule, payments against it, and the fate of every deposit.

Standard library only. The platform writes `contract.concluded` with the schedule these functions give, and the
replay recomputes it from the lot's terms, the signed price and the municipality's rules (docs/ledger-entries.md):

- a sale: the price less the winner's deposit (credited), due `payment_days` after signing, or split into
  `instalments` (1 to the rules' `max_instalments`) equal parts, the first carrying the odd tyiyn, instalment k
  due k * `payment_days` days after signing;
- a lease: the award price is the rent per period; the lease begins the day after signing (Bishkek date), and each
  period's rent is due on its first day; the rent rises by `indexation_percent` compounded at the start of every
  lease year (integer tyiyn, rounded down); a last period cut short by the term pays its share of months (rounded
  down); the winner's deposit is credited against the earliest rent.

`SettlementBook` holds what the replay needs to judge payments, refunds and forfeits on one lot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from auction.ledger.verifier.commitments import is_commitment
from auction.ledger.verifier.municipal_rules import BISHKEK, MunicipalRules

CONTRACT_CONCLUDED = "contract.concluded"
PAYMENT_RECORDED = "payment.recorded"
DEPOSIT_REFUNDED = "deposit.refunded"
DEPOSIT_FORFEITED = "deposit.forfeited"

# Exact payloads (docs/ledger-entries.md): (required, optional).
SETTLEMENT_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    CONTRACT_CONCLUDED: (
        frozenset({"bidder", "price", "deal", "signed_on", "deposit_credited", "instalments", "schedule"}),
        frozenset(),
    ),
    PAYMENT_RECORDED: (frozenset({"bidder", "number", "amount", "paid_on", "reference_commitment"}), frozenset()),
    DEPOSIT_REFUNDED: (frozenset({"bidder", "amount", "reference_commitment"}), frozenset()),
    DEPOSIT_FORFEITED: (frozenset({"bidder", "amount", "reason"}), frozenset()),
}
SETTLEMENT_OFFICIAL_KINDS = frozenset({PAYMENT_RECORDED, DEPOSIT_REFUNDED})
SETTLEMENT_SYSTEM_KINDS = frozenset({CONTRACT_CONCLUDED, DEPOSIT_FORFEITED})
# Kinds that may follow the end of a lot's auction (a signed award, a failure, a lapse, a cancellation).
AFTER_RESULT_KINDS = frozenset({CONTRACT_CONCLUDED, PAYMENT_RECORDED, DEPOSIT_REFUNDED})

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
MAX_REASON = 300
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class SettlementBreach(ValueError):
    """A settlement entry breaks a rule; the message says which."""


def bishkek_date(moment: datetime) -> date:
    """The calendar day an instant falls on in Bishkek: the day deadlines and payments are counted in."""
    return moment.astimezone(BISHKEK).date()


def add_months(start: date, months: int) -> date:
    """`start` moved by whole months, the day clamped to the month's last (31 Jan + 1 month = 28/29 Feb)."""
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    following = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(start.day, (following - timedelta(days=1)).day))


def rent_schedule(
    start_price_per_period: int,
    rent_period: str,
    lease_term_months: int,
    indexation_percent: int | None,
    first_due: date,
) -> list[tuple[date, int]]:
    """One (due date, rent) per period of the lease term, the first due on `first_due`.

    Period k (0-based) begins `k * months per period` after `first_due` and is due that day; its rent is the
    price raised by `indexation_percent` once for every full lease year before the period begins (compounded,
    rounded down to the tyiyn); a last period the term cuts short pays its months' share, rounded down.
    """
    months = PERIOD_MONTHS[str(rent_period)]
    if start_price_per_period < 0 or lease_term_months < 1:
        raise ValueError("a lease has a rent of at least zero and a term of at least one month")
    rise = indexation_percent or 0
    lines: list[tuple[date, int]] = []
    for begins in range(0, lease_term_months, months):
        years = begins // 12
        rent = start_price_per_period * (100 + rise) ** years // 100**years
        covered = min(months, lease_term_months - begins)
        lines.append((add_months(first_due, begins), rent * covered // months))
    return lines


def sale_schedule(amount_due: int, signed_on: date, payment_days: int, instalments: int) -> list[tuple[date, int]]:
    """`amount_due` in `instalments` equal parts (the first takes the odd tyiyn), part k due k * `payment_days`
    days after signing; nothing is due when the deposit covered the price."""
    if instalments < 1:
        raise ValueError("at least one instalment")
    if amount_due <= 0:
        return []
    share, odd = divmod(amount_due, instalments)
    return [
        (signed_on + timedelta(days=payment_days * k), share + (odd if k == 1 else 0))
        for k in range(1, instalments + 1)
    ]


def credit_deposit(lines: list[tuple[date, int]], deposit: int) -> list[tuple[date, int]]:
    """The schedule with the deposit taken off the earliest amounts first (a line may fall to zero)."""
    left, credited = deposit, []
    for due, amount in lines:
        taken = min(left, amount)
        left -= taken
        credited.append((due, amount - taken))
    return credited


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """What a schedule is computed from: the lot's terms as published or amended, and the signed price."""

    deal: str
    price: int
    deposit: int
    rent_period: str | None = None
    lease_term_months: int | None = None
    indexation_percent: int | None = None


def contract_schedule(
    terms: ContractTerms, signed_at: datetime, rules: MunicipalRules, instalments: int | None
) -> tuple[int, list[dict[str, Any]]]:
    """(deposit credited, schedule lines `{number, due_on, amount}`) of a contract signed at `signed_at`."""
    signed_on = bishkek_date(signed_at)
    if terms.deal == "lease":
        if terms.rent_period is None or terms.lease_term_months is None:
            raise SettlementBreach("a lease without a rent period or term has no rent schedule")
        gross = rent_schedule(
            terms.price, terms.rent_period, terms.lease_term_months, terms.indexation_percent, signed_on + timedelta(1)
        )
        lines = credit_deposit(gross, terms.deposit)
        credited = sum(a for _, a in gross) - sum(a for _, a in lines)
    else:
        if instalments is None or not 1 <= instalments <= rules.max_instalments:
            raise SettlementBreach(f"a sale is paid in 1 to {rules.max_instalments} instalments, not {instalments}")
        credited = min(terms.deposit, terms.price)
        lines = sale_schedule(terms.price - credited, signed_on, rules.payment_days, instalments)
    return credited, [
        {"number": n, "due_on": due.isoformat(), "amount": amount} for n, (due, amount) in enumerate(lines, start=1)
    ]


def parse_date(value: object, name: str) -> date:
    if type(value) is not str or _DATE_RE.fullmatch(value) is None:
        raise SettlementBreach(f"{name} {value!r} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SettlementBreach(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _commitment(payload: dict[str, Any]) -> None:
    value = payload["reference_commitment"]
    if not is_commitment(value):
        raise SettlementBreach(f"reference_commitment {value!r} is not 64 lower-case hex digits")


def _amount(payload: dict[str, Any], name: str = "amount") -> int:
    value = payload[name]
    if type(value) is not int or value < 1:
        raise SettlementBreach(f"{name} {value!r} is not a positive whole number of tyiyn")
    return value


@dataclass(slots=True)
class SettlementBook:
    """One lot's contract and deposits as its chain has recorded them so far."""

    holder: str | None = None  # the bidder who signed
    signed_on: date | None = None
    lines: dict[int, tuple[date, int]] = field(default_factory=dict)  # number -> (due on, amount)
    paid: dict[int, int] = field(default_factory=dict)
    concluded: bool = False
    refunded: set[str] = field(default_factory=set)
    forfeited: set[str] = field(default_factory=set)

    def conclude(
        self, payload: dict[str, Any], *, bidder: str, terms: ContractTerms, signed_at: datetime, rules: MunicipalRules
    ) -> None:
        """`contract.concluded` names the signer and price and carries exactly the schedule the rules give."""
        if self.concluded:
            raise SettlementBreach("a second contract.concluded")
        if payload["bidder"] != bidder:
            raise SettlementBreach(f"contract.concluded for {payload['bidder']!r} but {bidder} signed the award")
        if payload["price"] != terms.price or payload["deal"] != terms.deal:
            raise SettlementBreach(
                f"contract.concluded {payload['deal']!r} at {payload['price']!r} but the award is a {terms.deal} "
                f"signed at {terms.price}"
            )
        signed_on = bishkek_date(signed_at)
        if parse_date(payload["signed_on"], "signed_on") != signed_on:
            raise SettlementBreach(f"signed_on {payload['signed_on']} but award.signed is on {signed_on}")
        instalments = payload["instalments"]
        if terms.deal == "lease":
            if instalments is not None:
                raise SettlementBreach("a lease's contract has no instalments (null)")
        elif type(instalments) is not int:
            raise SettlementBreach(f"instalments {instalments!r} is not a whole number")
        credited, schedule = contract_schedule(terms, signed_at, rules, instalments)
        if payload["deposit_credited"] != credited:
            raise SettlementBreach(f"deposit_credited {payload['deposit_credited']!r} but the rules give {credited}")
        if payload["schedule"] != schedule:
            raise SettlementBreach(f"the schedule is not the one the terms and rules give: {schedule}")
        self.concluded, self.holder, self.signed_on = True, bidder, signed_on
        self.lines = {line["number"]: (date.fromisoformat(line["due_on"]), line["amount"]) for line in schedule}

    def pay(self, payload: dict[str, Any], at: datetime) -> None:
        """A payment against a line of the schedule, by its holder, never more than the line still owes."""
        if not self.concluded:
            raise SettlementBreach("payment.recorded before contract.concluded: there is no contract to pay")
        if payload["bidder"] != self.holder:
            raise SettlementBreach(f"payment.recorded for {payload['bidder']!r}, not the contract's {self.holder}")
        number, amount = payload["number"], _amount(payload)
        if type(number) is not int or number not in self.lines:
            raise SettlementBreach(f"payment.recorded number {number!r} is not a line of the schedule")
        _commitment(payload)
        paid_on = parse_date(payload["paid_on"], "paid_on")
        assert self.signed_on is not None
        if not self.signed_on <= paid_on <= bishkek_date(at):
            raise SettlementBreach(f"paid_on {paid_on} is not between the signing {self.signed_on} and the record")
        owed = self.lines[number][1] - self.paid.get(number, 0)
        if amount > owed:
            raise SettlementBreach(f"payment.recorded {amount} on line {number}, which owes only {owed}")
        self.paid[number] = self.paid.get(number, 0) + amount

    def refund(self, payload: dict[str, Any], *, deposited: set[str], kept: set[str], deposit: int) -> None:
        """A deposit goes back once, to a bidder who paid it and whose deposit the municipality does not keep."""
        bidder = payload["bidder"]
        if bidder not in deposited:
            raise SettlementBreach(f"deposit.refunded to {bidder}, whose deposit was never confirmed")
        if bidder in self.refunded:
            raise SettlementBreach(f"deposit.refunded to {bidder} twice")
        if bidder in self.forfeited:
            raise SettlementBreach(f"deposit.refunded to {bidder}, whose deposit was forfeited")
        if bidder in kept:
            raise SettlementBreach(f"deposit.refunded to {bidder}, whose deposit the award still holds or credits")
        if _amount(payload) != deposit:
            raise SettlementBreach(f"deposit.refunded {payload['amount']} but the deposit is {deposit}")
        _commitment(payload)
        self.refunded.add(bidder)

    def forfeit(self, payload: dict[str, Any], *, lapsed: str | None, deposit: int) -> None:
        """The deposit of the bidder whose offer was just declined or expired is kept, with a reason."""
        bidder = payload["bidder"]
        if bidder != lapsed:
            raise SettlementBreach(f"deposit.forfeited of {bidder}, whose offer was not declined or expired")
        if bidder in self.forfeited:
            raise SettlementBreach(f"deposit.forfeited of {bidder} twice")
        reason = payload["reason"]
        if type(reason) is not str or not 0 < len(reason.strip()) <= MAX_REASON:
            raise SettlementBreach(f"deposit.forfeited needs a reason of 1 to {MAX_REASON} characters")
        if _amount(payload) != deposit:
            raise SettlementBreach(f"deposit.forfeited {payload['amount']} but the deposit is {deposit}")
        self.forfeited.add(bidder)
