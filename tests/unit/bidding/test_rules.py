"""Pure auction rules: minimum bids, soft close, the Dutch clock and who wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from auction.errors import InvalidInput
from auction.ledger.verifier.auction_rules import (
    MAX_AMOUNT,
    SINGLE_BELOW_START,
    SINGLE_FAILS,
    SINGLE_SOLD,
    Placed,
    bid_problem,
    decide_descending,
    decide_highest,
    dutch_closes_at,
    dutch_price,
    is_open,
    minimum_next_bid,
    soft_close,
)

T0 = datetime(2026, 6, 9, 6, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def test_minimum_next_bid() -> None:
    assert minimum_next_bid(1000, 50, None) == 1000
    assert minimum_next_bid(1000, 50, 1200) == 1250


@pytest.mark.parametrize(
    ("amount", "minimum", "code"),
    [(0, 10, "bid.not_positive"), (-5, 10, "bid.not_positive"), (MAX_AMOUNT + 1, 10, "bid.beyond_any_lot")],
)
def test_bid_problems(amount: int, minimum: int, code: str) -> None:
    problem = bid_problem(amount, minimum)
    assert problem is not None
    assert problem.code == code
    assert problem.field == "amount"


def test_a_bid_below_the_minimum_names_the_minimum() -> None:
    problem = bid_problem(9, 10)
    assert problem is not None
    assert (problem.code, problem.params) == ("bid.too_low", {"minimum_tyiyn": 10})
    assert InvalidInput.of(problem).message == "The minimum bid now is 10 tyiyn."


def test_a_bid_at_the_minimum_is_fine() -> None:
    assert bid_problem(10, 10) is None


@pytest.mark.parametrize(
    ("bid_at", "expected"),
    [
        (T0 - 10 * MIN, T0),  # outside the window: no change
        (T0 - 5 * MIN, T0),  # exactly a window before: no change
        (T0 - 2 * MIN, T0 + 3 * MIN),  # inside: moves to bid + window
        (T0 - MIN // 2, T0 + 4 * MIN + 30 * timedelta(seconds=1)),
        (T0, T0),  # at or after the close nothing is extended
    ],
)
def test_soft_close(bid_at: datetime, expected: datetime) -> None:
    assert soft_close(T0, bid_at, 5 * MIN, T0 + 60 * MIN) == expected


def test_soft_close_respects_the_cap() -> None:
    assert soft_close(T0, T0 - MIN, 5 * MIN, T0 + 2 * MIN) == T0 + 2 * MIN


def test_closing_instant_is_exclusive() -> None:
    assert is_open(T0 - MIN, T0, T0 - timedelta(microseconds=1))
    assert not is_open(T0 - MIN, T0, T0)
    assert is_open(T0, T0 + MIN, T0)


def test_dutch_price_falls_by_step_to_the_floor() -> None:
    interval = timedelta(seconds=60)
    assert dutch_price(1000, 100, 400, T0, interval, T0) == 1000
    assert dutch_price(1000, 100, 400, T0, interval, T0 + timedelta(seconds=59)) == 1000
    assert dutch_price(1000, 100, 400, T0, interval, T0 + timedelta(seconds=60)) == 900
    assert dutch_price(1000, 100, 400, T0, interval, T0 + timedelta(hours=5)) == 400
    assert dutch_closes_at(1000, 100, 400, T0, interval) == T0 + 7 * interval
    assert dutch_closes_at(1000, 300, 400, T0, interval) == T0 + 3 * interval


# A descending contest with two admitted bidders.
CONTEST: dict[str, Any] = {"admitted": 2, "starting_price": 1000, "sell_single_at_start": False}


def placed(bidder: str, amount: int, second: int) -> Placed:
    return Placed(bidder, amount, T0 + timedelta(seconds=second), second)


def test_highest_wins_and_equal_amounts_go_to_the_earlier_bid() -> None:
    bids = [placed("a", 100, 1), placed("b", 150, 2), placed("c", 150, 3), placed("a", 120, 4)]
    outcome = decide_highest(bids, starting_price=100, sell_single_at_start=False, admitted=3)
    assert (outcome.winner, outcome.price, outcome.runner_up, outcome.runner_up_price) == ("b", 150, "c", 150)


def test_a_bidders_last_bid_counts() -> None:
    outcome = decide_highest(
        [placed("a", 200, 1), placed("a", 120, 2), placed("b", 130, 3)],
        starting_price=100,
        sell_single_at_start=False,
        admitted=3,
    )
    assert (outcome.winner, outcome.price, outcome.runner_up) == ("b", 130, "a")


def test_no_bids_fail() -> None:
    assert decide_highest([], starting_price=100, sell_single_at_start=True, admitted=1).failed


def test_single_participant_follows_the_lots_rule() -> None:
    bids = [placed("a", 100, 1), placed("a", 180, 2)]
    assert decide_highest(bids, starting_price=100, sell_single_at_start=False, admitted=1).failed
    sold = decide_highest(bids, starting_price=100, sell_single_at_start=True, admitted=1)
    # The sole participant's own offer stands: 180, not the starting price 100 (the 80,000 on 50,000).
    assert (sold.winner, sold.price, sold.runner_up, sold.reason) == ("a", 180, None, SINGLE_SOLD)


def test_the_single_participant_rule_counts_admitted_bidders_not_bids() -> None:
    """Two admitted, one bids: a contest the other chose not to join, so the bid wins even under the rule `fail`."""
    bids = [placed("a", 180, 1)]
    outcome = decide_highest(bids, starting_price=100, sell_single_at_start=False, admitted=2)
    assert (outcome.winner, outcome.price, outcome.reason) == ("a", 180, "highest bid")
    failed = decide_highest(bids, starting_price=100, sell_single_at_start=False, admitted=1)
    assert (failed.failed, failed.reason) == (True, SINGLE_FAILS)


def test_descending_first_acceptance_wins() -> None:
    assert decide_descending(placed("x", 700, 5), **CONTEST).winner == "x"
    assert decide_descending(None, **CONTEST).failed


def test_descending_with_one_admitted_bidder() -> None:
    """Nobody competes with a sole participant: under `fail` the lot fails; under `sell_at_start` it goes to them only
    at their own offer of the starting price, never below (they signed no more than the price they accepted)."""
    single: dict[str, Any] = {"admitted": 1, "starting_price": 1000}
    assert decide_descending(placed("x", 1000, 5), sell_single_at_start=False, **single).reason == SINGLE_FAILS
    at_start = decide_descending(placed("x", 1000, 5), sell_single_at_start=True, **single)
    assert (at_start.winner, at_start.price, at_start.reason) == ("x", 1000, SINGLE_SOLD)
    below = decide_descending(placed("x", 700, 65), sell_single_at_start=True, **single)
    assert (below.failed, below.reason) == (True, SINGLE_BELOW_START)


def test_a_tie_at_the_same_instant_goes_to_the_earlier_admission() -> None:
    # Two sealed bids stamped with the same microsecond: admission order (seq) alone decides, whatever the
    # order the bids are handed over in.
    first, second = Placed("first", 150, T0, 1), Placed("second", 150, T0, 2)
    for bids in ([first, second], [second, first]):
        outcome = decide_highest(bids, starting_price=100, sell_single_at_start=False, admitted=3)
        assert (outcome.winner, outcome.runner_up) == ("first", "second")


def test_a_tie_goes_to_the_earlier_time_even_when_the_later_bid_is_listed_first() -> None:
    later = Placed("later", 150, T0 + timedelta(minutes=5), 7)
    earlier = Placed("earlier", 150, T0 + timedelta(minutes=1), 3)
    outcome = decide_highest([later, earlier], starting_price=100, sell_single_at_start=False, admitted=3)
    assert (outcome.winner, outcome.price, outcome.runner_up, outcome.runner_up_price) == ("earlier", 150, "later", 150)


def test_a_replaced_bid_ties_at_the_time_of_its_replacement() -> None:
    # "a" bid first, but replaced its bid after "b" bid the same amount: a's standing bid is the later one.
    bids = [placed("a", 150, 1), placed("b", 150, 2), placed("a", 150, 3)]
    outcome = decide_highest(bids, starting_price=100, sell_single_at_start=False, admitted=3)
    assert (outcome.winner, outcome.runner_up) == ("b", "a")
