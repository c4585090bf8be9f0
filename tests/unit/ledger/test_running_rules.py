"""The pure running rules: the cancellation lockout before the close, the recorded order, undecided applications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auction.ledger.verifier.auction_rules import RuleBreach
from auction.ledger.verifier.running_rules import cancellation_breach, needs_order, order_problem, undecided

CLOSES = datetime(2026, 6, 9, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
ORDER = {"number": "17-r", "date": "2026-06-09", "issued_by": "Tokmok city court", "sha256": "ab" * 32}


def test_the_lockout_runs_from_24_hours_before_the_close_and_on_past_it() -> None:
    assert not needs_order(CLOSES - 24 * HOUR - timedelta(microseconds=1), CLOSES, 24)
    assert needs_order(CLOSES - 24 * HOUR, CLOSES, 24)
    assert needs_order(CLOSES + 5 * HOUR, CLOSES, 24)  # closed but undecided: the result may be known
    assert not needs_order(CLOSES - timedelta(seconds=1), CLOSES, 0)


def breach(requested_by: str = "officer:2", *, has_order: bool = False, at: datetime = CLOSES - HOUR) -> object:
    return cancellation_breach(
        requested_by=requested_by,
        confirmed_by="officer:1",
        has_order=has_order,
        at=at,
        closes_at=CLOSES,
        lockout_hours=24,
    )


def test_two_officials_and_an_order_in_the_lockout() -> None:
    assert breach("officer:1") == RuleBreach("cancel.same_official")
    assert breach() == RuleBreach(
        "cancel.order_required", field="order_number", closes_at="2026-06-09T09:00:00.000000Z", lockout_hours=24
    )
    assert breach(has_order=True) is None
    assert breach(at=CLOSES - 25 * HOUR) is None


def test_an_order_holds_exactly_its_four_fields() -> None:
    assert order_problem(ORDER) is None
    assert order_problem(None) == "order must be an object or null"
    assert order_problem({**ORDER, "extra": "x"}) is not None
    assert order_problem({**ORDER, "date": "2026-6-9"}) is not None
    assert order_problem({**ORDER, "issued_by": " court"}) is not None


def test_undecided_applications_are_those_neither_approved_nor_rejected() -> None:
    assert undecided({"b-1", "b-2", "b-3"}, {"b-1"}, {"b-3"}) == ["b-2"]
    assert undecided({"b-1"}, {"b-1"}, set()) == []
