"""After the award, as pure rules: rent and sale schedules, each line's state and the arrears, and what becomes of
every deposit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from auction.contracts.rules import (
    AwardFact,
    DepositFate,
    DepositPosition,
    LineStatus,
    arrears,
    deposit_positions,
    line_states,
)
from auction.ledger.verifier.commitments import bank_reference_commitment
from auction.ledger.verifier.municipal_rules import MunicipalRules
from auction.ledger.verifier.settlement import (
    ContractTerms,
    SettlementBreach,
    add_months,
    contract_schedule,
    sale_schedule,
)
from auction.lots.lease import rent_schedule
from auction.lots.models import RentPeriod

# 23:30 UTC on 9 June is already 10 June in Bishkek: the signing day is counted there.
SIGNED_AT = datetime(2026, 6, 9, 23, 30, tzinfo=UTC)


def test_a_monthly_lease_is_due_on_the_first_day_of_each_month_from_the_day_after_signing() -> None:
    lines = rent_schedule(10_000_00, RentPeriod.MONTH, 3, None, date(2026, 1, 31))
    assert lines == [(date(2026, 1, 31), 10_000_00), (date(2026, 2, 28), 10_000_00), (date(2026, 3, 31), 10_000_00)]


def test_indexation_compounds_each_lease_year_and_rounds_down() -> None:
    lines = rent_schedule(333_33, RentPeriod.YEAR, 36, 10, date(2026, 7, 1))
    # 333.33, then 366.663 -> 366.66, then 403.3293 -> 403.32
    assert [amount for _, amount in lines] == [333_33, 366_66, 403_32]
    assert [due for due, _ in lines] == [date(2026, 7, 1), date(2027, 7, 1), date(2028, 7, 1)]


def test_quarterly_rent_rises_only_from_the_quarter_that_begins_a_new_year() -> None:
    amounts = [amount for _, amount in rent_schedule(100_00, RentPeriod.QUARTER, 24, 5, date(2026, 1, 1))]
    assert amounts == [100_00] * 4 + [105_00] * 4


def test_a_last_period_cut_short_by_the_term_pays_its_share_of_months() -> None:
    lines = rent_schedule(12_000_00, RentPeriod.YEAR, 18, None, date(2026, 1, 15))
    assert lines == [(date(2026, 1, 15), 12_000_00), (date(2027, 1, 15), 6_000_00)]


def test_months_are_added_with_the_day_clamped_to_the_month() -> None:
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_a_sale_in_instalments_splits_evenly_the_first_taking_the_odd_tyiyn() -> None:
    lines = sale_schedule(100_01, date(2026, 6, 10), 30, 3)
    assert lines == [(date(2026, 7, 10), 33_35), (date(2026, 8, 9), 33_33), (date(2026, 9, 8), 33_33)]
    assert sale_schedule(0, date(2026, 6, 10), 30, 1) == []


def test_a_sale_contract_credits_the_deposit_and_is_due_within_the_payment_days() -> None:
    terms = ContractTerms(deal="sale", price=150_000_00, deposit=10_000_00)
    credited, schedule = contract_schedule(terms, SIGNED_AT, MunicipalRules(payment_days=30), 1)
    assert credited == 10_000_00
    assert schedule == [{"number": 1, "due_on": "2026-07-10", "amount": 140_000_00}]


def test_a_sale_cannot_be_split_beyond_the_rules() -> None:
    terms = ContractTerms(deal="sale", price=150_000_00, deposit=10_000_00)
    with pytest.raises(SettlementBreach):
        contract_schedule(terms, SIGNED_AT, MunicipalRules(max_instalments=2), 3)
    _, schedule = contract_schedule(terms, SIGNED_AT, MunicipalRules(max_instalments=2, payment_days=10), 2)
    assert [(line["due_on"], line["amount"]) for line in schedule] == [
        ("2026-06-20", 70_000_00),
        ("2026-06-30", 70_000_00),
    ]


def test_a_lease_contract_starts_the_day_after_signing_and_credits_the_deposit_to_the_first_rent() -> None:
    terms = ContractTerms(deal="lease", price=4_000_00, deposit=5_000_00, rent_period="month", lease_term_months=3)
    credited, schedule = contract_schedule(terms, SIGNED_AT, MunicipalRules(), None)
    assert credited == 5_000_00
    assert schedule == [
        {"number": 1, "due_on": "2026-06-11", "amount": 0},
        {"number": 2, "due_on": "2026-07-11", "amount": 3_000_00},
        {"number": 3, "due_on": "2026-08-11", "amount": 4_000_00},
    ]


SCHEDULE = [
    {"number": 1, "due_on": "2026-07-01", "amount": 100_00},
    {"number": 2, "due_on": "2026-08-01", "amount": 100_00},
    {"number": 3, "due_on": "2026-09-01", "amount": 100_00},
]


def test_a_line_is_overdue_from_the_day_after_its_due_date_until_paid_in_full() -> None:
    on_the_day = line_states(SCHEDULE, [], date(2026, 7, 1))
    assert [s.status for s in on_the_day] == [LineStatus.DUE] * 3
    later = line_states(SCHEDULE, [(1, 100_00), (2, 40_00)], date(2026, 8, 2))
    assert [s.status for s in later] == [LineStatus.PAID, LineStatus.OVERDUE, LineStatus.DUE]
    assert arrears(later) == 60_00
    settled = line_states(SCHEDULE, [(1, 100_00), (2, 40_00), (2, 60_00)], date(2026, 8, 2))
    assert arrears(settled) == 0


RESULT = datetime(2026, 6, 9, 10, 0, tzinfo=UTC)  # 16:00 in Bishkek, 9 June


def positions(
    awards: list[AwardFact], *, refunded: frozenset[str] = frozenset(), today: date = date(2026, 6, 12)
) -> dict[str, DepositPosition]:
    deposited = ["b1", "b2", "b3", "b4"]
    return {p.pseudonym: p for p in deposit_positions(deposited, RESULT, awards, refunded, 5, today)}


def test_refunds_are_owed_to_non_winners_within_the_refund_days_of_the_result() -> None:
    result = positions([AwardFact("b1", "awaiting_signature", None), AwardFact("b2", "reserve", None)])
    assert result["b1"].fate == result["b2"].fate == DepositFate.HELD
    assert result["b3"].fate == DepositFate.OWED
    assert result["b3"].due_on == date(2026, 6, 14)
    assert not result["b3"].overdue
    assert positions([], today=date(2026, 6, 15))["b3"].overdue


def test_the_runner_up_is_owed_from_the_winners_signature_and_the_winner_is_credited() -> None:
    signed = datetime(2026, 6, 12, 5, 0, tzinfo=UTC)
    result = positions(
        [AwardFact("b1", "signed", signed), AwardFact("b2", "reserve", None)],
        refunded=frozenset({"b3"}),
        today=date(2026, 6, 20),
    )
    assert result["b1"].fate == DepositFate.CREDITED
    assert (result["b2"].fate, result["b2"].due_on, result["b2"].overdue) == (DepositFate.OWED, date(2026, 6, 17), True)
    assert result["b3"].fate == DepositFate.REFUNDED


def test_a_lapsed_offer_forfeits_and_nothing_is_owed_before_the_result() -> None:
    result = positions([AwardFact("b1", "declined", RESULT), AwardFact("b2", "awaiting_signature", None)])
    assert result["b1"].fate == DepositFate.FORFEITED
    pending = deposit_positions(["b1"], None, [], set(), 5, date(2026, 6, 12))
    assert pending[0].fate == DepositFate.PENDING


def test_the_reference_commitment_is_salted_sha256() -> None:
    salt = bytes(range(16))
    assert bank_reference_commitment(salt, "KICB-1") == bank_reference_commitment(salt, "KICB-1")
    assert bank_reference_commitment(salt, "KICB-1") != bank_reference_commitment(bytes(16), "KICB-1")
    assert len(bank_reference_commitment(salt, "KICB-1")) == 64
    with pytest.raises(ValueError, match="16 bytes"):
        bank_reference_commitment(b"short", "KICB-1")


def test_signing_day_is_the_bishkek_date() -> None:
    terms = ContractTerms(deal="sale", price=20_00, deposit=10_00)
    before_midnight = datetime(2026, 6, 9, 17, 59, tzinfo=UTC)  # 23:59 in Bishkek
    _, schedule = contract_schedule(terms, before_midnight, MunicipalRules(), 1)
    assert schedule[0]["due_on"] == "2026-07-09"
    _, schedule = contract_schedule(terms, before_midnight + timedelta(minutes=1), MunicipalRules(), 1)
    assert schedule[0]["due_on"] == "2026-07-10"
