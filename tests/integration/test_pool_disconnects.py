"""The pool hands out no connection the server has closed, without pinging each checkout (auction.db.engine)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text

from auction.db.engine import make_engine

pytestmark = [pytest.mark.postgres, pytest.mark.own_database]


async def terminate_backend(url: str, engine_pid: int) -> None:
    """Terminate one backend as a restart or a crash would, and wait until it is gone."""
    admin = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", engine_pid)
        for _ in range(500):  # bounds the wait only
            if not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", engine_pid):
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"backend {engine_pid} still there")
    finally:
        await admin.close()


async def test_a_connection_the_server_closed_is_replaced_at_checkout(backend: str, database_url: str) -> None:
    if backend != "postgres":
        pytest.skip("a PostgreSQL server's connections")
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            first = await connection.scalar(text("SELECT pg_backend_pid()"))
        await terminate_backend(database_url, first)
        # The event loop reads the closed socket of the idle pooled connection (asyncpg keeps reading it).
        for _ in range(50):
            await asyncio.sleep(0.01)
        # Without a check at checkout this statement fails on the dead connection (and the request with it).
        async with engine.connect() as connection:
            second = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        await engine.dispose()
