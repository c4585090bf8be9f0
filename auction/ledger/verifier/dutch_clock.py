"""The descending (Dutch) clock with outages left out: the price, the end of a price tick, and the close.

The price is a function of *running* time: the time since bidding opened minus every recorded outage (an
`auction.extended` with reason `outage` on a descending lot). While the platform is down nobody can accept, so the
price must not fall then; the platform, the live panel and the offline replay all price with `price_at`, from the
outages recorded so far. Standard library only (the verifier's rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

# One recorded outage: (outage_from, outage_to), ledger times.
Pause = tuple[datetime, datetime]
ZERO = timedelta(0)


def paused_within(opens_at: datetime, pauses: Sequence[Pause], at: datetime) -> timedelta:
    """How much of [opens_at, at] the recorded outages cover (each clipped to it; they never overlap)."""
    total = ZERO
    for start, end in pauses:
        low, high = max(start, opens_at), min(end, at)
        if high > low:
            total += high - low
    return total


def running_time(opens_at: datetime, pauses: Sequence[Pause], at: datetime) -> timedelta:
    """The clock's own time at `at`: wall time since the opening, less the outages in it (never negative)."""
    if at <= opens_at:
        return ZERO
    return max(ZERO, at - opens_at - paused_within(opens_at, pauses, at))


def wall_time(opens_at: datetime, pauses: Sequence[Pause], running: timedelta) -> datetime:
    """The first wall-clock instant whose running time is `running`: every outage that begins before it pushes
    it later by that outage's length (outages are in time order, as the chain records them)."""
    moment = opens_at + running
    for began, end in sorted(pauses):
        start = max(began, opens_at)
        if end > start and start < moment:
            moment += end - start
    return moment


def drops(starting_price: int, step: int, floor_price: int) -> int:
    """How many steps take the price from the start to the floor (the last one may stop at the floor)."""
    return -(-(starting_price - floor_price) // step)


def price_at(
    starting_price: int,
    step: int,
    floor_price: int,
    opens_at: datetime,
    interval: timedelta,
    at: datetime,
    pauses: Sequence[Pause] = (),
) -> int:
    """The price at `at`: it drops by `step` every `interval` of running time, never below the floor."""
    ticks = running_time(opens_at, pauses, at) // interval
    return max(floor_price, starting_price - ticks * step)


def closes_at(
    starting_price: int,
    step: int,
    floor_price: int,
    opens_at: datetime,
    interval: timedelta,
    pauses: Sequence[Pause] = (),
) -> datetime:
    """When a descending auction with no taker ends: one interval (of running time) after it reaches the floor."""
    return wall_time(opens_at, pauses, interval * (drops(starting_price, step, floor_price) + 1))


def tick_end(opens_at: datetime, interval: timedelta, at: datetime, pauses: Sequence[Pause] = ()) -> datetime:
    """The instant the tick holding `at` ends: the price's next drop (or, on the floor, the next step of the clock).

    The tie window (docs/ledger-entries.md, `bid.accepted`) runs from the first acceptance to this instant.
    """
    ticks = running_time(opens_at, pauses, at) // interval
    return wall_time(opens_at, pauses, interval * (ticks + 1))


def outage_shift(opens_at: datetime, closes: datetime, pause: Pause) -> timedelta:
    """How far an outage moves a descending auction's close (or its tie window's end) at `closes`: by its whole
    length from the opening on, when it began before that instant (the clock's running time stood still for all
    of it, so everything the clock still had to run comes that much later); by nothing when it began after."""
    start, end = pause
    start = max(start, opens_at)
    if start >= closes or end <= start:
        return ZERO
    return end - start
