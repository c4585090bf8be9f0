"""Pure rules of a lot's life: its state machine and the terms a lot may be published with."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from auction.errors import Conflict
from auction.ledger.verifier import publication_rules as publication
from auction.ledger.verifier.municipal_rules import MunicipalRules
from auction.lots.lease import CADASTRAL_KINDS, INVENTORY_KINDS, lease_problems
from auction.lots.models import AuctionFormat, Deal, LotState, PropertyKind
from auction.lots.payment import payment_problems
from auction.money import MAX_TYIYN
from auction.refusals import Breach, Problem

TRANSITIONS: Mapping[LotState, frozenset[LotState]] = {
    LotState.DRAFT: frozenset({LotState.PUBLISHED, LotState.CANCELLED}),
    LotState.PUBLISHED: frozenset({LotState.BIDDING, LotState.CANCELLED}),
    LotState.BIDDING: frozenset({LotState.CLOSED, LotState.CANCELLED}),
    LotState.CLOSED: frozenset({LotState.AWARDED, LotState.FAILED, LotState.CANCELLED}),
    # An award that lapses (the winner and any runner-up declined or let it expire) leaves the lot failed, so the
    # officer can repeat the auction instead of being stuck with a lot nobody will sign for.
    LotState.AWARDED: frozenset({LotState.FAILED}),
    LotState.FAILED: frozenset(),
    LotState.CANCELLED: frozenset(),
}

# Terms whose change after applications exist must give bidders a fresh applications window; the replay judges
# amendments by the same set, so it lives with the verifier's rules of publication.
MATERIAL_TERMS = publication.MATERIAL_TERMS

CADASTRAL_NUMBER = re.compile(r"^\d-\d{2}-\d{2}-\d{4}-\d{4}(-\d{1,4})?$")
VEHICLE_NUMBER = re.compile(r"^([A-HJ-NPR-Z0-9]{17}|\d{2}KG\d{3}[A-Z]{3})$")
INVENTORY_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-.]{0,63}$")


def ensure_transition(current: LotState, target: LotState) -> None:
    """Refuse a transition the state machine does not allow, naming the current state."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (it is final)"
        raise Conflict("lot.transition_refused", state=current.value, target=target.value, allowed=allowed)


def can_amend(state: LotState) -> bool:
    """Terms may change in draft freely, and once published only by a recorded amendment."""
    return state in {LotState.DRAFT, LotState.PUBLISHED}


def check_terms(
    terms: Mapping[str, Any], *, now: datetime, rules: MunicipalRules, published_at: datetime | None = None
) -> list[Problem]:
    """Every reason the terms cannot stand; empty when they can.

    A draft (`published_at` None) is held to everything but what publication adds: the notice period and the
    council decision, judged when it is published (`published_at` = now) and at every amendment after (the
    moment it was published).
    """
    problems: list[Problem] = []
    problems += _check_titles(terms)
    problems += _check_money(terms)
    problems += _check_schedule(terms, now)
    problems += _check_deal(terms)
    problems += _check_format(terms)
    problems += _check_registration(terms)
    problems += lease_problems(terms)
    # A draft may still lack them; publication (and every amendment after it) needs them for a deposit.
    problems += payment_problems(terms, publishing=published_at is not None)
    if not problems:
        # The municipality's rules read a schedule and prices that are already coherent.
        breaches = publication.publication_breaches(
            publication.ScheduleTerms.of(terms), rules, published_at=published_at
        )
        problems += [problem_of(breach) for breach in breaches]
    return problems


def problem_of(breach: Breach) -> Problem:
    """A breach the verifier's pure rules report, as the platform's refusal of the same code."""
    return Problem.of(breach)


def _check_titles(terms: Mapping[str, Any]) -> list[Problem]:
    if not any((terms.get(f"title_{lang}") or "").strip() for lang in ("ky", "ru", "en")):
        return [Problem("terms.title_missing", field="title_ky")]
    return []


def _check_money(terms: Mapping[str, Any]) -> list[Problem]:
    problems = []
    price, step, deposit = terms["starting_price"], terms["bid_step"], terms["deposit"]
    for name in ("starting_price", "bid_step", "deposit"):
        value = terms[name]
        if value < 0 or value > MAX_TYIYN:
            problems.append(Problem("terms.amount_out_of_range", field=name, max_tyiyn=MAX_TYIYN))
    if price <= 0:
        problems.append(Problem("terms.starting_price_not_positive", field="starting_price"))
    if step <= 0:
        problems.append(Problem("terms.bid_step_not_positive", field="bid_step"))
    elif step > price > 0:
        problems.append(Problem("terms.bid_step_above_price", field="bid_step"))
    if deposit > price > 0:
        problems.append(Problem("terms.deposit_above_price", field="deposit"))
    valuation = terms.get("valuation")
    if valuation is not None and valuation <= 0:
        # Null means "not recorded"; zero would read as an appraisal that found the property worthless.
        problems.append(Problem("terms.valuation_not_positive", field="valuation"))
    return problems


def _check_schedule(terms: Mapping[str, Any], now: datetime) -> list[Problem]:
    problems = []
    close_apps: datetime = terms["applications_close_at"]
    opens: datetime = terms["bidding_opens_at"]
    closes: datetime = terms["bidding_closes_at"]
    if close_apps <= now:
        problems.append(Problem("terms.applications_deadline_past", field="applications_close_at"))
    if opens < close_apps:
        problems.append(Problem("terms.bidding_opens_before_deadline", field="bidding_opens_at"))
    if closes <= opens:
        problems.append(Problem("terms.bidding_closes_before_opening", field="bidding_closes_at"))
    return problems


def _check_deal(terms: Mapping[str, Any]) -> list[Problem]:
    # The lease cap is the municipality's rule (publication_rules); here only what any lease needs.
    problems = []
    term, period = terms.get("lease_term_months"), terms.get("rent_period")
    if terms["deal"] == Deal.LEASE:
        if term is None:
            problems.append(Problem("terms.lease_term_missing", field="lease_term_months"))
        if period is None:
            problems.append(Problem("terms.rent_period_missing", field="rent_period"))
    elif term is not None or period is not None:
        field = "lease_term_months" if term is not None else "rent_period"
        problems.append(Problem("terms.sale_with_lease_terms", field=field))
    return problems


def _check_format(terms: Mapping[str, Any]) -> list[Problem]:
    problems = []
    floor, interval = terms.get("floor_price"), terms.get("price_drop_interval_seconds")
    if terms["format"] == AuctionFormat.DESCENDING:
        if floor is None or not 0 < floor < terms["starting_price"]:
            problems.append(Problem("terms.floor_price_invalid", field="floor_price"))
        if interval is None or not 10 <= interval <= 86_400:
            problems.append(Problem("terms.price_drop_interval_invalid", field="price_drop_interval_seconds"))
    elif floor is not None or interval is not None:
        field = "floor_price" if floor is not None else "price_drop_interval_seconds"
        problems.append(Problem("terms.descending_fields_misplaced", field=field))
    if not 1 <= terms.get("soft_close_minutes", 5) <= 60:
        problems.append(Problem("terms.soft_close_out_of_range", field="soft_close_minutes"))
    if not 0 <= terms.get("max_extension_minutes", 60) <= 24 * 60:
        problems.append(Problem("terms.extension_cap_out_of_range", field="max_extension_minutes"))
    return problems


def _check_registration(terms: Mapping[str, Any]) -> list[Problem]:
    number: str | None = terms.get("registration_number")
    kind = terms["kind"]
    if kind in CADASTRAL_KINDS:
        if not number or not CADASTRAL_NUMBER.match(number):
            return [Problem("terms.cadastral_number_malformed", field="registration_number")]
    elif kind == PropertyKind.VEHICLE:
        if not number or not VEHICLE_NUMBER.match(number):
            return [Problem("terms.vehicle_number_malformed", field="registration_number")]
    elif kind in INVENTORY_KINDS and not number:
        # A kiosk place, pitch or advertising space exists only as an entry in the municipality's placement scheme.
        return [Problem("terms.inventory_number_missing", field="registration_number")]
    elif number and not INVENTORY_NUMBER.match(number):
        return [Problem("terms.inventory_number_malformed", field="registration_number")]
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
