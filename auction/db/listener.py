"""PostgreSQL's word that a lot's live state changed: one LISTEN connection per process, kept open for its lifetime.

Migration 0010_live_push has the database itself NOTIFY on ``LOT_CHANNEL`` whenever a row that makes a lot's live
state (the lot, its auction clock) changes: the payload is the lot's id, or (0011_live_payload) for a changed auction
clock a JSON object naming the lot (``lot``) with the clock's running fields; either is sent from inside the
changing transaction: PostgreSQL delivers it only on commit, in commit order, to every listening process on every
host, whatever SQL made the change.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

LOT_CHANNEL = "achyk_lot"
# How the listening connection names itself in pg_stat_activity (an operator, or a test, can find it there).
APPLICATION_NAME = "achyk live updates"
# After a drop, how long to wait before connecting again (a database that is down is not hammered).
RETRY_SECONDS = 1.0
# A connection that went away without a word (a dead host, a cut network) is found by a ping this often.
KEEPALIVE_SECONDS = 15.0

CONNECTION_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (``postgresql+asyncpg://…``) as the DSN asyncpg connects with on its own."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class LotListener:
    """LISTENs on ``LOT_CHANNEL`` and calls ``changed(lot_id, fields)`` for each notification, in the order they
    come (commit order), ``fields`` being a clock's notified fields or None when only the id came; after every
    (re)connection it calls ``listening()``: notifications sent while no connection listened are lost, so whoever
    keeps lots' states must read them all again then.

    Run it as a task (`run`); cancelling the task closes the connection.
    """

    def __init__(
        self,
        database_url: str,
        changed: Callable[[int, Mapping[str, object] | None], None],
        listening: Callable[[], None],
        *,
        retry_seconds: float = RETRY_SECONDS,
        keepalive_seconds: float = KEEPALIVE_SECONDS,
    ) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.changed = changed
        self.listening = listening
        self.retry_seconds = retry_seconds
        self.keepalive_seconds = keepalive_seconds
        # The listening connection's server process, while there is one (tests terminate it to play a drop).
        self.backend_pid: int | None = None
        self.connected = asyncio.Event()

    async def run(self) -> None:
        while True:
            try:
                await self._listen()
            except CONNECTION_ERRORS as exc:
                log.warning("live updates: the LISTEN connection failed (%s); connecting again", exc)
            except Exception:
                # Anything else must not end the task for good: the streams would freeze with nothing to notice it.
                log.exception("live updates: the LISTEN connection failed; connecting again")
            await asyncio.sleep(self.retry_seconds)

    async def _listen(self) -> None:
        connection: asyncpg.Connection = await asyncpg.connect(
            self.dsn, timeout=self.keepalive_seconds, server_settings={"application_name": APPLICATION_NAME}
        )
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(LOT_CHANNEL, self._notified)
            self.backend_pid = connection.get_server_pid()
            self.connected.set()
            self.listening()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self.keepalive_seconds)
                    continue
                # Raises if the connection is dead; a terminated one usually says so at once (``lost``).
                await connection.fetchval("SELECT 1", timeout=self.keepalive_seconds)
            log.warning("live updates: the LISTEN connection was closed; connecting again")
        finally:
            self.connected.clear()
            self.backend_pid = None
            connection.terminate()

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        fields: Mapping[str, object] | None = None
        try:
            if payload.startswith("{"):
                parsed = json.loads(payload)
                lot_id = int(parsed["lot"])
                fields = parsed
            else:
                lot_id = int(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("live updates: ignored a notification %r that names no lot", payload)
            return
        self.changed(lot_id, fields)
