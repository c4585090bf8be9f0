"""The lot's schedule as a bidder waits on it: which deadline comes next, and when."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from auction.clock import as_utc
from auction.lots.models import Lot, LotState


class DeadlineKind(enum.StrEnum):
    APPLICATIONS_CLOSE = "applications_close"
    BIDDING_OPENS = "bidding_opens"
    BIDDING_CLOSES = "bidding_closes"


@dataclass(frozen=True, slots=True)
class Deadline:
    kind: DeadlineKind
    at: datetime


def next_deadline(lot: Lot, now: datetime) -> Deadline | None:
    """The next moment in the lot's schedule that a bidder is waiting for, while there is one.

    A running auction's scheduled close is the lot's; a soft-close extension lives on the auction clock,
    which the live panel shows.
    """
    steps: tuple[tuple[DeadlineKind, datetime], ...] = ()
    if lot.state == LotState.PUBLISHED:
        steps = (
            (DeadlineKind.APPLICATIONS_CLOSE, as_utc(lot.applications_close_at)),
            (DeadlineKind.BIDDING_OPENS, as_utc(lot.bidding_opens_at)),
        )
    elif lot.state == LotState.BIDDING:
        steps = ((DeadlineKind.BIDDING_CLOSES, as_utc(lot.bidding_closes_at)),)
    for kind, moment in steps:
        if moment > now:
            return Deadline(kind, moment)
    return None
