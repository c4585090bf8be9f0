"""The calendar of upcoming auctions: lots grouped by the day (in Bishkek) their bidding opens. Pure rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from auction.clock import BISHKEK, as_utc
from auction.lots.models import Lot, LotState

# How far ahead the calendar looks: the longest notice period the rules allow is well within it.
HORIZON = timedelta(days=92)


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One day in Bishkek: ``starts`` is its midnight there (aware), and the lots whose bidding opens that day."""

    starts: datetime
    lots: list[Lot] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Calendar:
    """Auctions running now, then the upcoming ones day by day."""

    running: list[Lot]
    days: list[CalendarDay]


def day_start(moment: datetime) -> datetime:
    """Midnight in Bishkek of the day ``moment`` falls on there."""
    local = as_utc(moment).astimezone(BISHKEK)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def calendar_of(lots: Iterable[Lot], now: datetime) -> Calendar:
    """Running auctions (by opening), and published lots whose bidding opens from ``now`` on, by their Bishkek day.

    A published lot whose opening has passed but which the scheduler has not opened yet counts as opening today.
    """
    running = sorted((lot for lot in lots if lot.state == LotState.BIDDING), key=_opening)
    days: dict[datetime, CalendarDay] = {}
    for lot in sorted((lot for lot in lots if lot.state == LotState.PUBLISHED), key=_opening):
        starts = day_start(max(as_utc(lot.bidding_opens_at), as_utc(now)))
        days.setdefault(starts, CalendarDay(starts)).lots.append(lot)
    return Calendar(running, sorted(days.values(), key=lambda day: day.starts))


def _opening(lot: Lot) -> tuple[datetime, int]:
    return as_utc(lot.bidding_opens_at), lot.id
