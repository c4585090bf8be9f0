"""The tie rule of descending auctions: acceptances within one price tick, and the sealed run-off among them.

Published rule (docs/ledger-entries.md, "Descending auctions: outages and the tie rule"):

1. The first acceptance opens a *tie window* until the end of its price tick (the price stops there). Every other
   approved bidder who accepts within the window is a *contender* at the same price; who reached the server first
   inside the window decides nothing.
2. At the window's end one contender wins at that price. Several contenders go to a run-off: `runoff.opened`
   names them and a deadline `RUNOFF_MINUTES` later; each may commit one signed sealed offer ≥ the tick price
   (`runoff.offer` carries only `offer_hash`, the SHA-256 of the offer's canonical JSON with a random nonce,
   so the other contenders see no amount). At the deadline the platform reveals every offer
   (`runoff.revealed`, amount and nonce, which anyone checks against the signed hash).
3. The highest offer wins; a contender who offered nothing stands at the tick price (their signed acceptance).
   Equal offers go to the contender whose acceptance comes first in the chain: every contender had the same
   run-off, so this last step rewards no speed that could still have changed anything.

Standard library only, plus the verifier's canonical JSON: the replay derives the winner with these functions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta

from auction.ledger.verifier.auction_rules import MAX_AMOUNT, Outcome, Placed, RuleBreach
from auction.ledger.verifier.canonical import canonical

RUNOFF_MINUTES = 5
RUNOFF = timedelta(minutes=RUNOFF_MINUTES)
OFFER = "achyk-runoff-offer/v1"
# The published tie rule, as `auction.opened` `tie_rule` holds it for a descending lot.
TIE_RULE = {"window": "tick", "runoff_minutes": RUNOFF_MINUTES}
TIE_RULE_FIELDS = frozenset(TIE_RULE)
NONCE_RE = re.compile(r"[A-Za-z0-9_-]{22,86}")  # 16 to 64 random bytes, base64url without padding
HASH_RE = re.compile(r"[0-9a-f]{64}")

REASON_FIRST = "first to accept"
REASON_HIGHEST = "highest run-off offer"
REASON_EARLIER = "equal run-off offers: the earlier acceptance"


def offer_document(lot: int, bidder: str, amount: int, nonce: str) -> dict[str, object]:
    """What a contender's offer hash commits to: the lot, their pseudonym, the amount and a random nonce."""
    return {"offer": OFFER, "lot": lot, "bidder": bidder, "amount": amount, "nonce": nonce}


def offer_hash(lot: int, bidder: str, amount: int, nonce: str) -> str:
    """Hex SHA-256 of the RFC 8785 bytes of `offer_document`: the field `runoff.offer` signs and records."""
    return hashlib.sha256(canonical(offer_document(lot, bidder, amount, nonce))).hexdigest()


def offer_problem(amount: int, price: int, nonce: str) -> RuleBreach | None:
    """Why an offer cannot stand in a run-off at `price`, or None: at least the tick price, a usable nonce."""
    if NONCE_RE.fullmatch(nonce) is None:
        return RuleBreach("runoff.bad_nonce", field="nonce")
    if amount > MAX_AMOUNT:
        return RuleBreach("bid.beyond_any_lot", field="amount")
    if amount < price:
        return RuleBreach("runoff.offer_too_low", field="amount", minimum_tyiyn=price)
    return None


def decide_runoff(contenders: Sequence[Placed], offers: Mapping[str, int]) -> Outcome:
    """The winner among the tick's contenders (acceptances in chain order, all at the tick price).

    One contender wins at the tick price. Several are ranked by their offer (none offered: the tick price),
    then by the order of their acceptances in the chain; the second is the runner-up at their own offer.
    """
    if not contenders:
        return Outcome(None, None, None, None, "nobody accepted before the floor")
    if len(contenders) == 1:
        first = contenders[0]
        return Outcome(first.bidder, first.amount, None, None, REASON_FIRST)
    ranked = sorted(contenders, key=lambda c: (-offers.get(c.bidder, c.amount), c.seq))
    winner, runner = ranked[0], ranked[1]
    price, runner_price = offers.get(winner.bidder, winner.amount), offers.get(runner.bidder, runner.amount)
    reason = REASON_EARLIER if price == runner_price else REASON_HIGHEST
    return Outcome(winner.bidder, price, runner.bidder, runner_price, reason)
