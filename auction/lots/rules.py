"""Pure rules of a lot's life: its state machine and the terms a lot may be published with."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from auction.errors import Conflict
from auction.lots.models import AuctionFormat, Deal, LotState, PropertyKind
from auction.money import MAX_TYIYN

TRANSITIONS: Mapping[LotState, frozenset[LotState]] = {
    LotState.DRAFT: frozenset({LotState.PUBLISHED, LotState.CANCELLED}),
    LotState.PUBLISHED: frozenset({LotState.BIDDING, LotState.CANCELLED}),
    LotState.BIDDING: frozenset({LotState.CLOSED, LotState.CANCELLED}),
    LotState.CLOSED: frozenset({LotState.AWARDED, LotState.FAILED, LotState.CANCELLED}),
    LotState.AWARDED: frozenset(),
    LotState.FAILED: frozenset(),
    LotState.CANCELLED: frozenset(),
}

# Terms whose change after applications exist must give bidders a fresh applications window.
MATERIAL_TERMS = frozenset(
    {
        "starting_price",
        "bid_step",
        "deposit",
        "applications_close_at",
        "bidding_opens_at",
        "bidding_closes_at",
    }
)

# Bidders get at least this long to react to a material amendment.
REOPEN_NOTICE = timedelta(days=3)

CADASTRAL_NUMBER = re.compile(r"^\d-\d{2}-\d{2}-\d{4}-\d{4}(-\d{1,4})?$")
VEHICLE_NUMBER = re.compile(r"^([A-HJ-NPR-Z0-9]{17}|\d{2}KG\d{3}[A-Z]{3})$")
INVENTORY_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-.]{0,63}$")


def ensure_transition(current: LotState, target: LotState) -> None:
    """Refuse a transition the state machine does not allow, naming the current state."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (it is final)"
        raise Conflict(f"The lot is {current}; it cannot become {target}. Allowed next states: {allowed}.")


def can_amend(state: LotState) -> bool:
    """Terms may change in draft freely, and once published only by a recorded amendment."""
    return state in {LotState.DRAFT, LotState.PUBLISHED}


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule, attributed to the field the person must change."""

    field: str
    message: str


def check_terms(terms: Mapping[str, Any], *, now: datetime, max_lease_months: int) -> list[Problem]:
    """Every reason the terms cannot be published as they stand; empty when they can."""
    problems: list[Problem] = []
    problems += _check_titles(terms)
    problems += _check_money(terms)
    problems += _check_schedule(terms, now)
    problems += _check_deal(terms, max_lease_months)
    problems += _check_format(terms)
    problems += _check_registration(terms)
    return problems


def _check_titles(terms: Mapping[str, Any]) -> list[Problem]:
    if not any((terms.get(f"title_{lang}") or "").strip() for lang in ("ky", "ru", "en")):
        return [Problem("title_ky", "Give the lot a title in at least one of Kyrgyz, Russian or English.")]
    return []


def _check_money(terms: Mapping[str, Any]) -> list[Problem]:
    problems = []
    price, step, deposit = terms["starting_price"], terms["bid_step"], terms["deposit"]
    for name in ("starting_price", "bid_step", "deposit"):
        value = terms[name]
        if value < 0 or value > MAX_TYIYN:
            problems.append(Problem(name, f"Must be between 0 and {MAX_TYIYN} tyiyn."))
    if price <= 0:
        problems.append(Problem("starting_price", "The starting price must be more than zero."))
    if step <= 0:
        problems.append(Problem("bid_step", "The bid step must be more than zero."))
    elif step > price > 0:
        problems.append(Problem("bid_step", "The bid step cannot be larger than the starting price."))
    if deposit > price > 0:
        problems.append(Problem("deposit", "The deposit cannot be larger than the starting price."))
    return problems


def _check_schedule(terms: Mapping[str, Any], now: datetime) -> list[Problem]:
    problems = []
    close_apps: datetime = terms["applications_close_at"]
    opens: datetime = terms["bidding_opens_at"]
    closes: datetime = terms["bidding_closes_at"]
    if close_apps <= now:
        problems.append(Problem("applications_close_at", "The applications deadline must be in the future."))
    if opens < close_apps:
        problems.append(Problem("bidding_opens_at", "Bidding cannot open before the applications deadline has passed."))
    if closes <= opens:
        problems.append(Problem("bidding_closes_at", "Bidding must close after it opens."))
    return problems


def _check_deal(terms: Mapping[str, Any], max_lease_months: int) -> list[Problem]:
    problems = []
    term, period = terms.get("lease_term_months"), terms.get("rent_period")
    if terms["deal"] == Deal.LEASE:
        if term is None:
            problems.append(Problem("lease_term_months", "A lease needs its term in months."))
        elif not 1 <= term <= max_lease_months:
            problems.append(
                Problem("lease_term_months", f"The lease term must be 1 to {max_lease_months} months here.")
            )
        if period is None:
            problems.append(Problem("rent_period", "A lease needs the rent period (month, quarter or year)."))
    elif term is not None or period is not None:
        field = "lease_term_months" if term is not None else "rent_period"
        problems.append(Problem(field, "A sale has no lease term or rent period."))
    return problems


def _check_format(terms: Mapping[str, Any]) -> list[Problem]:
    problems = []
    floor, interval = terms.get("floor_price"), terms.get("price_drop_interval_seconds")
    if terms["format"] == AuctionFormat.DESCENDING:
        if floor is None or not 0 < floor < terms["starting_price"]:
            problems.append(Problem("floor_price", "A descending auction needs a floor below the starting price."))
        if interval is None or not 10 <= interval <= 86_400:
            problems.append(Problem("price_drop_interval_seconds", "The price must drop every 10 seconds to 24 hours."))
    elif floor is not None or interval is not None:
        field = "floor_price" if floor is not None else "price_drop_interval_seconds"
        problems.append(Problem(field, "Only a descending auction has a floor price and a drop interval."))
    if not 1 <= terms.get("soft_close_minutes", 5) <= 60:
        problems.append(Problem("soft_close_minutes", "The soft-close window must be 1 to 60 minutes."))
    if not 0 <= terms.get("max_extension_minutes", 60) <= 24 * 60:
        problems.append(Problem("max_extension_minutes", "The total extension cap must be 0 to 1440 minutes."))
    return problems


def _check_registration(terms: Mapping[str, Any]) -> list[Problem]:
    number: str | None = terms.get("registration_number")
    kind = terms["kind"]
    if kind in {PropertyKind.LAND_PLOT, PropertyKind.BUILDING}:
        if not number or not CADASTRAL_NUMBER.match(number):
            return [
                Problem(
                    "registration_number",
                    "Land and buildings need a cadastral number shaped like 1-02-03-0004-0005.",
                )
            ]
    elif kind == PropertyKind.VEHICLE:
        if not number or not VEHICLE_NUMBER.match(number):
            return [
                Problem(
                    "registration_number",
                    "A vehicle needs its 17-character VIN or a plate shaped like 01KG123ABC.",
                )
            ]
    elif number and not INVENTORY_NUMBER.match(number):
        return [Problem("registration_number", "Use letters, digits, '/', '-' or '.' (at most 64).")]
    return []


def changed_terms(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    """The names of the terms whose values differ between two versions."""
    return {key for key in after if before.get(key) != after.get(key)}


def amendment_needs_reopening(changed: set[str], *, has_applications: bool) -> bool:
    """Bidders who applied relied on the material terms; changing them must reopen applications."""
    return has_applications and bool(changed & MATERIAL_TERMS)


# The auction is over and its result known: awarded to a winner, or failed for want of one.
DECIDED_STATES = frozenset({LotState.AWARDED, LotState.FAILED})


def amounts_public(fmt: AuctionFormat, state: LotState) -> bool:
    """Bid amounts are public as they come in open formats; a sealed auction's only once it is decided."""
    return fmt != AuctionFormat.SEALED_BID or state in DECIDED_STATES
