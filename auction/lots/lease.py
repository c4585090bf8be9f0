"""Pure rules of a lease: its rent schedule, yearly indexation, the rent per square metre, and its own terms.

Money is integer tyiyn throughout. Every division rounds half up to a whole tyiyn (a half tyiyn goes to the
municipality), as a tenant checking an amount with a calculator would round it.

A lot's bids and award are always the rent for one rent period for the whole object, one number to compare;
the per-m² figure is only shown beside it, never bid or recorded.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from auction.ledger.verifier.lease_terms import LEASE_ONLY_TERMS, LEASE_TERM_LEGAL_MAX_MONTHS
from auction.lots.models import Deal, PropertyKind, RentPeriod
from auction.refusals import Problem

# Months one rent period covers.
PERIOD_MONTHS: Mapping[RentPeriod, int] = {RentPeriod.MONTH: 1, RentPeriod.QUARTER: 3, RentPeriod.YEAR: 12}

# Kinds of property a municipality places by its own register (the scheme of non-stationary trade objects, the
# scheme of advertising structures, market pitches): they carry that register's inventory number.
INVENTORY_KINDS = frozenset({PropertyKind.KIOSK_PLACE, PropertyKind.PITCH, PropertyKind.ADVERTISING_SPACE})
# Kinds registered in the state cadastre (the unified register of rights to immovable property).
CADASTRAL_KINDS = frozenset({PropertyKind.LAND_PLOT, PropertyKind.BUILDING, PropertyKind.PREMISES})

PERMITTED_USE_MAX = 300

__all__ = [
    "CADASTRAL_KINDS",
    "INVENTORY_KINDS",
    "LEASE_ONLY_TERMS",
    "LEASE_TERM_LEGAL_MAX_MONTHS",
    "PERIOD_MONTHS",
    "add_months",
    "indexed_rent",
    "lease_problems",
    "rent_per_sqm",
    "rent_schedule",
]


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, or the last day of that month when it is shorter (31 Jan + 1 = 28/29 Feb).

    Always counted from ``start``, never step by step, so a lease starting on the 31st is due on the 31st in
    every month that has one (31 Jan, 28 Feb, 31 Mar), not on the 28th ever after.
    """
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def indexed_rent(rent: int, indexation_percent: int | None, year: int) -> int:
    """The rent per period in lease year ``year`` (1 = the first year, at the awarded rent).

    Indexation compounds yearly: each year's rent is the previous year's rent raised by the percent and rounded
    half up to a tyiyn, so the tenant can check every year's figure from the one before it.
    """
    if year < 1:
        raise ValueError("lease years are counted from 1")
    amount = rent
    for _ in range(year - 1):
        amount = _half_up(amount * (100 + (indexation_percent or 0)), 100)
    return amount


def rent_schedule(
    start_price_per_period: int,
    rent_period: RentPeriod,
    lease_term_months: int,
    indexation_percent: int | None,
    first_due: date,
) -> list[tuple[date, int]]:
    """Every rent payment of a lease: (due date, amount in tyiyn), in order.

    - Rent is paid in advance, one payment per rent period; the first is due on ``first_due`` (the lease's
      start) and each next one the same day of the month a period later (clamped to the month's end).
    - Lease years count from ``first_due``: a payment due in month 13-24 of the lease is in year 2, and so on.
      With ``indexation_percent`` the rent of each year is the previous year's raised by that percent
      (`indexed_rent`); a quarterly or yearly payment never straddles a lease year, since 3 and 12 divide 12.
    - A term that is not a whole number of periods (14 months of yearly rent) ends with a part period, charged
      pro rata by whole months: that year's rent * months left / months per period, rounded half up.
    """
    if start_price_per_period < 1:
        raise ValueError("the rent must be at least one tyiyn")
    if not 1 <= lease_term_months <= LEASE_TERM_LEGAL_MAX_MONTHS:
        raise ValueError(f"the lease term must be 1 to {LEASE_TERM_LEGAL_MAX_MONTHS} months")
    if indexation_percent is not None and not 0 <= indexation_percent <= 100:
        raise ValueError("indexation must be 0 to 100 percent a year")
    step = PERIOD_MONTHS[RentPeriod(rent_period)]
    schedule: list[tuple[date, int]] = []
    year_rent = {1: start_price_per_period}
    for elapsed in range(0, lease_term_months, step):
        year = elapsed // 12 + 1
        if year not in year_rent:
            year_rent[year] = _half_up(year_rent[year - 1] * (100 + (indexation_percent or 0)), 100)
        months = min(step, lease_term_months - elapsed)
        amount = year_rent[year] if months == step else _half_up(year_rent[year] * months, step)
        schedule.append((add_months(first_due, elapsed), amount))
    return schedule


def rent_per_sqm(rent: int, area_sqm: Decimal | None) -> int | None:
    """The rent per square metre for the same period, in tyiyn rounded half up; None without an area."""
    if area_sqm is None or area_sqm <= 0:
        return None
    return int((Decimal(rent) / Decimal(area_sqm)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def lease_problems(terms: Mapping[str, Any]) -> list[Problem]:
    """The lease's own terms that are missing or misplaced.

    A lease states what the tenant may use the property for; a sale carries none of the lease-only terms.
    (The term and rent period, and the cap on the term, are checked with the deal in `auction.lots.rules`.)
    """
    problems: list[Problem] = []
    if terms["deal"] == Deal.LEASE:
        use = (terms.get("permitted_use") or "").strip()
        if not use:
            problems.append(Problem("terms.permitted_use_missing", field="permitted_use"))
        elif len(use) > PERMITTED_USE_MAX:
            problems.append(
                Problem("terms.permitted_use_too_long", field="permitted_use", max_characters=PERMITTED_USE_MAX)
            )
        return problems
    for name in sorted(LEASE_ONLY_TERMS):
        value = terms.get(name)
        # `is False`, not ==: an indexation of 0 % on a sale is still a lease term out of place.
        if not (value is None or value is False or value == ""):
            problems.append(Problem("terms.lease_only_term_on_sale", field=name))
    return problems
