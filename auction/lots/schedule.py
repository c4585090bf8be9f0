"""The lot's schedule as a bidder waits on it: which deadline comes next, and when bidding really closes.

One rule, :func:`effective_close`, says when a lot's bidding closes; every page, fragment and API answer that
shows a closing time asks it, so the header, the schedule, the live panel, the catalog and the officer's pages
agree after a soft-close extension and in a descending auction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from auction.clock import as_utc
from auction.ledger.verifier import auction_rules
from auction.lots.models import AuctionFormat, Lot, LotState


class DeadlineKind(enum.StrEnum):
    APPLICATIONS_CLOSE = "applications_close"
    BIDDING_OPENS = "bidding_opens"
    BIDDING_CLOSES = "bidding_closes"


@dataclass(frozen=True, slots=True)
class Deadline:
    kind: DeadlineKind
    at: datetime


def scheduled_close(lot: Lot) -> datetime:
    """When the lot's bidding closes by its terms alone: the published close, or a descending lot's Dutch end
    (one interval after the price reaches the floor), which is what its auction clock starts with."""
    if lot.format == AuctionFormat.DESCENDING and lot.floor_price and lot.price_drop_interval_seconds:
        return auction_rules.dutch_closes_at(
            lot.starting_price,
            lot.bid_step,
            lot.floor_price,
            as_utc(lot.bidding_opens_at),
            timedelta(seconds=lot.price_drop_interval_seconds),
        )
    return as_utc(lot.bidding_closes_at)


def effective_close(lot: Lot, running_close: datetime | None = None) -> datetime:
    """When the lot's bidding closes (or closed), the one closing time everything shows.

    ``running_close`` is the auction clock's closing instant, once bidding has opened: it alone carries soft-close
    extensions, outage extensions, and a descending auction's stop at the end of the first acceptance's tick.
    Before bidding opens there is no clock, and the terms decide (:func:`scheduled_close`).
    """
    if running_close is not None:
        return as_utc(running_close)
    return scheduled_close(lot)


@dataclass(frozen=True, slots=True)
class Closing:
    """A lot's closing time as pages show it: when it closes (:func:`effective_close`) and what its terms said."""

    at: datetime
    scheduled: datetime

    @property
    def extended(self) -> bool:
        """Whether the close was moved later than the terms said (soft close, or an outage)."""
        return self.at > self.scheduled


def closing(lot: Lot, running_close: datetime | None = None) -> Closing:
    """The lot's :class:`Closing`, given its auction clock's closing instant once bidding has opened."""
    return Closing(effective_close(lot, running_close), scheduled_close(lot))


def next_deadline(lot: Lot, now: datetime, running_close: datetime | None = None) -> Deadline | None:
    """The next moment in the lot's schedule that a bidder is waiting for, while there is one.

    A running auction's close is :func:`effective_close`, so it moves with soft-close extensions like the live panel.
    """
    steps: tuple[tuple[DeadlineKind, datetime], ...] = ()
    if lot.state == LotState.PUBLISHED:
        steps = (
            (DeadlineKind.APPLICATIONS_CLOSE, as_utc(lot.applications_close_at)),
            (DeadlineKind.BIDDING_OPENS, as_utc(lot.bidding_opens_at)),
        )
    elif lot.state == LotState.BIDDING:
        steps = ((DeadlineKind.BIDDING_CLOSES, effective_close(lot, running_close)),)
    for kind, moment in steps:
        if moment > now:
            return Deadline(kind, moment)
    return None
