"""Pure checks of the terms a lot may be published with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from auction.ledger.verifier.municipal_rules import MunicipalRules
from auction.lots.models import AuctionFormat, Deal, PropertyKind, RentPeriod
from auction.lots.rules import amendment_needs_reopening, changed_terms, check_terms
from auction.money import MAX_TYIYN

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # Monday noon in Bishkek
DEADLINE = NOW + timedelta(days=21)
OPENS = NOW + timedelta(days=22)  # Tuesday 23 June, noon in Bishkek
RULES = MunicipalRules(max_lease_months=120)


def terms(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "deal": Deal.SALE,
        "kind": PropertyKind.LAND_PLOT,
        "format": AuctionFormat.OPEN_ASCENDING,
        "title_en": "Plot",
        "registration_number": "1-02-03-0004-0005",
        "starting_price": 100_000,
        "bid_step": 5_000,
        "deposit": 10_000,
        "applications_close_at": DEADLINE,
        "bidding_opens_at": OPENS,
        "bidding_closes_at": OPENS + timedelta(hours=3),
    }
    base.update(overrides)
    return base


def fields(**overrides: Any) -> list[str]:
    return [str(p.field) for p in check_terms(terms(**overrides), now=NOW, rules=RULES)]


def test_valid_terms_have_no_problems() -> None:
    assert fields() == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"title_en": "  "}, ["title_ky"]),
        ({"starting_price": 0}, ["starting_price"]),
        ({"starting_price": MAX_TYIYN + 1, "bid_step": 1}, ["starting_price"]),
        ({"bid_step": 0}, ["bid_step"]),
        ({"bid_step": 100_001}, ["bid_step"]),
        ({"deposit": 100_001}, ["deposit"]),
        ({"valuation": 0}, ["valuation"]),
        ({"applications_close_at": NOW}, ["applications_close_at"]),
        ({"bidding_opens_at": DEADLINE - timedelta(days=1)}, ["bidding_opens_at"]),
        ({"bidding_closes_at": OPENS}, ["bidding_closes_at"]),
        ({"deal": Deal.LEASE}, ["lease_term_months", "rent_period", "permitted_use"]),
        (
            {"deal": Deal.LEASE, "lease_term_months": 121, "rent_period": RentPeriod.YEAR, "permitted_use": "Farming"},
            ["lease_term_months"],
        ),
        ({"lease_term_months": 12}, ["lease_term_months"]),
        ({"format": AuctionFormat.DESCENDING}, ["floor_price", "price_drop_interval_seconds"]),
        (
            {"format": AuctionFormat.DESCENDING, "floor_price": 100_000, "price_drop_interval_seconds": 60},
            ["floor_price"],
        ),
        ({"floor_price": 50_000}, ["floor_price"]),
        ({"registration_number": "1-2-3"}, ["registration_number"]),
        ({"kind": PropertyKind.VEHICLE, "registration_number": "1-02-03-0004-0005"}, ["registration_number"]),
        ({"kind": PropertyKind.EQUIPMENT, "registration_number": "<script>"}, ["registration_number"]),
    ],
)
def test_each_broken_rule_names_its_field(overrides: dict[str, Any], expected: list[str]) -> None:
    assert fields(**overrides) == expected


@pytest.mark.parametrize(
    ("kind", "number"),
    [
        (PropertyKind.BUILDING, "1-04-06-0012-0345-1"),
        (PropertyKind.VEHICLE, "01KG123ABC"),
        (PropertyKind.VEHICLE, "XTA21099071234567"),
        (PropertyKind.EQUIPMENT, "INV-2019/044"),
        (PropertyKind.OTHER, None),
    ],
)
def test_registration_numbers_of_each_kind(kind: PropertyKind, number: str | None) -> None:
    assert fields(kind=kind, registration_number=number) == []


@pytest.mark.parametrize("valuation", [None, 1, 80_000, MAX_TYIYN])
def test_a_valuation_is_optional_and_any_positive_amount(valuation: int | None) -> None:
    """It may be below the starting price too: an appraisal is not a floor."""
    assert fields(valuation=valuation) == []


def test_material_changes_need_reopening_only_when_someone_applied() -> None:
    before, after = terms(), terms(starting_price=120_000, address="new")
    changed = changed_terms(before, after)
    assert changed == {"starting_price", "address"}
    assert amendment_needs_reopening(changed, has_applications=True)
    assert not amendment_needs_reopening(changed, has_applications=False)
    assert not amendment_needs_reopening({"address"}, has_applications=True)
    # The appraisal informs; bidders commit to the price, the deposit and the schedule, not to it.
    assert not amendment_needs_reopening({"valuation"}, has_applications=True)
