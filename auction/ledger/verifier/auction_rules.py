"""Pure auction rules: the terms' vocabulary, bid validity, soft close, the Dutch clock, and who wins.

Standard library only: the offline verifier replays every auction with these same functions and values, so
the award an inspector recomputes comes from the code that made it. The platform imports them from here
(`auction.lots.models` re-exports the enums). A broken rule is named by its refusal code (auction/refusals.py
words it for people), so the verifier carries no message catalogue of its own.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from auction.ledger.verifier import dutch_clock
from auction.ledger.verifier.dutch_clock import Pause


class RuleBreach:
    """A bid the rules refuse: the refusal's code, the field to change, and the values its message needs."""

    __slots__ = ("code", "field", "params")

    def __init__(self, code: str, /, *, field: str | None = None, **params: int | str) -> None:
        self.code = code
        self.field = field
        self.params: dict[str, int | str] = params

    def __repr__(self) -> str:
        return f"RuleBreach({self.code!r}, field={self.field!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RuleBreach):
            return NotImplemented
        return (self.code, self.field, self.params) == (other.code, other.field, other.params)

    def __hash__(self) -> int:
        return hash((self.code, self.field, tuple(sorted(self.params.items()))))


class AuctionFormat(enum.StrEnum):
    OPEN_ASCENDING = "open_ascending"
    SEALED_BID = "sealed_bid"
    DESCENDING = "descending"


class Deal(enum.StrEnum):
    SALE = "sale"
    LEASE = "lease"


class SingleParticipantRule(enum.StrEnum):
    """What happens when only one bidder is admitted: the auction fails, or the lot goes at its starting price."""

    FAIL = "fail"
    SELL_AT_START = "sell_at_start"


# The reasons `award.made` / `award.failed` record when one bidder was admitted (docs/ledger-entries.md).
SINGLE_FAILS = "a single participant and the lot's rule is to fail"
SINGLE_SOLD = "a single participant: their own offer stands"
SINGLE_BELOW_START = "a single participant accepted below the starting price"

# Larger than any municipal lot is worth, far inside a 64-bit integer and JSON's exact-integer range.
MAX_AMOUNT = 10_000_000_000 * 100


@dataclass(frozen=True, slots=True)
class Placed:
    """One accepted bid as the rules see it: who, how much, when (admission order breaks ties)."""

    bidder: str
    amount: int
    at: datetime
    seq: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of an auction: winner and price, and the runner-up the award passes to if needed."""

    winner: str | None
    price: int | None
    runner_up: str | None
    runner_up_price: int | None
    reason: str

    @property
    def failed(self) -> bool:
        return self.winner is None


def minimum_next_bid(starting_price: int, step: int, current_price: int | None) -> int:
    """The first bid must reach the starting price; each later one must beat the current price by the step."""
    return starting_price if current_price is None else current_price + step


def reaches_starting_price(amount: int, starting_price: int) -> bool:
    """The starting price is a floor in every format: no bid below it may win (sealed bids are judged at opening)."""
    return amount >= starting_price


def bid_problem(amount: int, minimum: int) -> RuleBreach | None:
    """Why an amount cannot be bid now, or None when it can."""
    if amount <= 0:
        return RuleBreach("bid.not_positive", field="amount")
    if amount > MAX_AMOUNT:
        return RuleBreach("bid.beyond_any_lot", field="amount")
    if amount < minimum:
        return RuleBreach("bid.too_low", field="amount", minimum_tyiyn=minimum)
    return None


def soft_close(closes_at: datetime, bid_at: datetime, window: timedelta, latest_close: datetime) -> datetime:
    """The closing time after an accepted bid at ``bid_at``.

    A bid in the last ``window`` moves the close to ``bid_at + window``, never past ``latest_close``
    (the published cap), and never earlier than it already was.
    """
    if bid_at >= closes_at or closes_at - bid_at > window:
        return closes_at
    return max(closes_at, min(bid_at + window, latest_close))


def is_open(opens_at: datetime, closes_at: datetime, at: datetime) -> bool:
    """Bidding is open from the opening instant (inclusive) to the closing instant (exclusive)."""
    return opens_at <= at < closes_at


def dutch_price(
    starting_price: int,
    step: int,
    floor_price: int,
    opens_at: datetime,
    interval: timedelta,
    at: datetime,
    pauses: Sequence[Pause] = (),
) -> int:
    """The descending auction's price at ``at``: it drops by ``step`` every ``interval`` of running time (outages
    recorded in ``pauses`` left out: the price stops falling while the platform is down), never below the floor."""
    return dutch_clock.price_at(starting_price, step, floor_price, opens_at, interval, at, pauses)


def dutch_closes_at(
    starting_price: int,
    step: int,
    floor_price: int,
    opens_at: datetime,
    interval: timedelta,
    pauses: Sequence[Pause] = (),
) -> datetime:
    """When a descending auction with no taker ends: one interval after the price reaches the floor (outages
    recorded in ``pauses`` move it later by their length)."""
    return dutch_clock.closes_at(starting_price, step, floor_price, opens_at, interval, pauses)


def decide_highest(
    bids: Sequence[Placed], *, starting_price: int, sell_single_at_start: bool, admitted: int
) -> Outcome:
    """Open and sealed first-price auctions: the highest amount wins; equal amounts go to the earlier bid.

    Each bidder counts once, with their last standing bid (a sealed bid may be replaced). The starting price
    is a floor: a bid below it (a sealed bid can only be read after the close) never wins nor ranks.

    The single-participant rule counts the bidders *admitted* to the auction (approved before it opened), not
    those who bid: with two admitted and one bidding, there was competition and the bid wins as any other. With
    one admitted, the lot's own rule applies: fail, or sell to them — at their own offer, which is at least the
    starting price (an offer of 80,000 on a 50,000 lot stands at 80,000).
    """
    best: dict[str, Placed] = {}
    for bid in bids:
        best[bid.bidder] = bid
    best = {bidder: bid for bidder, bid in best.items() if reaches_starting_price(bid.amount, starting_price)}
    ranked = sorted(best.values(), key=lambda b: (-b.amount, b.at, b.seq))
    if not ranked:
        return Outcome(None, None, None, None, "no bids")
    if max(admitted, len(ranked)) == 1:
        if not sell_single_at_start:
            return Outcome(None, None, None, None, SINGLE_FAILS)
        return Outcome(ranked[0].bidder, ranked[0].amount, None, None, SINGLE_SOLD)
    winner = ranked[0]
    runner = ranked[1] if len(ranked) > 1 else None
    return Outcome(
        winner.bidder,
        winner.amount,
        runner.bidder if runner else None,
        runner.amount if runner else None,
        "highest bid",
    )


def decide_descending(
    acceptance: Placed | None,
    *,
    taken_late: bool = False,
    admitted: int,
    starting_price: int,
    sell_single_at_start: bool,
) -> Outcome:
    """Dutch auction: the first approved bidder to accept wins at the price of that moment.

    An acceptance the witnesses saw only after the close (`taken_late`) wins nothing, and the auction fails: the
    clock cannot be rewound for the others, so the lot goes to a repeat auction (docs/witnesses.md §5).

    With one bidder admitted there is nobody to compete with, so the falling price is no market's verdict: the lot
    fails under the rule `fail`, and under `sell_at_start` it goes only to an acceptance at the starting price
    (the bidder's own offer; the platform never charges more than the limit a bidder signed for).
    """
    if acceptance is None and taken_late:
        return Outcome(None, None, None, None, "the only acceptance was witnessed after the close")
    if acceptance is None:
        return Outcome(None, None, None, None, "nobody accepted before the floor")
    if admitted <= 1:
        if not sell_single_at_start:
            return Outcome(None, None, None, None, SINGLE_FAILS)
        if not reaches_starting_price(acceptance.amount, starting_price):
            return Outcome(None, None, None, None, SINGLE_BELOW_START)
        return Outcome(acceptance.bidder, acceptance.amount, None, None, SINGLE_SOLD)
    return Outcome(acceptance.bidder, acceptance.amount, None, None, "first to accept")
