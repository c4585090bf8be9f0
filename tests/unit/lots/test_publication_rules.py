"""The rules of publication and of repeat auctions, as pure functions both the platform and the replay call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from auction.ledger.verifier.auction_rules import RuleBreach
from auction.ledger.verifier.municipal_rules import DEFAULT_RULES, MunicipalRules
from auction.ledger.verifier.publication_rules import (
    MATERIAL_TERMS,
    ScheduleTerms,
    latest_close,
    publication_breaches,
    reopened_window_breach,
    repeat_breaches,
)
from auction.lots.rules import amendment_needs_reopening, problem_of
from tests.kit.world import COUNCIL_DECISION, kit_schedule

PUBLISHED = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # Monday, noon in Bishkek
DEADLINE, OPENS, CLOSES = kit_schedule(PUBLISHED)


def schedule(**overrides: Any) -> ScheduleTerms:
    terms: dict[str, Any] = {
        "format": "open_ascending",
        "deal": "sale",
        "starting_price": 100_000_00,
        "bid_step": 5_000_00,
        "applications_close_at": DEADLINE,
        "bidding_opens_at": OPENS,
        "bidding_closes_at": CLOSES,
        "max_extension_minutes": 60,
        "council_decision": COUNCIL_DECISION,
    }
    return ScheduleTerms.of({**terms, **overrides})


def codes(terms: ScheduleTerms, rules: MunicipalRules = DEFAULT_RULES) -> list[tuple[str, str | None]]:
    return [(b.code, b.field) for b in publication_breaches(terms, rules, published_at=PUBLISHED)]


def test_the_kit_schedule_keeps_every_default_rule() -> None:
    assert (PUBLISHED + timedelta(days=21), datetime(2026, 6, 23, 6, 0, tzinfo=UTC)) == (DEADLINE, OPENS)
    assert codes(schedule()) == []


def test_a_lot_that_opens_a_minute_after_publishing_is_refused_with_the_earliest_deadline() -> None:
    """The issue's case: applications closing 60 s after publication."""
    terms = schedule(applications_close_at=PUBLISHED + timedelta(seconds=60))

    (breach,) = publication_breaches(terms, DEFAULT_RULES, published_at=PUBLISHED)

    assert breach == RuleBreach(
        "publication.notice_too_short",
        field="applications_close_at",
        notice_days=20,
        earliest_at="2026-06-21T06:00:00.000000Z",
    )
    assert problem_of(breach).message == (
        "Applications must stay open at least 20 days after publication: the earliest deadline is "
        "21 June 2026, 12:00 (Bishkek)."
    )


def test_the_notice_is_the_municipalitys_own() -> None:
    assert codes(schedule(applications_close_at=PUBLISHED + timedelta(days=10))) != []
    assert codes(schedule(applications_close_at=PUBLISHED + timedelta(days=10)), MunicipalRules(notice_days=10)) == []


@pytest.mark.parametrize(
    ("moment", "within"),
    [
        (datetime(2026, 6, 23, 21, 0, tzinfo=UTC), False),  # 03:00 on a Wednesday in Bishkek: the case
        (datetime(2026, 6, 23, 3, 0, tzinfo=UTC), True),  # 09:00 sharp
        (datetime(2026, 6, 23, 2, 59, tzinfo=UTC), False),  # 08:59
        (datetime(2026, 6, 27, 6, 0, tzinfo=UTC), False),  # Saturday noon
    ],
)
def test_bidding_opens_only_within_working_hours_in_bishkek(moment: datetime, within: bool) -> None:
    found = codes(schedule(bidding_opens_at=moment, bidding_closes_at=moment + timedelta(minutes=30)))
    assert (("publication.outside_working_hours", "bidding_opens_at") not in found) is within


def test_the_latest_possible_close_must_fall_within_working_hours_too() -> None:
    """Open ascending: closing at 17:30 with an hour of soft-close extensions could run to 18:30."""
    late = OPENS + timedelta(hours=5, minutes=30)  # 17:30 in Bishkek
    assert codes(schedule(bidding_closes_at=late)) == [
        ("publication.latest_close_outside_working_hours", "max_extension_minutes")
    ]
    assert codes(schedule(bidding_closes_at=late, max_extension_minutes=30)) == []
    assert latest_close(schedule(bidding_closes_at=late))[0] == late + timedelta(hours=1)


def test_a_descending_lot_is_judged_by_its_dutch_end() -> None:
    """From 17:00 the price drops 5 000 som an hour to a 50 000 floor: the clock runs till 04:00 the next day."""
    evening = OPENS + timedelta(hours=5)
    terms = schedule(
        format="descending",
        floor_price=50_000_00,
        price_drop_interval_seconds=3600,
        bidding_opens_at=evening,
        bidding_closes_at=evening + timedelta(minutes=30),
    )
    assert latest_close(terms) == (evening + timedelta(hours=11), "price_drop_interval_seconds")
    assert ("publication.latest_close_outside_working_hours", "price_drop_interval_seconds") in codes(terms)


def test_a_lease_longer_than_the_cap_and_a_lot_without_a_council_decision_are_refused() -> None:
    assert codes(schedule(deal="lease", lease_term_months=37)) == [("terms.lease_term_too_long", "lease_term_months")]
    assert codes(schedule(deal="lease", lease_term_months=36)) == []
    assert codes(schedule(council_decision="  ")) == [("publication.council_decision_missing", "council_decision")]


def test_a_draft_is_judged_without_the_notice_and_the_council_decision() -> None:
    draft = schedule(applications_close_at=PUBLISHED + timedelta(seconds=1), council_decision=None)
    assert publication_breaches(draft, DEFAULT_RULES, published_at=None) == []


def failed_terms(**overrides: Any) -> dict[str, Any]:
    terms: dict[str, Any] = {
        "deal": "sale",
        "kind": "land_plot",
        "address": "12 Lenin street, Tokmok",
        "registration_number": "1-02-03-0004-0005",
        "area_sqm": "800.00",
        "starting_price": 100_000_00,
    }
    return {**terms, **overrides}


def test_a_repeat_may_cut_the_price_by_the_cap_and_no_more() -> None:
    """Default 25%: 75 000 som is the lowest repeat of a 100 000 som lot; -99% is refused."""
    assert repeat_breaches(failed_terms(), failed_terms(starting_price=75_000_00), DEFAULT_RULES, attempt=2) == []
    (breach,) = repeat_breaches(failed_terms(), failed_terms(starting_price=1_000_00), DEFAULT_RULES, attempt=2)
    assert breach == RuleBreach(
        "repeat.price_cut_too_deep", field="starting_price", max_percent=25, minimum_tyiyn=75_000_00
    )
    assert repeat_breaches(failed_terms(), failed_terms(starting_price=74_999_99), DEFAULT_RULES, attempt=2) != []


@pytest.mark.parametrize("term", ["deal", "kind", "address", "registration_number", "area_sqm"])
def test_a_repeat_is_of_the_same_property(term: str) -> None:
    other = failed_terms(**{term: "something else"})
    assert [(b.code, b.field) for b in repeat_breaches(failed_terms(), other, DEFAULT_RULES, attempt=2)] == [
        ("repeat.different_property", term)
    ]


def test_attempts_are_capped() -> None:
    assert repeat_breaches(failed_terms(), failed_terms(), DEFAULT_RULES, attempt=3) == []
    assert [b.code for b in repeat_breaches(failed_terms(), failed_terms(), DEFAULT_RULES, attempt=4)] == [
        "repeat.attempts_exhausted"
    ]


def test_the_reopened_window_is_the_municipalitys_reopen_days() -> None:
    at = PUBLISHED + timedelta(days=2)
    assert reopened_window_breach(at + timedelta(days=3), at, DEFAULT_RULES) is None
    breach = reopened_window_breach(at + timedelta(days=2), at, DEFAULT_RULES)
    assert breach is not None
    assert breach.params == {"reopen_days": 3, "earliest_at": "2026-06-06T06:00:00.000000Z"}


@pytest.mark.parametrize(
    "term",
    [
        "rent_period",
        "lease_term_months",
        "single_participant_rule",
        "soft_close_minutes",
        "max_extension_minutes",
        "council_decision",
        "indexation_percent",
        "starting_price",
        "bidding_opens_at",
    ],
)
def test_material_terms_reopen_applications(term: str) -> None:
    assert term in MATERIAL_TERMS
    assert amendment_needs_reopening({term}, has_applications=True)
    assert not amendment_needs_reopening({"description_en"}, has_applications=True)
