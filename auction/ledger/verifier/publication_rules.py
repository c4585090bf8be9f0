"""Rules a lot is published by, judged against its municipality's rules: notice, working hours, lease cap, council
decision, repeat auctions, and which terms are material to bidders who already applied.

Standard library only. The platform refuses a publication or amendment that breaks one of these (auction/lots), and
the replay (replay.py) judges every `lot.published`, `lot.amended` and `lot.document` with the same functions, so
what an inspector recomputes is what the platform enforced. A breach is a `RuleBreach` (its code is worded for
people in auction/refusals.py); a `*_at` parameter is an ISO 8601 UTC string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from auction.ledger.verifier.auction_rules import AuctionFormat, RuleBreach, dutch_closes_at
from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.municipal_rules import BOUNDS, MunicipalRules

# Terms whose change after applications exist must give bidders a fresh applications window: what a bidder priced
# their deposit and their bid on (money, schedule, the lease's term and rent), how the contest runs (the
# single-participant rule, soft close) and the council decision that makes the sale lawful. Documents count too,
# but they are not terms: a `lot.document` on a lot with applications reopens applications by itself.
MATERIAL_TERMS = frozenset(
    {
        "starting_price",
        "bid_step",
        "deposit",
        "floor_price",
        "price_drop_interval_seconds",
        "applications_close_at",
        "bidding_opens_at",
        "bidding_closes_at",
        "rent_period",
        "lease_term_months",
        "indexation_percent",
        "single_participant_rule",
        "soft_close_minutes",
        "max_extension_minutes",
        "council_decision",
    }
)

# A repeat auction offers the same property: these terms may not differ from the failed lot's.
SAME_PROPERTY_TERMS = ("deal", "kind", "address", "registration_number", "area_sqm")


@dataclass(frozen=True, slots=True)
class ScheduleTerms:
    """The terms these rules read, whichever side parsed them (LotTerms in the platform, a payload in the replay)."""

    format: str
    deal: str
    starting_price: int
    bid_step: int
    floor_price: int | None
    price_drop_interval_seconds: int | None
    applications_close_at: datetime
    bidding_opens_at: datetime
    bidding_closes_at: datetime
    max_extension_minutes: int
    lease_term_months: int | None
    council_decision: str | None
    # A lease term beyond the municipality's cap needs a new council decision, cited here (lease_terms.py).
    lease_extension_decision: str | None = None

    @classmethod
    def of(cls, terms: Mapping[str, Any]) -> ScheduleTerms:
        """From a mapping of terms whose three schedule moments are aware datetimes already."""
        return cls(
            format=str(terms["format"]),
            deal=str(terms["deal"]),
            starting_price=terms["starting_price"],
            bid_step=terms["bid_step"],
            floor_price=terms.get("floor_price"),
            price_drop_interval_seconds=terms.get("price_drop_interval_seconds"),
            applications_close_at=terms["applications_close_at"],
            bidding_opens_at=terms["bidding_opens_at"],
            bidding_closes_at=terms["bidding_closes_at"],
            max_extension_minutes=terms.get("max_extension_minutes", 60),
            lease_term_months=terms.get("lease_term_months"),
            council_decision=terms.get("council_decision"),
            lease_extension_decision=terms.get("lease_extension_decision"),
        )


def latest_close(terms: ScheduleTerms) -> tuple[datetime, str]:
    """The latest moment bidding can end, and the term that sets it.

    Open ascending: the close plus every soft-close extension the cap allows. Descending: one interval after the
    price reaches the floor (the Dutch end, whatever `bidding_closes_at` says). Sealed: the close.
    """
    if terms.format == AuctionFormat.DESCENDING.value:
        floor, interval = terms.floor_price, terms.price_drop_interval_seconds
        if floor is not None and interval is not None and terms.bid_step > 0 and floor < terms.starting_price:
            end = dutch_closes_at(
                terms.starting_price, terms.bid_step, floor, terms.bidding_opens_at, timedelta(seconds=interval)
            )
            return end, "price_drop_interval_seconds"
        return terms.bidding_closes_at, "bidding_closes_at"
    if terms.format == AuctionFormat.OPEN_ASCENDING.value:
        return terms.bidding_closes_at + timedelta(minutes=terms.max_extension_minutes), "max_extension_minutes"
    return terms.bidding_closes_at, "bidding_closes_at"


def earliest_deadline(published_at: datetime, rules: MunicipalRules) -> datetime:
    """The earliest applications deadline a lot published at `published_at` may have."""
    return published_at + timedelta(days=rules.notice_days)


def publication_breaches(
    terms: ScheduleTerms, rules: MunicipalRules, *, published_at: datetime | None
) -> list[RuleBreach]:
    """Every rule of publication the terms break; empty when they keep them all.

    `published_at` is when the lot was (or is being) published; None for a draft, which is judged only by what does
    not depend on publication (working hours, the lease cap), so an officer learns of those while drafting.
    """
    breaches: list[RuleBreach] = []
    if published_at is not None:
        earliest = earliest_deadline(published_at, rules)
        if terms.applications_close_at < earliest:
            breaches.append(
                RuleBreach(
                    "publication.notice_too_short",
                    field="applications_close_at",
                    notice_days=rules.notice_days,
                    earliest_at=format_time(earliest),
                )
            )
        if not (terms.council_decision or "").strip():
            breaches.append(RuleBreach("publication.council_decision_missing", field="council_decision"))
    start, end = (moment.strftime("%H:%M") for moment in rules.workday_hours)
    for name in ("bidding_opens_at", "bidding_closes_at"):
        moment: datetime = getattr(terms, name)
        if not rules.within_working_hours(moment):
            breaches.append(
                RuleBreach(
                    "publication.outside_working_hours",
                    field=name,
                    moment_at=format_time(moment),
                    start=start,
                    end=end,
                )
            )
    latest, field = latest_close(terms)
    if latest != terms.bidding_closes_at and not rules.within_working_hours(latest):
        breaches.append(
            RuleBreach(
                "publication.latest_close_outside_working_hours",
                field=field,
                latest_at=format_time(latest),
                start=start,
                end=end,
            )
        )
    # Beyond the municipality's cap only by a new council decision, cited in the terms; never beyond the law's.
    cap = BOUNDS["max_lease_months"][1] if terms.lease_extension_decision else rules.max_lease_months
    if terms.deal == "lease" and terms.lease_term_months is not None and terms.lease_term_months > cap:
        breaches.append(RuleBreach("terms.lease_term_too_long", field="lease_term_months", max_months=cap))
    return breaches


def lowest_repeat_price(previous_starting_price: int, rules: MunicipalRules) -> int:
    """The lowest starting price a repeat auction may have: the cap's cut, rounded down to whole tyiyn."""
    return previous_starting_price * (100 - rules.max_repeat_reduction_pct) // 100


def repeat_breaches(
    previous: Mapping[str, Any], repeat: Mapping[str, Any], rules: MunicipalRules, *, attempt: int
) -> list[RuleBreach]:
    """What makes `repeat` not a lawful repeat auction of the failed lot whose last terms were `previous`.

    Both are terms as the ledger records them (area a decimal string). `attempt` counts the first auction as 1.
    """
    breaches: list[RuleBreach] = []
    for name in SAME_PROPERTY_TERMS:
        if previous.get(name) != repeat.get(name):
            breaches.append(RuleBreach("repeat.different_property", field=name, term=name))
    lowest = lowest_repeat_price(previous["starting_price"], rules)
    if repeat["starting_price"] < lowest:
        breaches.append(
            RuleBreach(
                "repeat.price_cut_too_deep",
                field="starting_price",
                max_percent=rules.max_repeat_reduction_pct,
                minimum_tyiyn=lowest,
            )
        )
    if attempt > rules.max_attempts:
        breaches.append(RuleBreach("repeat.attempts_exhausted", field=None, max_attempts=rules.max_attempts))
    return breaches


def reopened_window_breach(applications_close_at: datetime, at: datetime, rules: MunicipalRules) -> RuleBreach | None:
    """A reopened applications window must stay open `reopen_days` from the moment it reopens."""
    earliest = at + timedelta(days=rules.reopen_days)
    if applications_close_at < earliest:
        return RuleBreach(
            "lot.reopened_window_short",
            field="applications_close_at",
            reopen_days=rules.reopen_days,
            earliest_at=format_time(earliest),
        )
    return None
