"""Late bids: a bid counts only if the witnesses vouch that it was made in time (docs/witnesses.md §5).

The one copy of the rule, run by the platform when it closes an auction (it lists the late bids in
`auction.closed` `late`) and by the offline replay (which recomputes that list). Pure: no I/O, standard library and
the verifier's own modules only.

A bid entry counts only if its witnessed time is at most D + grace, where D is the close in force when it was
admitted — or, if a later `auction.extended` (reason `outage`) has `outage_from` at or before the bid's `at`, the
latest such `outage_to` when that is later (an outage only ever gives a bid more time, never less).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from auction.ledger.verifier.canonical import format_time, parse_time
from auction.ledger.verifier.entry import Body

BID_KINDS = frozenset({"bid.placed", "bid.sealed", "bid.accepted", "bid.withdrawn"})
LATE_FIELD = "late"

# When an entry was witnessed: POSIX seconds of the smallest quorum time covering a global index, or None.
WitnessedAt = Callable[[int], int | None]


@dataclass(frozen=True, slots=True)
class BidMoment:
    """One bid entry as the lateness rule sees it: where it is, when it says it was made, the close it beat."""

    index: int
    lot_seq: int
    kind: str
    at: datetime
    close: datetime


@dataclass(frozen=True, slots=True)
class OutageExtension:
    lot_seq: int
    outage_from: datetime
    outage_to: datetime


@dataclass(frozen=True, slots=True)
class Judged:
    """A bid, its deadline D, when the witnesses vouched for it, and whether that was in time."""

    bid: BidMoment
    deadline: datetime
    witnessed_at: int | None
    grace_seconds: int

    @property
    def in_time(self) -> bool:
        return witnessed_in_time(self.witnessed_at, self.deadline, self.grace_seconds)

    def describe(self) -> str:
        """Why it is late, for a finding: names the entry, its witnessed time, the close and the grace."""
        close = format_time(self.deadline)
        if self.witnessed_at is None:
            return f"bid at index {self.bid.index} was never witnessed (close {close} + grace {self.grace_seconds} s)"
        when = format_time(datetime.fromtimestamp(self.witnessed_at, UTC))
        side = "within" if self.in_time else "after"
        return (
            f"bid at index {self.bid.index} was first witnessed at {when}, {side} the close {close} "
            f"+ grace {self.grace_seconds} s"
        )


def bid_deadline(bid: BidMoment, outages: list[OutageExtension]) -> datetime:
    """D: the close in force at admission, moved to the end of a later outage that began at or before the bid."""
    deadline = bid.close
    for outage in outages:
        if outage.lot_seq > bid.lot_seq and outage.outage_from <= bid.at:
            deadline = max(deadline, outage.outage_to)
    return deadline


def witnessed_in_time(witnessed_at: int | None, deadline: datetime, grace_seconds: int) -> bool:
    """Witnessed at most `grace_seconds` after the deadline (never witnessed: not shown to be in time)."""
    if witnessed_at is None:
        return False
    return datetime.fromtimestamp(witnessed_at, UTC) <= deadline + timedelta(seconds=grace_seconds)


@dataclass(slots=True)
class LotBidTimes:
    """Walks one lot's chain in lot_seq order and notes each bid's close in force and each outage extension.

    Feed it every body of the lot (`see`); it reads only `auction.opened`, `auction.extended` and bid entries,
    which the caller has already checked (the platform wrote them; the replay validated them first).
    """

    close: datetime | None = None
    bids: list[BidMoment] = field(default_factory=list)
    outages: list[OutageExtension] = field(default_factory=list)

    def see(self, index: int, body: Body) -> None:
        kind, payload = body.kind, body.payload
        if kind == "auction.opened":
            self.close = parse_time(payload["closes_at"])
        elif kind in BID_KINDS and self.close is not None:
            self.bids.append(BidMoment(index, body.lot_seq, kind, body.at_datetime, self.close))
            if kind == "bid.accepted":
                self.close = body.at_datetime  # the first acceptance ends a Dutch auction
        elif kind == "auction.extended":
            self.close = parse_time(payload["closes_at"])
            if payload.get("reason") == "outage":
                down, back = parse_time(payload["outage_from"]), parse_time(payload["outage_to"])
                self.outages.append(OutageExtension(body.lot_seq, down, back))

    @property
    def bid_seqs(self) -> frozenset[int]:
        return frozenset(bid.lot_seq for bid in self.bids)

    @property
    def first_index(self) -> int | None:
        return min((bid.index for bid in self.bids), default=None)

    def judge(self, witnessed_at: WitnessedAt, grace_seconds: int) -> list[Judged]:
        """Every bid, in chain order, with its deadline and witnessed time."""
        return [
            Judged(bid, bid_deadline(bid, self.outages), witnessed_at(bid.index), grace_seconds) for bid in self.bids
        ]

    def late(self, witnessed_at: WitnessedAt, grace_seconds: int) -> list[int]:
        """The lot_seq of every bid not witnessed in time, ascending: `auction.closed` `late`."""
        return [j.bid.lot_seq for j in self.judge(witnessed_at, grace_seconds) if not j.in_time]


def counted_standing(events: list[tuple[int, str, str]], late: frozenset[int]) -> dict[str, int]:
    """Sealed lots: bidder -> lot_seq of their standing bid, from (lot_seq, kind, bidder) of `bid.sealed` and
    `bid.withdrawn` in chain order, with late entries left out (a late replacement or withdrawal changes nothing)."""
    standing: dict[str, int] = {}
    for seq, kind, bidder in events:
        if seq in late:
            continue
        if kind == "bid.sealed":
            standing[bidder] = seq
        elif kind == "bid.withdrawn":
            standing.pop(bidder, None)
    return standing
