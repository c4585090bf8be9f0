"""The Dutch clock with outages left out, the tie window, and the run-off's ranking: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auction.ledger.verifier import dutch_clock
from auction.ledger.verifier import runoff as tie
from auction.ledger.verifier.auction_rules import Placed, dutch_closes_at, dutch_price

T0 = datetime(2026, 6, 9, 4, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)
# 100 000 som falling 5 000 som a minute to a floor of 50 000 som (tyiyn)
START, STEP, FLOOR = 100_000_00, 5_000_00, 50_000_00


def price(at: datetime, pauses: list[dutch_clock.Pause] | None = None) -> int:
    return dutch_price(START, STEP, FLOOR, T0, MIN, at, pauses or [])


def test_a_five_minute_outage_holds_the_price_where_it_stood() -> None:
    outage = (T0 + 2 * MIN + 30 * SEC, T0 + 7 * MIN + 30 * SEC)
    # Without the outage, 7 min 40 s would be 7 drops; the platform was down for 5 of them.
    assert price(T0 + 7 * MIN + 40 * SEC) == 65_000_00
    assert price(T0 + 7 * MIN + 40 * SEC, [outage]) == price(outage[0]) == 90_000_00
    # During the outage itself the clock stands still too.
    assert price(T0 + 5 * MIN, [outage]) == 90_000_00
    # 30 s of running time after the outage completes the tick that was running when it began.
    assert price(outage[1] + 30 * SEC, [outage]) == 85_000_00


def test_an_outage_before_the_opening_counts_only_from_the_opening() -> None:
    outage = (T0 - 10 * MIN, T0 + 2 * MIN)
    assert price(T0 + 2 * MIN + 59 * SEC, [outage]) == START
    assert price(T0 + 3 * MIN, [outage]) == START - STEP


def test_the_close_moves_by_the_outage_that_began_before_it() -> None:
    plain = dutch_closes_at(START, STEP, FLOOR, T0, MIN)
    assert plain == T0 + 11 * MIN
    outage = (T0 + 4 * MIN, T0 + 9 * MIN)
    assert dutch_closes_at(START, STEP, FLOOR, T0, MIN, [outage]) == plain + 5 * MIN
    assert dutch_clock.outage_shift(T0, plain, outage) == 5 * MIN
    # An outage that straddles the close moves it by its whole length: the clock had 1 min left to run.
    straddling = (T0 + 10 * MIN, T0 + 20 * MIN)
    assert dutch_clock.outage_shift(T0, plain, straddling) == 10 * MIN
    assert dutch_closes_at(START, STEP, FLOOR, T0, MIN, [straddling]) == T0 + 21 * MIN
    # One after the close moves nothing.
    assert dutch_clock.outage_shift(T0, plain, (plain, plain + MIN)) == timedelta(0)


def test_the_tie_window_runs_to_the_end_of_the_tick() -> None:
    assert dutch_clock.tick_end(T0, MIN, T0 + 3 * MIN + 10 * SEC) == T0 + 4 * MIN
    assert dutch_clock.tick_end(T0, MIN, T0 + 4 * MIN) == T0 + 5 * MIN  # a drop begins a new tick
    outage = (T0 + 3 * MIN + 20 * SEC, T0 + 6 * MIN)
    # A window open when the platform went down ends as much later as the outage lasted.
    assert dutch_clock.tick_end(T0, MIN, T0 + 3 * MIN + 10 * SEC, [outage]) == T0 + 6 * MIN + 40 * SEC


def placed(bidder: str, seq: int, amount: int = 85_000_00) -> Placed:
    return Placed(bidder, amount, T0 + seq * SEC, seq)


def test_one_contender_takes_the_lot_at_the_tick_price() -> None:
    outcome = tie.decide_runoff([placed("a", 1)], {})
    assert (outcome.winner, outcome.price, outcome.reason) == ("a", 85_000_00, tie.REASON_FIRST)


def test_the_highest_offer_wins_whoever_accepted_first() -> None:
    outcome = tie.decide_runoff([placed("a", 1), placed("b", 2)], {"a": 86_000_00, "b": 90_000_00})
    assert (outcome.winner, outcome.price) == ("b", 90_000_00)
    assert (outcome.runner_up, outcome.runner_up_price, outcome.reason) == ("a", 86_000_00, tie.REASON_HIGHEST)


def test_a_contender_without_an_offer_stands_at_the_tick_price() -> None:
    outcome = tie.decide_runoff([placed("a", 1), placed("b", 2)], {"b": 85_000_01})
    assert (outcome.winner, outcome.price, outcome.runner_up, outcome.runner_up_price) == (
        "b",
        85_000_01,
        "a",
        85_000_00,
    )


def test_equal_offers_go_to_the_earlier_acceptance_in_the_chain() -> None:
    outcome = tie.decide_runoff([placed("a", 7), placed("b", 3)], {"a": 90_000_00, "b": 90_000_00})
    assert (outcome.winner, outcome.reason) == ("b", tie.REASON_EARLIER)


def test_offers_below_the_tick_price_or_without_a_nonce_are_refused() -> None:
    nonce = "A" * 22
    assert tie.offer_problem(85_000_00, 85_000_00, nonce) is None
    low = tie.offer_problem(84_999_99, 85_000_00, nonce)
    assert low is not None
    assert low.code == "runoff.offer_too_low"
    bad = tie.offer_problem(90_000_00, 85_000_00, "short")
    assert bad is not None
    assert bad.code == "runoff.bad_nonce"


def test_the_offer_hash_binds_lot_bidder_amount_and_nonce() -> None:
    base = tie.offer_hash(3, "b-0000000000000001", 90_000_00, "A" * 22)
    assert len(base) == 64
    assert base != tie.offer_hash(4, "b-0000000000000001", 90_000_00, "A" * 22)
    assert base != tie.offer_hash(3, "b-0000000000000002", 90_000_00, "A" * 22)
    assert base != tie.offer_hash(3, "b-0000000000000001", 90_000_01, "A" * 22)
    assert base != tie.offer_hash(3, "b-0000000000000001", 90_000_00, "B" * 22)
