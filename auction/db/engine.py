"""Engines and sessions for both supported databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool


def make_engine(url: str, *, pool: bool = True, read_only: bool = False) -> AsyncEngine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout so it behaves like a server.

    ``read_only``: every transaction refuses to write (the replica's reads: whatever database the URL names, a
    write sent there by mistake fails instead of landing beside the primary's data).
    """
    options: dict[str, Any] = {}
    if not pool:
        options["poolclass"] = NullPool
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    elif read_only:
        options["connect_args"] = {"server_settings": {"default_transaction_read_only": "on"}}
    engine = create_async_engine(url, **options)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_query_only if read_only else _sqlite_pragmas)
        if not read_only:
            event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    elif pool:
        event.listen(engine.sync_engine.pool, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Hand out no pooled connection the server has closed (a restart, a crash, a terminated backend).

    Instead of ``pool_pre_ping``, which costs every checkout three round trips (asyncpg's ping is BEGIN, an
    empty query, ROLLBACK) — on a light request more than its own SQL. A server that goes away closes its
    sockets, and asyncpg, which keeps reading every pooled connection, marks the connection closed as soon as
    the event loop sees it: this check sends nothing. Raising DisconnectionError makes the pool drop the
    connection and check out another (a new one if need be). What it cannot see (a close not yet read, a
    silent network) fails the request's first statement: SQLAlchemy then invalidates the whole pool, and the
    request is answered 503 with Retry-After like any outage (auction.db.outage).
    """
    driver = record.driver_connection
    if driver is not None and driver.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, _record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # SQLite ignores SELECT ... FOR UPDATE. Taking the write lock when a transaction begins makes every
    # transaction serializable, which is what the row locks give us on PostgreSQL.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself instead of the driver's implicit, deferred one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on ``url`` for one CLI command or script; the engine is disposed when it ends."""
    engine = make_engine(url)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work for CLI commands and background jobs: commit on success, roll back on error."""
    async with sessions() as session, session.begin():
        yield session
