"""The auction clock-work: open and close on schedule, decide, expire awards, and notice outages.

Every app process may run ``tick``; each action takes the lot's row lock and re-checks the lot's state,
so it happens exactly once however many processes race for it.

An idle site must cost next to nothing, however many lots it holds: ``run`` scans only in the one process that
holds the scheduler's lease, and only when something is due (the next due instant is one indexed query), when
woken by a NOTIFY that a due instant may have moved (auction.db.wakeups), or at a ceiling as a safety net. In
between, the leader only writes the pulse, every few seconds: well inside the outage threshold, even counting the
time another process needs to take over a crashed leader's lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.bidding.auction import SYSTEM, AuctionService, outage_threshold_seconds
from auction.bidding.awards import AwardService
from auction.bidding.models import AuctionClock, Award, AwardStatus, CommissionCeremony, SchedulerPulse
from auction.bidding.opening import SealedLotService
from auction.clock import Clock, as_utc
from auction.db.engine import transaction
from auction.db.wakeups import DUE, Wakeups
from auction.ledger.admission import LedgerWriter
from auction.ledger.keys import LedgerKeys
from auction.ledger.lease import SCHEDULER_LEASE, Lease
from auction.ledger.verifier import dutch_clock
from auction.ledger.verifier.canonical import format_time
from auction.ledger.witness_config import WitnessConfig
from auction.ledger.witnessed_time import unwitnessed_too_long, witness_health
from auction.lots.models import AuctionFormat, Lot, LotState

log = logging.getLogger(__name__)
PULSE_ID = 1
# Without a NOTIFY (one lost, or a change no trigger covers) the leader still scans this often.
CEILING_SECONDS = 30.0


@dataclass
class TickReport:
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    extended: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    decided: list[int] = field(default_factory=list)  # descending run-offs awarded


class AuctionScheduler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keys: LedgerKeys,
        clock: Clock,
        *,
        interval_seconds: float = 0.5,
        witnesses: WitnessConfig | None = None,
        ceiling_seconds: float = CEILING_SECONDS,
    ) -> None:
        self.sessions = sessions
        self.keys = keys
        self.clock = clock
        # The shortest pause between two scans, and the poll where no NOTIFY arrives (SQLite).
        self.interval = interval_seconds
        self.ceiling = ceiling_seconds
        self.witnesses = witnesses if witnesses is not None and witnesses.enabled else None
        self.pulse_every, lease_term = pulse_timing(outage_threshold_seconds(self.witnesses))
        self.lease = Lease(sessions, clock, SCHEDULER_LEASE, lease_term)
        self.scans = 0  # how many times ``tick`` ran here: what an idle site should rarely do
        self._next_due: datetime | None = None
        self._last_scan: float | None = None  # loop time
        self._last_pulse: float | None = None

    def _ledger(self, session: AsyncSession) -> LedgerWriter:
        return LedgerWriter(session, self.keys, self.clock, witnesses=self.witnesses)

    def _services(self, session: AsyncSession) -> tuple[AuctionService, AwardService]:
        ledger = self._ledger(session)
        return AuctionService(session, self.clock, ledger), AwardService(session, self.clock, ledger)

    async def next_due(self) -> datetime | None:
        """The earliest instant at which a lot opens, closes, ends a run-off or lets an award lapse (None: nothing
        is scheduled): four index probes (migration 0010_due_indexes) in one round trip. A decryption share has no
        instant: it wakes the scheduler by its NOTIFY."""
        opening = (
            select(Lot.bidding_opens_at)
            .where(Lot.state == LotState.PUBLISHED)
            .order_by(Lot.bidding_opens_at)
            .limit(1)
            .scalar_subquery()
        )
        closing = (
            select(AuctionClock.closes_at)
            .join(Lot, Lot.id == AuctionClock.lot_id)
            .where(AuctionClock.closed_at.is_(None), Lot.state == LotState.BIDDING)
            .order_by(AuctionClock.closes_at)
            .limit(1)
            .scalar_subquery()
        )
        runoff = (
            select(AuctionClock.runoff_closes_at)
            .join(Lot, Lot.id == AuctionClock.lot_id)
            .where(AuctionClock.runoff_closes_at.is_not(None), Lot.state == LotState.CLOSED)
            .order_by(AuctionClock.runoff_closes_at)
            .limit(1)
            .scalar_subquery()
        )
        expiry = (
            select(Award.sign_deadline)
            .where(Award.status == AwardStatus.AWAITING_SIGNATURE)
            .order_by(Award.sign_deadline)
            .limit(1)
            .scalar_subquery()
        )
        async with self.sessions() as session:
            row = (await session.execute(select(opening, closing, runoff, expiry))).one()
        instants = [as_utc(instant) for instant in row if instant is not None]
        return min(instants, default=None)

    async def tick(self) -> TickReport:
        report = TickReport()
        self.scans += 1
        report.extended = await self._pulse()
        now = self.clock.now()
        async with self.sessions() as session:
            due_open = list(
                await session.scalars(
                    select(Lot.id).where(Lot.state == LotState.PUBLISHED, Lot.bidding_opens_at <= now)
                )
            )
            # A running auction is one whose clock is not closed (closing or cancelling it sets closed_at): an index
            # probe (ix_auction_clocks_due_close), where joining the lots' states let the planner hash 100k rows.
            # close_if_due checks the lot's state under its lock all the same.
            due_close = list(
                await session.scalars(
                    select(AuctionClock.lot_id).where(AuctionClock.closed_at.is_(None), AuctionClock.closes_at <= now)
                )
            )
            sealed_waiting = list(
                await session.scalars(
                    select(CommissionCeremony.lot_id)
                    .join(Lot, Lot.id == CommissionCeremony.lot_id)
                    .where(
                        Lot.state == LotState.CLOSED,
                        CommissionCeremony.discarded_at.is_(None),
                        CommissionCeremony.opened_at.is_(None),
                    )
                )
            )
            due_runoff = list(
                await session.scalars(
                    select(AuctionClock.lot_id)
                    .join(Lot, Lot.id == AuctionClock.lot_id)
                    .where(Lot.state == LotState.CLOSED, AuctionClock.runoff_closes_at <= now)
                )
            )
            due_expiry = list(
                await session.scalars(
                    select(Award.lot_id).where(
                        Award.status == AwardStatus.AWAITING_SIGNATURE, Award.sign_deadline <= now
                    )
                )
            )
        for lot_id in due_open:
            async with transaction(self.sessions) as session:
                if await self._services(session)[0].open_if_due(lot_id):
                    report.opened.append(lot_id)
        for lot_id in due_close:
            async with transaction(self.sessions) as session:
                auctions, awards = self._services(session)
                if await auctions.close_if_due(lot_id):
                    report.closed.append(lot_id)
                    lot = await auctions.lots.lock(lot_id)
                    if lot.format != AuctionFormat.SEALED_BID:
                        # Sealed lots wait for their commission to open the bids.
                        await awards.decide(lot)
        for lot_id in sealed_waiting:
            # A closed sealed lot opens by itself once k members have posted their decryption shares.
            async with transaction(self.sessions) as session:
                ledger = self._ledger(session)
                await SealedLotService(session, self.clock, ledger).open_if_ready(lot_id, SYSTEM)
        for lot_id in due_runoff:
            # A descending tie's run-off ends: reveal the sealed offers and award by the published tie rule.
            async with transaction(self.sessions) as session:
                _, awards = self._services(session)
                lot = await awards.lots.lock(lot_id)
                if await awards.decide_runoff(lot) is not None:
                    report.decided.append(lot_id)
        for lot_id in due_expiry:
            async with transaction(self.sessions) as session:
                if await self._services(session)[1].expire_if_due(lot_id):
                    report.expired.append(lot_id)
        return report

    async def _pulse(self) -> list[int]:
        """Record that the platform is alive; after a gap, extend every auction whose final minutes it hit.

        The rule is published with each opening: an outage longer than the threshold within a lot's last
        soft-close window moves its close to one window after service resumed. With witnesses, the platform is
        also down while a checkpoint older than the grace lacks a quorum (binding actions are refused then), from
        the moment that checkpoint was signed: bids admitted since could not be vouched for in time either.
        """
        now = self.clock.now()
        extended: list[int] = []
        async with transaction(self.sessions) as session:
            pulse = await session.get(SchedulerPulse, PULSE_ID, with_for_update=True, populate_existing=True)
            if pulse is None:
                raise RuntimeError("scheduler_pulse is missing; run 'auction db upgrade'")
            if self.witnesses is not None:
                health = await witness_health(session)
                if unwitnessed_too_long(health, now, self.witnesses.grace_seconds):
                    assert health is not None
                    assert health.unwitnessed_since is not None
                    since = as_utc(health.unwitnessed_since)
                    last_alive = None if pulse.last_alive is None else as_utc(pulse.last_alive)
                    pulse.last_alive = since if last_alive is None else min(last_alive, since)
                    return extended
            if pulse.last_alive is None:
                pulse.last_alive = now
                return extended
            last = as_utc(pulse.last_alive)
            pulse.last_alive = max(now, last)
            if now - last <= timedelta(seconds=outage_threshold_seconds(self.witnesses)):
                return extended
            return await self._extend_after_outage(session, last, now)

    async def _extend_after_outage(self, session: AsyncSession, down_from: datetime, back_at: datetime) -> list[int]:
        candidates = list(
            await session.scalars(
                select(Lot.id).where(
                    Lot.state == LotState.BIDDING,
                    Lot.format.in_([AuctionFormat.OPEN_ASCENDING, AuctionFormat.SEALED_BID, AuctionFormat.DESCENDING]),
                )
            )
        )
        extended = []
        auctions, _ = self._services(session)
        for lot_id in candidates:
            # Decide under the lot's lock, on its current closing time: a bid may just have extended it.
            lot = await auctions.lots.lock(lot_id)
            if lot.state != LotState.BIDDING:
                continue
            clock = await auctions.auction_clock(lot_id)
            if lot.format == AuctionFormat.DESCENDING:
                if await self._pause_descending(auctions, lot, clock, down_from, back_at):
                    extended.append(lot_id)
                continue
            window = timedelta(minutes=lot.soft_close_minutes)
            closes_at, new_close = as_utc(clock.closes_at), back_at + window
            hit_final_window = down_from < closes_at and closes_at - window < back_at
            if not hit_final_window or new_close <= closes_at:
                continue
            clock.closes_at = new_close
            await auctions.ledger.record(
                "auction.extended",
                lot_id,
                SYSTEM,
                {
                    "closes_at": format_time(new_close),
                    "reason": "outage",
                    "outage_from": format_time(down_from),
                    "outage_to": format_time(back_at),
                },
                at=max(back_at, await auctions.ledger.next_time(lot_id)),
            )
            extended.append(lot_id)
        return extended

    async def _pause_descending(
        self, auctions: AuctionService, lot: Lot, clock: AuctionClock, down_from: datetime, back_at: datetime
    ) -> bool:
        """The Dutch price must not fall while the platform is down: record the outage, which the clock then leaves
        out (dutch_clock.py), and move the close (or the tie window's end) by its length. Whatever the outage's
        place in the auction: not only the final window, since every tick of a descending auction is decisive."""
        opens_at, closes_at = as_utc(lot.bidding_opens_at), as_utc(clock.closes_at)
        shift = dutch_clock.outage_shift(opens_at, closes_at, (down_from, back_at))
        if not shift:
            return False
        new_close = closes_at + shift
        clock.closes_at = new_close
        clock.pauses = [*(clock.pauses or []), [format_time(down_from), format_time(back_at)]]
        await auctions.ledger.record(
            "auction.extended",
            lot.id,
            SYSTEM,
            {
                "closes_at": format_time(new_close),
                "reason": "outage",
                "outage_from": format_time(down_from),
                "outage_to": format_time(back_at),
            },
            at=max(back_at, await auctions.ledger.next_time(lot.id)),
        )
        return True

    async def cycle(self, woken: bool) -> float:
        """One beat of ``run``: lead if the lease allows, scan if woken or something is due (or at the ceiling),
        else only keep the pulse; returns how long to sleep (in the clock's seconds) unless woken sooner."""
        loop = asyncio.get_running_loop()
        if not await self.lease.hold():
            # A follower: nothing to do but be ready to take over once the leader's lease lapses.
            self._next_due, self._last_scan, self._last_pulse = None, None, None
            return self.lease.term.total_seconds() / 2
        now, beat = self.clock.now(), loop.time()
        due = self._next_due is not None and self._next_due <= now
        if woken or due or self._last_scan is None or beat - self._last_scan >= self.ceiling:
            await self.tick()
            self._next_due = await self.next_due()
            self._last_scan = self._last_pulse = beat
        elif self._last_pulse is None or beat - self._last_pulse >= self.pulse_every:
            await self._pulse()
            self._last_pulse = beat
        beat = loop.time()
        assert self._last_scan is not None
        assert self._last_pulse is not None
        sleep = min(self._last_pulse + self.pulse_every, self._last_scan + self.ceiling) - beat
        if self._next_due is not None:
            # A due instant still past after a scan waits on something (an integration, a quorum): retry calmly.
            sleep = min(sleep, max((self._next_due - self.clock.now()).total_seconds(), self.interval))
        return max(sleep, 0.0)

    async def run(self, stop: asyncio.Event, wakeups: Wakeups | None = None) -> None:
        """Until ``stop``: ``cycle``, then sleep until the next due instant, the next pulse or a NOTIFY.

        Without a listening ``wakeups`` (SQLite, or the listener reconnecting) it polls every ``interval`` as
        before: nothing would wake it."""
        woken = True
        try:
            while not stop.is_set():
                try:
                    sleep = await self.cycle(woken)
                except Exception:
                    log.exception("auction scheduler tick failed; retrying")
                    sleep = self.interval
                listening = wakeups is not None and wakeups.listening
                if not listening:
                    sleep = min(sleep, self.interval)
                # At most one beat per interval, however many NOTIFYs arrive (a busy closing minute).
                pause = min(sleep, self.interval)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=pause)
                if wakeups is not None:
                    woken = await wakeups[DUE].sleep(sleep - pause, stop)
                woken = woken or not listening
        finally:
            with contextlib.suppress(Exception):
                await self.lease.release()


def pulse_timing(outage_threshold: float) -> tuple[float, float]:
    """How often the leader writes the pulse, and its lease's term, for an outage threshold (all in seconds).

    A crashed leader's last pulse may be a term plus a follower's retry (half a term) old when the next leader
    writes its first; pulse + 1.5 terms stays within half the threshold, so a crash is never taken for an outage.
    """
    pulse_every = min(5.0, outage_threshold / 10)
    term = min(15.0, outage_threshold / 5)
    return pulse_every, term
