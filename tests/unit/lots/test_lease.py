"""Pure rules of a lease: the rent schedule, yearly indexation, the rent per m², and the lease's own terms."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from auction.ledger.verifier.lease_terms import lease_terms_problem
from auction.ledger.verifier.municipal_rules import MunicipalRules
from auction.lots.lease import add_months, indexed_rent, rent_per_sqm, rent_schedule
from auction.lots.models import AuctionFormat, Deal, PropertyKind, RentPeriod
from auction.lots.rules import check_terms
from tests.kit.world import kit_schedule

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SOM = 100


# --- due dates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # a leap year
        (date(2026, 1, 31), 2, date(2026, 3, 31)),  # counted from the start: back to the 31st
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 6, 1), 0, date(2026, 6, 1)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
    ],
)
def test_months_are_added_to_the_same_day_or_the_months_last(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_a_lease_starting_on_the_31st_is_due_on_each_months_last_day_not_the_28th_ever_after() -> None:
    schedule = rent_schedule(10_000 * SOM, RentPeriod.MONTH, 4, None, date(2026, 1, 31))
    assert [due for due, _ in schedule] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


# --- periods ---------------------------------------------------------------------------------------------


def test_monthly_rent_without_indexation_is_one_fixed_payment_a_month() -> None:
    schedule = rent_schedule(20_000 * SOM, RentPeriod.MONTH, 36, None, date(2026, 7, 1))
    assert len(schedule) == 36
    assert {amount for _, amount in schedule} == {20_000 * SOM}
    assert schedule[-1][0] == date(2029, 6, 1)


def test_quarterly_rent_is_due_every_three_months() -> None:
    schedule = rent_schedule(60_000 * SOM, RentPeriod.QUARTER, 12, None, date(2026, 1, 15))
    assert schedule == [
        (date(2026, 1, 15), 60_000 * SOM),
        (date(2026, 4, 15), 60_000 * SOM),
        (date(2026, 7, 15), 60_000 * SOM),
        (date(2026, 10, 15), 60_000 * SOM),
    ]


def test_yearly_rent_is_due_on_each_anniversary() -> None:
    schedule = rent_schedule(240_000 * SOM, RentPeriod.YEAR, 36, None, date(2026, 3, 1))
    assert [due for due, _ in schedule] == [date(2026, 3, 1), date(2027, 3, 1), date(2028, 3, 1)]


def test_a_part_period_at_the_end_is_charged_pro_rata_by_whole_months() -> None:
    # 14 months of yearly rent: a full year, then 2/12 of the second year's rent.
    schedule = rent_schedule(120_000 * SOM, RentPeriod.YEAR, 14, None, date(2026, 1, 1))
    assert schedule == [(date(2026, 1, 1), 120_000 * SOM), (date(2027, 1, 1), 20_000 * SOM)]
    # 7 months of quarterly rent: two quarters and one month of a third, rounded down to a tyiyn.
    schedule = rent_schedule(100_00, RentPeriod.QUARTER, 7, None, date(2026, 1, 1))
    assert [amount for _, amount in schedule] == [100_00, 100_00, 33_33]
    assert rent_schedule(5, RentPeriod.QUARTER, 1, None, date(2026, 1, 1)) == [(date(2026, 1, 1), 1)]  # 1.67 -> 1


# --- indexation ------------------------------------------------------------------------------------------


def test_indexation_raises_the_rent_once_a_year_from_the_second_lease_year() -> None:
    schedule = rent_schedule(20_000 * SOM, RentPeriod.MONTH, 36, 5, date(2026, 7, 1))
    amounts = [amount for _, amount in schedule]
    assert amounts[:12] == [20_000 * SOM] * 12
    assert amounts[12:24] == [21_000 * SOM] * 12  # the lot page's example: year 2 = 21,000 som a month
    assert amounts[24:] == [22_050 * SOM] * 12  # compounding: 21,000 + 5 %, not 20,000 + 10 %
    assert schedule[12][0] == date(2027, 7, 1)


def test_quarterly_and_yearly_payments_follow_the_lease_years() -> None:
    quarterly = [amount for _, amount in rent_schedule(1_000_00, RentPeriod.QUARTER, 24, 10, date(2026, 1, 1))]
    assert quarterly == [1_000_00] * 4 + [1_100_00] * 4
    yearly = rent_schedule(1_000_00, RentPeriod.YEAR, 30, 10, date(2026, 1, 1))
    # Year 3 is half a year: 6/12 of 1,210.00.
    assert yearly == [(date(2026, 1, 1), 1_000_00), (date(2027, 1, 1), 1_100_00), (date(2028, 1, 1), 605_00)]


def test_indexation_compounds_the_awarded_rent_and_rounds_down_once_as_the_contract_charges_it() -> None:
    # 333.33 som + 5 % = 349.9965 -> 349.99; year 3: 333.33 * 1.1025 = 367.496... -> 367.49 (not 349.99 * 1.05).
    assert indexed_rent(333_33, 5, 2) == 349_99
    assert indexed_rent(333_33, 5, 3) == 367_49
    assert [indexed_rent(1_000_00, 0, year) for year in (1, 2, 3)] == [1_000_00] * 3
    assert indexed_rent(1_000_00, None, 5) == 1_000_00
    schedule = rent_schedule(333_33, RentPeriod.YEAR, 36, 5, date(2026, 1, 1))
    # What the lot page shows for a year is what that year's contract line charges.
    assert [amount for _, amount in schedule] == [indexed_rent(333_33, 5, year) for year in (1, 2, 3)]


@pytest.mark.parametrize(
    ("rent", "months", "indexation", "message"),
    [
        (0, 12, None, "at least one tyiyn"),
        (100, 0, None, "lease term"),
        (100, 589, None, "lease term"),
        (100, 12, 101, "indexation"),
        (100, 12, -1, "indexation"),
    ],
)
def test_a_schedule_refuses_what_no_lease_can_have(
    rent: int, months: int, indexation: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        rent_schedule(rent, RentPeriod.MONTH, months, indexation, date(2026, 1, 1))


# --- rent per m² -----------------------------------------------------------------------------------------


def test_the_rent_per_square_metre_is_rounded_half_up_to_a_tyiyn() -> None:
    assert rent_per_sqm(26_880 * SOM, Decimal("64.00")) == 420 * SOM  # "≈ 420 som per m² per month"
    assert rent_per_sqm(100_00, Decimal("3")) == 33_33
    assert rent_per_sqm(5, Decimal("2")) == 3  # 2.5 tyiyn -> 3
    assert rent_per_sqm(18_000 * SOM, Decimal("120000.00")) == 15  # pasture: 0.15 som per m²
    assert rent_per_sqm(100_00, None) is None


# --- the lease's terms at the service's door -------------------------------------------------------------


def lease(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "deal": Deal.LEASE,
        "kind": PropertyKind.PREMISES,
        "format": AuctionFormat.OPEN_ASCENDING,
        "title_en": "Shop premises",
        "registration_number": "1-04-06-0012-0345-1",
        "starting_price": 30_000 * SOM,
        "bid_step": 1_000 * SOM,
        "deposit": 3_000 * SOM,
        "lease_term_months": 36,
        "rent_period": RentPeriod.MONTH,
        "permitted_use": "Retail of food",
        # The kit's schedule keeps the default rules' notice and working hours in Bishkek.
        **dict(zip(("applications_close_at", "bidding_opens_at", "bidding_closes_at"), kit_schedule(NOW), strict=True)),
    }
    base.update(overrides)
    return base


def problems(terms: dict[str, Any], max_lease_months: int = 36) -> list[tuple[str, str | None]]:
    rules = MunicipalRules(max_lease_months=max_lease_months)
    return [(p.code, p.field) for p in check_terms(terms, now=NOW, rules=rules)]


def test_a_complete_lease_has_no_problems() -> None:
    assert problems(lease()) == []
    assert problems(lease(indexation_percent=5, sitting_tenant=True)) == []


def test_a_lease_needs_its_permitted_use() -> None:
    assert problems(lease(permitted_use=None)) == [("terms.permitted_use_missing", "permitted_use")]
    assert problems(lease(permitted_use="   ")) == [("terms.permitted_use_missing", "permitted_use")]
    assert problems(lease(permitted_use="x" * 301)) == [("terms.permitted_use_too_long", "permitted_use")]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("permitted_use", "Retail"),
        ("indexation_percent", 5),
        ("indexation_percent", 0),
        ("sitting_tenant", True),
        ("lease_extension_decision", "No. 12/4 of 3 March 2026"),
    ],
)
def test_a_sale_is_refused_with_a_lease_only_term(name: str, value: object) -> None:
    sale = lease(deal=Deal.SALE, lease_term_months=None, rent_period=None, permitted_use=None)
    sale[name] = value
    assert problems(sale) == [("terms.lease_only_term_on_sale", name)]


def test_a_sale_with_no_sitting_tenant_is_fine() -> None:
    sale = lease(deal=Deal.SALE, lease_term_months=None, rent_period=None, permitted_use=None, sitting_tenant=False)
    assert problems(sale) == []


def test_a_term_beyond_the_cap_needs_a_new_council_decision_and_never_passes_the_laws_maximum() -> None:
    assert problems(lease(lease_term_months=37)) == [("terms.lease_term_too_long", "lease_term_months")]
    assert problems(lease(lease_term_months=60), max_lease_months=60) == []
    decided = lease(lease_term_months=120, lease_extension_decision="No. 12/4 of 3 March 2026, Tokmok city kenesh")
    assert problems(decided) == []
    refused = check_terms({**decided, "lease_term_months": 589}, now=NOW, rules=MunicipalRules())
    assert [(p.code, p.params) for p in refused] == [("terms.lease_term_too_long", {"max_months": 588})]


@pytest.mark.parametrize(
    ("kind", "number", "expected"),
    [
        (PropertyKind.PREMISES, "1-04-06-0012-0345-1", []),
        (PropertyKind.PREMISES, "SHOP-12", [("terms.cadastral_number_malformed", "registration_number")]),
        (PropertyKind.PREMISES, None, [("terms.cadastral_number_malformed", "registration_number")]),
        (PropertyKind.KIOSK_PLACE, "NTO-2026/014", []),
        (PropertyKind.KIOSK_PLACE, None, [("terms.inventory_number_missing", "registration_number")]),
        (PropertyKind.PITCH, "M-3/17", []),
        (PropertyKind.PITCH, "<b>", [("terms.inventory_number_malformed", "registration_number")]),
        (PropertyKind.ADVERTISING_SPACE, "RK-0042", []),
        (PropertyKind.ADVERTISING_SPACE, "", [("terms.inventory_number_missing", "registration_number")]),
        (PropertyKind.OTHER, None, []),
    ],
)
def test_each_kind_carries_its_own_register_number(
    kind: PropertyKind, number: str | None, expected: list[tuple[str, str]]
) -> None:
    assert problems(lease(kind=kind, registration_number=number)) == expected


# --- the replay's check of the same terms ---------------------------------------------------------------


def recorded(**overrides: Any) -> dict[str, Any]:
    """Lease terms as the ledger records them (plain strings)."""
    terms: dict[str, Any] = {
        "deal": "lease",
        "lease_term_months": 36,
        "rent_period": "month",
        "permitted_use": "Retail of food",
        "indexation_percent": None,
        "sitting_tenant": False,
        "lease_extension_decision": None,
    }
    terms.update(overrides)
    return terms


@pytest.mark.parametrize(
    ("overrides", "found"),
    [
        ({}, None),
        ({"lease_term_months": 37}, "exceeds the municipality's cap of 36"),
        ({"lease_term_months": 120, "lease_extension_decision": "No. 12/4"}, None),
        ({"lease_term_months": 589, "lease_extension_decision": "No. 12/4"}, "legal maximum of 588"),
        ({"lease_extension_decision": ""}, "lease_extension_decision must be"),
        ({"rent_period": "week"}, "rent_period"),
        ({"lease_term_months": 0}, "whole number of months"),
        ({"permitted_use": ""}, "permitted_use"),
        ({"permitted_use": None}, "permitted_use"),
        ({"indexation_percent": 101}, "indexation_percent"),
        ({"indexation_percent": "5"}, "indexation_percent"),
        ({"sitting_tenant": 1}, "sitting_tenant"),
        ({"deal": "sale", "lease_term_months": None, "rent_period": None, "permitted_use": None}, None),
        (
            {"deal": "sale", "lease_term_months": None, "rent_period": None, "permitted_use": "Retail"},
            "lease terms ['permitted_use']",
        ),
        (
            {
                "deal": "sale",
                "lease_term_months": None,
                "rent_period": None,
                "permitted_use": None,
                "sitting_tenant": True,
            },
            "lease terms ['sitting_tenant']",
        ),
    ],
)
def test_the_replay_judges_recorded_lease_terms(overrides: dict[str, Any], found: str | None) -> None:
    problem = lease_terms_problem(recorded(**overrides), 36)
    if found is None:
        assert problem is None
    else:
        assert problem is not None
        assert found in problem


def test_a_chain_from_before_leases_were_modelled_has_no_permitted_use_and_passes() -> None:
    old = {"deal": "lease", "lease_term_months": 24, "rent_period": "month"}
    assert lease_terms_problem(old, 36) is None
