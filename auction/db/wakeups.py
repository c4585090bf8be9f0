"""Wake-ups: background jobs sleep until PostgreSQL tells them something changed (LISTEN/NOTIFY), not poll.

Migration 0010_due_indexes has triggers NOTIFY ``achyk_due`` when a due instant may have moved (a lot published
or rescheduled, a close extended, an award offered, a decryption share posted) and ``achyk_pending`` when ledger
bodies were admitted. Each process keeps one small asyncpg connection that LISTENs on both, reconnecting when it
is lost (and then waking everyone: a notice may have been missed meanwhile). On SQLite there is nothing to listen
to: the jobs keep polling there (``listening`` stays False), and ``wake`` still works within the one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

DUE = "achyk_due"
PENDING = "achyk_pending"
RECONNECT_SECONDS = 2.0


class Wake:
    """One channel's wake-up: set by a notice, cleared by the sleeper that wakes."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    async def sleep(self, seconds: float, stop: asyncio.Event) -> bool:
        """Sleep up to ``seconds``, less if woken or stopped; True if woken (the wake-up is consumed)."""
        if not self._event.is_set() and not stop.is_set() and seconds > 0:
            waiters = [asyncio.ensure_future(self._event.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
                await asyncio.gather(*waiters, return_exceptions=True)
        woken = self._event.is_set()
        self._event.clear()
        return woken


def asyncpg_dsn(database_url: str) -> str | None:
    """The plain DSN asyncpg connects with for a SQLAlchemy PostgreSQL URL; None for another database."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Wakeups:
    """The process's listener and the wake-ups it sets."""

    def __init__(self, database_url: str, channels: Iterable[str] = (DUE, PENDING)) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.wakes = {channel: Wake() for channel in channels}
        self.listening = False  # True while notices arrive: sleepers may then sleep long

    def __getitem__(self, channel: str) -> Wake:
        return self.wakes[channel]

    def wake(self, channel: str | None = None) -> None:
        for name, wake in self.wakes.items():
            if channel is None or name == channel:
                wake.set()

    def _notified(self, _connection: object, _pid: int, channel: str, _payload: object) -> None:
        self.wake(channel)

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until ``stop``; a lost connection is reopened after a pause (the jobs poll meanwhile)."""
        if self.dsn is None:
            return
        while not stop.is_set():
            lost = asyncio.Event()
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(self.dsn)
                connection.add_termination_listener(lambda _connection, lost=lost: lost.set())
                for channel in self.wakes:
                    await connection.add_listener(channel, self._notified)
                self.listening = True
                # Whatever changed while we were not listening is looked at now.
                self.wake()
                while not stop.is_set() and not lost.is_set() and not connection.is_closed():
                    # Also notice a connection that died silently: a cheap round trip now and then.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(_either(stop, lost), timeout=60)
                    if not stop.is_set() and not lost.is_set():
                        await connection.execute("SELECT 1", timeout=60)
            except Exception as exc:  # an outage: poll until the database is back
                log.warning("the wake-up listener lost the database (%s); reconnecting", exc)
            finally:
                self.listening = False
                self.wake()
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=2)
            if not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=RECONNECT_SECONDS)


async def _either(first: asyncio.Event, second: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(first.wait()), asyncio.ensure_future(second.wait())]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
