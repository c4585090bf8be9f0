"""What a watcher of a lot sees of its auction right now: state, price, leader pseudonym, closing time, and the
server's clock. Read-only, so the API, the pages and their streams may read it as often as they poll."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.accounts.permissions import can_manage_lots_of
from auction.bidding.disclosure import competition_public
from auction.bidding.models import AuctionClock
from auction.clock import Clock, as_utc
from auction.errors import NotFound
from auction.ledger.verifier import auction_rules as rules
from auction.ledger.verifier import dutch_clock
from auction.ledger.verifier.canonical import parse_time
from auction.lots.models import AuctionFormat, Lot, LotState, RentPeriod
from auction.lots.service import visible_to


@dataclass(frozen=True, slots=True)
class LiveState:
    """One moment of a lot's auction. Before bidding opens only ``opens_at`` is known; the running fields
    (``closes_at``, count, price, leader) come with the auction clock; a sealed auction never shows price or
    leader until its bids are opened, nor (to the public) its number of bids: ``bid_count`` is then None."""

    lot_id: int
    state: LotState
    format: AuctionFormat
    server_time: datetime
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    bid_count: int | None = 0
    current_price: int | None = None
    leader: str | None = None
    minimum_next_bid: int | None = None
    # Descending lots under the tie rule: how many bidders accepted the tick's price so far (contenders), and
    # while their sealed run-off runs, its price and deadline; `paused` while an outage is not yet recorded.
    contenders: int = 0
    runoff_price: int | None = None
    runoff_closes_at: datetime | None = None
    # A lease's bids are the rent per period for the whole object; the panel shows the per-m² equivalent too.
    rent_period: RentPeriod | None = None
    area_sqm: Decimal | None = None

    @property
    def started(self) -> bool:
        """Whether the auction clock exists, i.e. bidding has opened at some point."""
        return self.closes_at is not None

    @property
    def running(self) -> bool:
        return self.state == LotState.BIDDING and self.closes_at is not None


async def running_closes(session: AsyncSession, lot_ids: Iterable[int]) -> dict[int, datetime]:
    """The auction clocks' closing instants of those lots whose bidding has opened, by lot: what
    ``auction.lots.schedule.effective_close`` takes, so a list shows the same closing times as each lot's page."""
    wanted = sorted(set(lot_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(AuctionClock.lot_id, AuctionClock.closes_at).where(AuctionClock.lot_id.in_(wanted))
    )
    return {lot_id: as_utc(closes_at) for lot_id, closes_at in rows}


@dataclass(frozen=True, slots=True)
class LiveMoment:
    """A lot's auction at one moment as each kind of watcher sees it: the public, and the officers of its
    municipality (who see a sealed auction's number of bids all along); the same object when they see the same.
    ``next_tick`` is when a descending price falls next with no row changing (None when nothing moves by itself)."""

    public: LiveState
    officers: LiveState
    municipality_id: int
    next_tick: datetime | None = None

    def sees_more(self, viewer: User | None) -> bool:
        """Whether ``viewer`` sees more of this auction than the public does."""
        return (
            self.officers is not self.public and viewer is not None and can_manage_lots_of(viewer, self.municipality_id)
        )

    def seen_by(self, viewer: User | None) -> LiveState:
        return self.officers if self.sees_more(viewer) else self.public


@dataclass(frozen=True, slots=True)
class LotTerms:
    """What a running auction's live state takes from its lot: held by whoever keeps a moment to apply the auction
    clock's later changes to it (web.bidding.live_hub) without reading the lot again."""

    lot_id: int
    state: LotState
    format: AuctionFormat
    municipality_id: int
    starting_price: int
    bid_step: int
    bidding_opens_at: datetime
    floor_price: int | None
    price_drop_interval_seconds: int | None
    rent_period: RentPeriod | None
    area_sqm: Decimal | None

    @classmethod
    def of(cls, lot: Lot) -> LotTerms:
        return cls(
            lot.id,
            lot.state,
            lot.format,
            lot.municipality_id,
            lot.starting_price,
            lot.bid_step,
            as_utc(lot.bidding_opens_at),
            lot.floor_price,
            lot.price_drop_interval_seconds,
            lot.rent_period,
            lot.area_sqm,
        )


@dataclass(frozen=True, slots=True)
class RunningClock:
    """The auction clock's running fields that a live state shows: a row read, or the payload its change notified
    (migration 0011_live_payload), which carries the same fields so that a change is shown without a read."""

    closes_at: datetime
    current_price: int | None
    leader: str | None
    bid_count: int
    pauses: tuple[tuple[str, str], ...] = ()
    runoff_price: int | None = None
    runoff_closes_at: datetime | None = None

    @classmethod
    def of(cls, running: AuctionClock) -> RunningClock:
        return cls(
            as_utc(running.closes_at),
            running.current_price,
            running.leader,
            running.bid_count,
            tuple((start, end) for start, end in running.pauses or []),
            running.runoff_price,
            None if running.runoff_closes_at is None else as_utc(running.runoff_closes_at),
        )

    @classmethod
    def of_payload(cls, payload: Mapping[str, object]) -> RunningClock:
        """The clock as the trigger of 0011_live_payload sends it (times as UTC without an offset); raises
        ValueError (or TypeError, KeyError) on anything else: the receiver then reads the lot instead."""

        def moment(value: object) -> datetime:
            if not isinstance(value, str):
                raise TypeError(f"not a time: {value!r}")
            return as_utc(datetime.fromisoformat(value))

        def whole(value: object) -> int:
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"not a whole number: {value!r}")
            return value

        pauses = payload.get("pauses") or []
        if not isinstance(pauses, list):
            raise TypeError(f"not a list of pauses: {pauses!r}")
        leader = payload["leader"]
        if leader is not None and not isinstance(leader, str):
            raise TypeError(f"not a pseudonym: {leader!r}")
        current_price, runoff_price, runoff_closes_at = (
            payload["current_price"],
            payload.get("runoff_price"),
            payload.get("runoff_closes_at"),
        )
        return cls(
            moment(payload["closes_at"]),
            None if current_price is None else whole(current_price),
            leader,
            whole(payload["bid_count"]),
            tuple((str(start), str(end)) for start, end in pauses),
            None if runoff_price is None else whole(runoff_price),
            None if runoff_closes_at is None else moment(runoff_closes_at),
        )


def running_moment(lot: LotTerms, running: RunningClock, now: datetime) -> LiveMoment:
    """A running (or run) auction's live state at ``now`` from its lot's terms and its clock: the one rule for both
    a read (`LiveAuctions.moment`) and a notified change of the clock applied to a held moment."""
    sealed = lot.format == AuctionFormat.SEALED_BID
    current_price = None if sealed else running.current_price
    minimum_next_bid = None
    if lot.format == AuctionFormat.OPEN_ASCENDING:
        minimum_next_bid = rules.minimum_next_bid(lot.starting_price, lot.bid_step, running.current_price)
    runoff_price = runoff_closes_at = None
    next_tick = None
    if lot.format == AuctionFormat.DESCENDING and lot.floor_price and lot.price_drop_interval_seconds:
        # The price stops at the first acceptance (the tie window) and stands still for recorded outages.
        opens_at = lot.bidding_opens_at
        interval = timedelta(seconds=lot.price_drop_interval_seconds)
        pauses = [(parse_time(start), parse_time(end)) for start, end in running.pauses]
        current_price = running.current_price or rules.dutch_price(
            lot.starting_price, lot.bid_step, lot.floor_price, opens_at, interval, now, pauses
        )
        if running.current_price is None and lot.state == LotState.BIDDING:
            # No row changes when the price falls: whoever pushes changes must look again at the next tick.
            next_tick = dutch_clock.tick_end(opens_at, interval, now, pauses)
        if running.runoff_closes_at is not None and lot.state == LotState.CLOSED:
            runoff_price, runoff_closes_at = running.runoff_price, running.runoff_closes_at
    counted = not sealed or competition_public(lot.format, lot.state)
    public = LiveState(
        lot.lot_id,
        lot.state,
        lot.format,
        now,
        # What effective_close gives once the clock runs: the clock's closing instant.
        closes_at=running.closes_at,
        bid_count=running.bid_count if counted else None,
        current_price=current_price,
        leader=None if sealed else running.leader,
        minimum_next_bid=minimum_next_bid,
        rent_period=lot.rent_period,
        area_sqm=lot.area_sqm,
        contenders=running.bid_count if lot.format == AuctionFormat.DESCENDING else 0,
        runoff_price=runoff_price,
        runoff_closes_at=runoff_closes_at,
    )
    officers = public if counted else replace(public, bid_count=running.bid_count)
    return LiveMoment(public, officers, lot.municipality_id, next_tick)


@dataclass(frozen=True, slots=True)
class LiveReading:
    """A lot's moment as read, with the lot's terms and auction clock (None before bidding opens) it was made of."""

    moment: LiveMoment
    terms: LotTerms
    clock: RunningClock | None


class LiveAuctions:
    """Reads the live state of auctions; it writes nothing, so it needs no ledger."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def state(self, lot_id: int, *, viewer: User | None = None) -> LiveState:
        """The lot's auction now, as ``viewer`` (None: the public) may see it; a lot that was never public (a draft,
        or a draft cancelled before publication) has no auction, and is refused as not found like one that does not
        exist. Officers of the lot's municipality see the sealed-bid count all along."""
        return (await self.moment(lot_id)).seen_by(viewer)

    async def moment(self, lot_id: int) -> LiveMoment:
        """The lot's auction now for every kind of watcher at once (one read of the lot and its clock)."""
        return (await self.reading(lot_id)).moment

    async def reading(self, lot_id: int) -> LiveReading:
        """The lot's moment now with what made it (its terms, its clock): what a live stream's hub loads once per
        change and hands to all the watchers of the lot in its process, then applies the clock's notified changes to
        (`running_moment`)."""
        # populate_existing: a stream polls in one session per tick, but a caller may reuse a session.
        lot = await self.session.get(Lot, lot_id, populate_existing=True)
        if lot is None or not lot.is_public:
            raise NotFound("lot.not_found", lot_id=lot_id)
        now = self.clock.now()
        terms = LotTerms.of(lot)
        running = await self.session.get(AuctionClock, lot_id, populate_existing=True)
        if running is None:
            public = LiveState(
                lot.id,
                lot.state,
                lot.format,
                now,
                opens_at=as_utc(lot.bidding_opens_at),
                rent_period=lot.rent_period,
                area_sqm=lot.area_sqm,
            )
            return LiveReading(LiveMoment(public, public, lot.municipality_id), terms, None)
        clock = RunningClock.of(running)
        return LiveReading(running_moment(terms, clock, now), terms, clock)

    async def states(self, lot_ids: Sequence[int], *, viewer: User | None = None) -> list[LiveState]:
        """Several lots' auctions at once, for one watcher of many: refused as not found, naming the first, if any
        of them is a lot ``viewer`` may not see (`visible_to`) or that has no auction (`state`)."""
        wanted = sorted(set(lot_ids))
        seen = set(await self.session.scalars(select(Lot.id).where(Lot.id.in_(wanted), visible_to(viewer))))
        for lot_id in wanted:
            if lot_id not in seen:
                raise NotFound("lot.not_found", lot_id=lot_id)
        return [await self.state(lot_id, viewer=viewer) for lot_id in wanted]
