"""Live updates across hosts (issue 14, "Beyond one machine"): two real ``auction serve`` processes on one PostgreSQL
database; a watcher's stream on host B is told of bids placed through host A by the database's NOTIFY (the streams
no longer poll, so nothing else could tell it). Cutting the listening connections (pg_terminate_backend) loses no
later change: each host connects again and reads its watched lots once more, since notifications sent meanwhile
are gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock, SystemClock
from auction.db.listener import APPLICATION_NAME
from tests.kit.site import SiteAuction, site_ledger_keys
from tests.kit.world import World, build_world
from tests.reliability.test_two_hosts import ahead, start_hosts

pytestmark = [pytest.mark.postgres, pytest.mark.own_database]

# Generous: a deadline only bounds how long a wait may last for what must happen, it asserts no speed.
DEADLINE = 60.0
State = dict[str, Any]


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("hosts share a PostgreSQL database; the embedded one belongs to one host and polls")


class Stream:
    """A watcher of the lot's API stream: every "state" event it received, in order."""

    def __init__(self) -> None:
        self.states: list[State] = []
        self.arrived = asyncio.Event()

    async def until(self, wanted: Callable[[State], bool], what: str) -> State:
        deadline = time.monotonic() + DEADLINE
        while True:
            for state in self.states:
                if wanted(state):
                    return state
            self.arrived.clear()
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"the watcher never saw {what}: {self.states}"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), remaining)


@contextlib.asynccontextmanager
async def watching(api: httpx.AsyncClient, lot_id: int) -> AsyncIterator[Stream]:
    stream = Stream()

    async def read() -> None:
        async with api.stream("GET", f"/api/v1/lots/{lot_id}/stream", timeout=None) as answer:
            assert answer.status_code == 200
            async for line in answer.aiter_lines():
                if line.startswith("data:"):
                    stream.states.append(json.loads(line.removeprefix("data:").strip()))
                    stream.arrived.set()

    reader = asyncio.create_task(read())
    try:
        yield stream
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


async def listeners(sessions: async_sessionmaker[AsyncSession], *, terminate: bool = False) -> int:
    """How many app processes LISTEN on this database (terminating their connections, if told to)."""
    listed = "pg_terminate_backend(pid)" if terminate else "pid"
    async with sessions() as session:
        rows = await session.execute(
            text(
                f"SELECT {listed} FROM pg_stat_activity WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": APPLICATION_NAME},
        )
        return len(rows.all())


async def until_listening(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    deadline = time.monotonic() + DEADLINE
    while await listeners(sessions) < count:
        assert time.monotonic() < deadline, "the hosts did not LISTEN again"
        await asyncio.sleep(0.2)


async def test_a_bid_through_one_host_reaches_a_watcher_on_the_other_even_after_the_listeners_were_cut(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    world: World = await build_world(sessions, FrozenClock(SystemClock().now()), site_ledger_keys(tmp_path / "data"))
    hosts = await start_hosts(database_url, tmp_path, 2, {})
    try:
        async with (
            httpx.AsyncClient(base_url=hosts[0].url, timeout=30) as api_a,
            httpx.AsyncClient(base_url=hosts[1].url, timeout=30) as api_b,
        ):
            on_a = SiteAuction(api_a, world)
            await on_a.create(applications_close_at=ahead(8), bidding_opens_at=ahead(9), bidding_closes_at=ahead(600))
            await on_a.admit("bidder")
            await on_a.admit("bidder2")
            await until_listening(sessions, 2)
            async with watching(api_b, on_a.lot_id) as on_b:
                # The lot opens on the scheduler's change of its row: that too reaches B through the database.
                await on_b.until(lambda state: state["state"] == "bidding", "the lot open")
                first = await on_a.bid("bidder")
                assert first.status_code == 201, first.text
                await on_b.until(lambda state: state.get("bid_count") == 1, "the first bid")

                # Both hosts lose their LISTEN connection; the bid placed right after is sent while they may not
                # listen: host B must read its watched lot again once it is back.
                assert await listeners(sessions, terminate=True) == 2
                second = await on_a.bid("bidder2")
                assert second.status_code == 201, second.text
                seen = await on_b.until(lambda state: state.get("bid_count") == 2, "the bid made during the cut")
                assert seen["leader"] is not None

                # And it listens again: a later bid arrives by its notification.
                await until_listening(sessions, 2)
                third = await on_a.bid("bidder")
                assert third.status_code == 201, third.text
                await on_b.until(lambda state: state.get("bid_count") == 3, "the bid after the cut")
            # Each change once: a notification or a reconnection that changed nothing pushes nothing.
            changes = [{k: v for k, v in state.items() if k != "server_time"} for state in on_b.states]
            assert all(before != after for before, after in itertools.pairwise(changes)), changes
    finally:
        for host in hosts:
            await asyncio.to_thread(host.stop)
