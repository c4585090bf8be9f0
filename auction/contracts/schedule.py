"""A lease's rent schedule, in the signature the lots slice's lease terms use.

The arithmetic lives in the offline verifier (auction.ledger.verifier.settlement), because the replay recomputes
every contract's schedule with it; this is the platform's name for it.
"""

from __future__ import annotations

from datetime import date

from auction.ledger.verifier.settlement import rent_schedule as _rent_schedule


def rent_schedule(
    start_price_per_period: int,
    rent_period: str,
    lease_term_months: int,
    indexation_percent: int | None,
    first_due: date,
) -> list[tuple[date, int]]:
    """One (due date, rent in tyiyn) per period of the term: period k is due on its first day, `first_due` moved
    by k periods in calendar months; the rent rises by `indexation_percent` compounded each full lease year before
    the period begins, rounded down; a last period the term cuts short pays its share of months, rounded down.
    A contract's first period is due the day after signing (Bishkek date)."""
    return _rent_schedule(start_price_per_period, rent_period, lease_term_months, indexation_percent, first_due)
