"""One process's watchers of live auctions, fed by PostgreSQL's notifications rather than by each watcher polling.

The listener (auction.db.listener) hears that lot N changed. When its auction clock changed, the notification carries
the clock's running fields (migration 0011_live_payload): the hub applies them to N's terms it holds (the same rule
as a read, `auction.bidding.live.running_moment`) and hands the result to every watcher of N in this process, with no
read, so each bid's price reaches every watcher, in the order the bids committed. When the lot itself changed (or the
hub holds nothing of it yet, or the listener was away), it reads N's auction once (one session,
`LiveAuctions.reading`) for all its watchers. Each watcher sees what they may (an officer of the lot's municipality
sees a sealed lot's bid count), and keeps the states it has not taken yet in order. A watcher costs the database
nothing: the reads follow the lots' changes, not the bids nor the number of watchers. What changes with no row
changing (a descending price falling each tick) is read again by one timer per lot, at its next tick.

Why not Litestar's Channels (``AsyncPgChannelsBackend``, litestar 2.x): its one listening connection is opened at
start-up (a database away then fails the app's start, which this app survives: web.core) and never opened again
once it drops, and nothing tells its subscribers that notifications were lost meanwhile, while a change missed here
is a stale price on a bidder's screen. It would carry only the notification anyway: the one read per change and its
fan-out by viewer are ours. What is left of it is asyncpg's ``add_listener``, which auction.db.listener uses.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.bidding.live import (
    LiveAuctions,
    LiveMoment,
    LiveReading,
    LiveState,
    LotTerms,
    RunningClock,
    running_moment,
)
from auction.clock import Clock
from auction.db.listener import LotListener
from auction.errors import NotFound

log = logging.getLogger(__name__)

# After a failed read (the database away), when to read the lot again for its watchers.
RETRY_SECONDS = 1.0
# A descending price falls at its tick's end: read a moment after it, so the read sees the new tick.
TICK_MARGIN_SECONDS = 0.05
# How many states of one lot a watcher may have not yet taken: a stream that falls further behind skips the oldest.
BACKLOG = 256


class LiveWatcher:
    """One stream's view of the hub: the states of each of its lots not yet taken, in the order they came, and an
    event that says there are some. A lot's queue is bounded (`BACKLOG`): a stream so slow that it fills it loses
    its oldest states, never the newest. A state None means the lot is gone (no longer public)."""

    def __init__(self, lot_ids: Sequence[int], viewer: User | None) -> None:
        self.lot_ids = list(dict.fromkeys(lot_ids))
        self.viewer = viewer
        self.pending: dict[int, deque[LiveState | None]] = {}
        self.arrived = asyncio.Event()

    def give(self, lot_id: int, moment: LiveMoment | None) -> None:
        queue = self.pending.get(lot_id)
        if queue is None:
            queue = self.pending[lot_id] = deque(maxlen=BACKLOG)
        queue.append(None if moment is None else moment.seen_by(self.viewer))
        self.arrived.set()

    async def take(self) -> list[tuple[int, LiveState | None]]:
        """The states that arrived since the last call, each lot's in the order they came, waiting for one if none
        did."""
        await self.arrived.wait()
        self.arrived.clear()
        taken, self.pending = self.pending, {}
        return [(lot_id, state) for lot_id, queue in taken.items() for state in queue]


def unseen(read: RunningClock | None, notified: Sequence[RunningClock]) -> list[RunningClock]:
    """Of the clocks notified (in commit order) while a lot was being read, those the read did not see yet.

    The read saw the state some notification carried, or one from before them all, or (its commit's notification
    still on its way) one after them all. After the last notified clock equal to the one read, everything is newer.
    With none equal, a clock with fewer bids than the read one is older (a lot's bid count never falls) and is left
    out; the others are shown. Should the read have been ahead, that shows an older clock for a moment, and the
    read's own notification, which must still come, puts the newest back.
    """
    if read is None:
        return list(notified)
    for index in range(len(notified) - 1, -1, -1):
        if notified[index] == read:
            return list(notified[index + 1 :])
    return [running for running in notified if running.bid_count >= read.bid_count]


class LiveHub:
    """The watchers of this process by lot, and the one read per lot and change that they share."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self._watchers: dict[int, set[LiveWatcher]] = {}
        self._reading: dict[int, asyncio.Task[None]] = {}
        # Lots that changed again while being read: read once more when the read ends (changes coalesce).
        self._again: set[int] = set()
        # The clocks notified while their lot is being read, in the order they came: the read may or may not have
        # seen them, the end of the read sorts that out (`unseen`).
        self._during: dict[int, list[RunningClock]] = {}
        # Each watched lot's terms as last read: a notified clock is applied to them without a read.
        self._terms: dict[int, LotTerms] = {}
        self._timers: dict[int, asyncio.TimerHandle] = {}
        # How many reads the hub made: tests show that watchers share them, and that a bid needs none.
        self.reads = 0
        self.listener: LotListener | None = None

    def watched(self) -> list[int]:
        return list(self._watchers)

    @asynccontextmanager
    async def watching(self, lot_ids: Sequence[int], viewer: User | None) -> AsyncIterator[LiveWatcher]:
        """A watcher of ``lot_ids`` for as long as the block runs; its first state of each lot is read after it
        joined (so its server time is fresh), and shared with whoever else joined meanwhile."""
        watcher = LiveWatcher(lot_ids, viewer)
        for lot_id in watcher.lot_ids:
            self._watchers.setdefault(lot_id, set()).add(watcher)
            self.changed(lot_id)
        try:
            yield watcher
        finally:
            for lot_id in watcher.lot_ids:
                self.forget(watcher, lot_id)

    def forget(self, watcher: LiveWatcher, lot_id: int) -> None:
        """``watcher`` no longer watches ``lot_id``; a lot nobody watches is no longer read or timed."""
        watchers = self._watchers.get(lot_id)
        if watchers is None:
            return
        watchers.discard(watcher)
        if not watchers:
            del self._watchers[lot_id]
            self._terms.pop(lot_id, None)
            timer = self._timers.pop(lot_id, None)
            if timer is not None:
                timer.cancel()

    def notified(self, lot_id: int, fields: Mapping[str, object] | None) -> None:
        """The listener heard of a change of the lot: with its auction clock's fields (``fields``), the hub applies
        them to the lot's terms it holds and shows the result at once, in the order the changes committed, with no
        read; with the lot's id only (the lot itself changed, a deleted clock), or when it holds no terms of the lot
        or the fields make no clock, it reads the lot."""
        if lot_id not in self._watchers:
            return
        if fields is None:
            self.changed(lot_id)
            return
        try:
            running = RunningClock.of_payload(fields)
        except (ValueError, TypeError, KeyError):
            log.warning("live updates: lot %s's notified clock %r makes no clock; reading it", lot_id, fields)
            self.changed(lot_id)
            return
        during = self._during.get(lot_id)
        if during is not None:
            during.append(running)
            return
        terms = self._terms.get(lot_id)
        if terms is None:
            self.changed(lot_id)
            return
        self._show(lot_id, running_moment(terms, running, self.clock.now()))

    def changed(self, lot_id: int) -> None:
        """The lot's live state may have changed (the lot's row changed, its tick came, a watcher joined): read it
        for its watchers; one read at a time per lot, and one more after it if it changed again meanwhile."""
        if lot_id not in self._watchers:
            return
        if lot_id in self._reading:
            self._again.add(lot_id)
            return
        # From now on a clock notice waits for the read: drawn with the terms held, it could show a lot whose row
        # changed in the same transaction (a lot notice comes first) as it was before.
        self._during[lot_id] = []
        self._reading[lot_id] = asyncio.get_running_loop().create_task(self._read(lot_id))

    def everything_changed(self) -> None:
        """The listener (re)connected: what was notified while it was away is lost, so every watched lot is read."""
        for lot_id in self.watched():
            self.changed(lot_id)

    async def _read(self, lot_id: int) -> None:
        try:
            while lot_id in self._watchers:
                self._again.discard(lot_id)
                self._during.setdefault(lot_id, [])
                reading: LiveReading | None
                try:
                    async with self.sessions() as session:
                        self.reads += 1
                        reading = await LiveAuctions(session, self.clock).reading(lot_id)
                except NotFound:
                    reading = None
                except Exception:
                    log.warning("live updates: reading lot %s failed; reading it again shortly", lot_id, exc_info=True)
                    self._at(lot_id, RETRY_SECONDS)
                    return
                during = self._during.pop(lot_id)
                if lot_id in self._again:
                    # The lot changed while it was read: this read may hold its old terms, and the clocks notified
                    # meanwhile may be drawn on its new ones. They wait for the next read, which sorts them (`unseen`).
                    self._during[lot_id] = during
                    during = []
                if reading is None:
                    self._terms.pop(lot_id, None)
                    self._show(lot_id, None)
                else:
                    if lot_id in self._watchers:
                        self._terms[lot_id] = reading.terms
                    self._show(lot_id, reading.moment)
                    for running in unseen(reading.clock, during):
                        self._show(lot_id, running_moment(reading.terms, running, self.clock.now()))
                if lot_id not in self._again:
                    return
        finally:
            del self._reading[lot_id]
            self._during.pop(lot_id, None)

    def _show(self, lot_id: int, moment: LiveMoment | None) -> None:
        """Gives ``moment`` to every watcher of the lot; a falling price is looked at again at its next tick."""
        for watcher in list(self._watchers.get(lot_id, ())):
            watcher.give(lot_id, moment)
        if moment is not None and moment.next_tick is not None:
            delay = (moment.next_tick - self.clock.now()).total_seconds()
            self._at(lot_id, max(delay, 0) + TICK_MARGIN_SECONDS)

    def _at(self, lot_id: int, delay: float) -> None:
        # One timer per lot: a later read replaces the earlier one's timer.
        timer = self._timers.pop(lot_id, None)
        if timer is not None:
            timer.cancel()
        if lot_id in self._watchers:
            self._timers[lot_id] = asyncio.get_running_loop().call_later(delay, self._tick, lot_id)

    def _tick(self, lot_id: int) -> None:
        self._timers.pop(lot_id, None)
        self.changed(lot_id)

    async def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        reading = list(self._reading.values())
        for task in reading:
            task.cancel()
        await asyncio.gather(*reading, return_exceptions=True)


@asynccontextmanager
async def live_hub(
    database_url: str, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> AsyncIterator[LiveHub | None]:
    """For the app's lifetime: the process's hub and its one LISTEN connection, on PostgreSQL; None on SQLite,
    whose one process keeps its streams polling (it has no LISTEN)."""
    if not database_url.startswith("postgresql"):
        yield None
        return
    hub = LiveHub(sessions, clock)
    listener = LotListener(database_url, hub.notified, hub.everything_changed)
    hub.listener = listener
    task = asyncio.get_running_loop().create_task(listener.run(), name="live-updates listener")
    try:
        yield hub
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await hub.close()
