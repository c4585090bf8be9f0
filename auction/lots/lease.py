"""Pure rules of a lease: its rent schedule, yearly indexation, the rent per square metre, and its own terms.

Money is integer tyiyn throughout. The rent schedule and yearly indexation are the contract's own
(auction.ledger.verifier.settlement, rounded down), so what a lot page promises is what the contract charges;
the per-m² figure shown beside a rent rounds half up.

A lot's bids and award are always the rent for one rent period for the whole object, one number to compare;
the per-m² figure is only shown beside it, never bid or recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from auction.ledger.verifier import settlement
from auction.ledger.verifier.lease_terms import LEASE_ONLY_TERMS, LEASE_TERM_LEGAL_MAX_MONTHS
from auction.ledger.verifier.settlement import add_months
from auction.lots.models import Deal, PropertyKind, RentPeriod
from auction.refusals import Problem

# Months one rent period covers (the contract's own table).
PERIOD_MONTHS: Mapping[RentPeriod, int] = {period: settlement.PERIOD_MONTHS[period] for period in RentPeriod}

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


def indexed_rent(rent: int, indexation_percent: int | None, year: int) -> int:
    """The rent per period in lease year ``year`` (1 = the first year, at the awarded rent), as the contract's
    schedule charges it: raised by the percent once for every full lease year, compounded, rounded down."""
    if year < 1:
        raise ValueError("lease years are counted from 1")
    rise = indexation_percent or 0
    raised: int = rent * (100 + rise) ** (year - 1) // 100 ** (year - 1)
    return raised


def rent_schedule(
    start_price_per_period: int,
    rent_period: RentPeriod,
    lease_term_months: int,
    indexation_percent: int | None,
    first_due: date,
) -> list[tuple[date, int]]:
    """Every rent payment of a lease: (due date, amount in tyiyn), in order — exactly the schedule a concluded
    contract records and the replay recomputes (auction.ledger.verifier.settlement.rent_schedule), after checking
    the terms a lot may carry."""
    if start_price_per_period < 1:
        raise ValueError("the rent must be at least one tyiyn")
    if not 1 <= lease_term_months <= LEASE_TERM_LEGAL_MAX_MONTHS:
        raise ValueError(f"the lease term must be 1 to {LEASE_TERM_LEGAL_MAX_MONTHS} months")
    if indexation_percent is not None and not 0 <= indexation_percent <= 100:
        raise ValueError("indexation must be 0 to 100 percent a year")
    return settlement.rent_schedule(
        start_price_per_period, rent_period, lease_term_months, indexation_percent, first_due
    )


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
