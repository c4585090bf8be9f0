"""Whether a failure means the database cannot be reached (an outage to wait out) rather than a bug.

A request that fails because PostgreSQL is down, restarting or out of connections was not wrong; its client
should be told to come back (503 with Retry-After), not that the server broke (500). Only the failure is read
here, no I/O: the SQLSTATE classes of losing or not getting a connection, SQLAlchemy's own verdicts on the
connection, the pool's timeout, and the operating system's socket errors beneath them.
"""

from __future__ import annotations

import errno
import socket

from sqlalchemy import exc as sa

# SQLSTATE class 08 (connection exception) and 57P01-57P03 (admin or crash shutdown, cannot connect now).
OUTAGE_SQLSTATES = ("08", "57P01", "57P02", "57P03")
CONNECT_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EPIPE})
# The exception types an outage surfaces as, for handlers keyed by type (is_outage decides within them).
OUTAGE_TYPES: tuple[type[Exception], ...] = (sa.DBAPIError, sa.TimeoutError, sa.DisconnectionError, OSError)
# What a 503 asks clients to wait before trying again: short, since most outages are a restart.
RETRY_AFTER_SECONDS = 5


def is_outage(error: BaseException) -> bool:
    """True if `error`, or anything it was raised from, says the database connection was lost or not had."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if _says_outage(current):
            return True
        origin = current.orig if isinstance(current, sa.DBAPIError) else None
        pending += [current.__cause__, current.__context__, origin if isinstance(origin, BaseException) else None]
    return False


def _says_outage(error: BaseException) -> bool:
    if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa.TimeoutError | sa.OperationalError | sa.InterfaceError | sa.DisconnectionError):
        return True  # the pool's timeout; the driver's connection-level failures; a connection found dead
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(OUTAGE_SQLSTATES):
        return True
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return True  # refused, reset, aborted, a connect timeout, an unresolvable host
    if isinstance(error, OSError):
        # asyncpg trying several addresses raises a plain OSError("Multiple exceptions: [Errno 111] Connect ...").
        return error.errno in CONNECT_ERRNOS or "Connect call failed" in str(error)
    return type(error).__name__ == "ConnectionDoesNotExistError"  # asyncpg: "connection was closed in the middle"
