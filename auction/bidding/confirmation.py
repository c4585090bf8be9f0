"""When a bid is far above the price it answers, so the page asks a second time before it is signed.

A ten-times typo (an extra zero) once won a 24-month lease. The rule is pure and small, so that the browser
(web/static/js/amount.js, ``farAbove``) applies exactly the same one before the passkey signs; the cases in
tests/data/amount_words.json are checked against both.

The rule: a bid is far above when it is more than ``MAX_RATIO`` (3) times the price it answers, or, in an open
auction, more than ``MAX_STEPS`` (10) bid steps above it. The price it answers is the current (highest) bid, or the
starting price before the first bid; a sealed bid answers the starting price and, since sealed bidders do not raise
step by step, is judged by the ratio alone (``step`` None). Exactly 3 times, or exactly 10 steps, is not far above.
The bidder may still bid such an amount: the page only asks for an explicit second confirmation.
"""

from __future__ import annotations

from typing import Final

MAX_RATIO: Final = 3
MAX_STEPS: Final = 10


def far_above(amount: int, price: int, step: int | None) -> bool:
    """Whether ``amount`` (tyiyn) is far above ``price``, the current price or the starting price (tyiyn)."""
    if price <= 0:
        return False  # nothing to compare with
    if amount > MAX_RATIO * price:
        return True
    return step is not None and step > 0 and amount - price > MAX_STEPS * step


def times_price(amount: int, price: int) -> int:
    """How many times the price a bid is, rounded down, for the warning's words ("10 times the current price")."""
    return amount // price if price > 0 else 0
