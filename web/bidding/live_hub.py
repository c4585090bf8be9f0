"""One process's watchers of live auctions, fed by PostgreSQL's notifications rather than by each watcher polling.

The listener (auction.db.listener) hears that lot N changed; the hub then reads N's auction once (one session,
`LiveAuctions.moment`) and hands it to every watcher of N in this process, each seeing what they may (an officer of
the lot's municipality sees a sealed lot's bid count). A watcher costs the database nothing: the reads follow the
changes, not the number of watchers. What changes with no row changing (a descending price falling each tick) is
read again by one timer per lot, at its next tick.

Why not Litestar's Channels (``AsyncPgChannelsBackend``, litestar 2.x): its one listening connection is opened at
start-up (a database away then fails the app's start, which this app survives: web.core) and never opened again
once it drops, and nothing tells its subscribers that notifications were lost meanwhile, while a change missed here
is a stale price on a bidder's screen. It would carry only the notification anyway: the one read per change and its
fan-out by viewer are ours. What is left of it is asyncpg's ``add_listener``, which auction.db.listener uses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.bidding.live import LiveAuctions, LiveMoment, LiveState
from auction.clock import Clock
from auction.db.listener import LotListener
from auction.errors import NotFound

log = logging.getLogger(__name__)

# After a failed read (the database away), when to read the lot again for its watchers.
RETRY_SECONDS = 1.0
# A descending price falls at its tick's end: read a moment after it, so the read sees the new tick.
TICK_MARGIN_SECONDS = 0.05


class LiveWatcher:
    """One stream's view of the hub: the latest state of each of its lots not yet taken (older ones are skipped: a
    slow stream is shown the newest state, not a backlog), and an event that says there is one. A lot mapped to
    None is gone (no longer public)."""

    def __init__(self, lot_ids: Sequence[int], viewer: User | None) -> None:
        self.lot_ids = list(dict.fromkeys(lot_ids))
        self.viewer = viewer
        self.pending: dict[int, LiveState | None] = {}
        self.arrived = asyncio.Event()

    def give(self, lot_id: int, moment: LiveMoment | None) -> None:
        self.pending[lot_id] = None if moment is None else moment.seen_by(self.viewer)
        self.arrived.set()

    async def take(self) -> dict[int, LiveState | None]:
        """The states that arrived since the last call, waiting for one if none did."""
        await self.arrived.wait()
        self.arrived.clear()
        taken, self.pending = self.pending, {}
        return taken


class LiveHub:
    """The watchers of this process by lot, and the one read per lot and change that they share."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self._watchers: dict[int, set[LiveWatcher]] = {}
        self._reading: dict[int, asyncio.Task[None]] = {}
        # Lots that changed again while being read: read once more when the read ends (changes coalesce).
        self._again: set[int] = set()
        self._timers: dict[int, asyncio.TimerHandle] = {}
        # How many reads the hub made: tests show that watchers share them.
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
            timer = self._timers.pop(lot_id, None)
            if timer is not None:
                timer.cancel()

    def changed(self, lot_id: int) -> None:
        """The lot's live state may have changed (the listener heard so, or its tick came): read it for its
        watchers; one read at a time per lot, and one more after it if it changed again meanwhile."""
        if lot_id not in self._watchers:
            return
        if lot_id in self._reading:
            self._again.add(lot_id)
            return
        self._reading[lot_id] = asyncio.get_running_loop().create_task(self._read(lot_id))

    def everything_changed(self) -> None:
        """The listener (re)connected: what was notified while it was away is lost, so every watched lot is read."""
        for lot_id in self.watched():
            self.changed(lot_id)

    async def _read(self, lot_id: int) -> None:
        try:
            while lot_id in self._watchers:
                self._again.discard(lot_id)
                try:
                    async with self.sessions() as session:
                        self.reads += 1
                        moment: LiveMoment | None = await LiveAuctions(session, self.clock).moment(lot_id)
                except NotFound:
                    moment = None
                except Exception:
                    log.warning("live updates: reading lot %s failed; reading it again shortly", lot_id, exc_info=True)
                    self._at(lot_id, RETRY_SECONDS)
                    return
                for watcher in list(self._watchers.get(lot_id, ())):
                    watcher.give(lot_id, moment)
                if moment is not None and moment.next_tick is not None:
                    delay = (moment.next_tick - self.clock.now()).total_seconds()
                    self._at(lot_id, max(delay, 0) + TICK_MARGIN_SECONDS)
                if lot_id not in self._again:
                    return
        finally:
            del self._reading[lot_id]

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
    listener = LotListener(database_url, hub.changed, hub.everything_changed)
    hub.listener = listener
    task = asyncio.get_running_loop().create_task(listener.run(), name="live-updates listener")
    try:
        yield hub
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await hub.close()
