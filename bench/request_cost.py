"""Where a light request's time goes, in-process (issue 14): the app over a scratch PostgreSQL database with a few
lots, bids and checkpoints, called through httpx's ASGI transport on this very event loop (no HTTP server, no
network), and a count of the statements and pool checkouts each request costs.

Not Litestar's AsyncTestClient: it runs the app on another thread and every request pays two thread hops (~5-10 ms
on a loaded 2-core machine), which is most of what an in-process timing of a light route would then show.

    .venv/bin/python -m bench.request_cost [--requests 300] [--profile DIR]

Prints, per route, ms per request (median of three rounds) and statements / checkouts per request; with
``--profile`` a cProfile of every route is written to DIR (read with ``python -m pstats`` or snakeviz).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from auction.clock import FrozenClock
from auction.db.engine import make_engine, make_sessionmaker
from auction.db.migrate import upgrade
from auction.settings import Settings
from bench.kit import ADMIN_URL, SCRATCH_PREFIX, load_average
from tests.kit.drive import Drive
from tests.kit.world import build_world
from web.app import create_app

START = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


class Counter:
    """Statements sent and connections checked out of the pool, on one engine."""

    def __init__(self) -> None:
        self.statements = 0
        self.checkouts = 0

    def attach(self, sync_engine: Any) -> None:
        def on_statement(*_: Any) -> None:
            self.statements += 1

        def on_checkout(*_: Any) -> None:
            self.checkouts += 1

        event.listen(sync_engine, "before_cursor_execute", on_statement)
        event.listen(sync_engine.pool, "checkout", on_checkout)


async def _populate(url: str, settings: Settings, clock: FrozenClock) -> tuple[int, int]:
    """A few open lots with bids, every entry integrated under a signed checkpoint; (a lot id, an entry index)."""
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        world = await build_world(sessions, clock, settings.ledger_keys())
        drive = Drive(world)
        lots = [await world.lot("applications") for _ in range(6)]
        for lot_id in lots[:3]:
            await drive.open(lot_id)
            for step in range(1, 4):
                await drive.bid(lot_id, "bidder" if step % 2 else "bidder2", 1_000_000_00 + step * 10_000_00)
        await drive.integrate()
        return lots[0], 3
    finally:
        await engine.dispose()


async def _time_route(
    client: httpx.AsyncClient, counter: Counter, path: str, requests: int, profile: Path | None
) -> dict[str, float]:
    for _ in range(20):  # warm caches (templates, routes, prepared statements)
        answer = await client.get(path)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    rounds = []
    cpu = []
    statements = checkouts = 0
    profiler = cProfile.Profile() if profile is not None else None
    for _ in range(3):
        counter.statements = counter.checkouts = 0
        if profiler is not None:
            profiler.enable()
        started, started_cpu = time.perf_counter(), time.process_time()
        for _ in range(requests):
            await client.get(path)
        rounds.append((time.perf_counter() - started) * 1000 / requests)
        # This process's CPU (client included), which a loaded machine's waits do not inflate as they do wall time.
        cpu.append((time.process_time() - started_cpu) * 1000 / requests)
        if profiler is not None:
            profiler.disable()
        statements, checkouts = counter.statements, counter.checkouts
    if profiler is not None and profile is not None:
        name = path.strip("/").replace("/", "_").split("?")[0] or "root"
        profiler.dump_stats(profile / f"{name}.prof")
    return {
        "ms": statistics.median(rounds),
        "cpu_ms": statistics.median(cpu),
        "statements": statements / requests,
        "checkouts": checkouts / requests,
    }


async def main(requests: int, profile: Path | None) -> None:
    name = f"{SCRATCH_PREFIX}rc_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        clock = FrozenClock(START)
        settings = Settings(
            DATABASE_URL=url,
            data_dir=Path(tempfile.mkdtemp()) / "data",
            secret_key="bench-secret-key-with-enough-length-0123456789",
            ledger_origin="bench.achyk.kg/ledger",
            ledger_signing_key=base64.b64encode(b"s" * 32).decode(),
            ledger_pseudonym_key=base64.b64encode(b"p" * 32).decode(),
            run_background_jobs=False,
        )
        lot_id, index = await _populate(url, settings, clock)
        routes: list[tuple[str, str]] = [
            ("ledger inclusion proof", f"/api/v1/ledger/proof/inclusion?index={index}"),
            ("ledger key (no SQL)", "/api/v1/ledger/key"),
            ("catalog API", "/api/v1/lots"),
            ("lot page", f"/lots/{lot_id}"),
            ("catalog page", "/"),
        ]
        counter = Counter()
        app = create_app(settings, clock)
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # Litestar's scope types are narrower
        async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
            counter.attach(app.state.engine.sync_engine)
            print(f"load average {load_average()}; {requests} requests a round, median of 3 rounds")
            for label, path in routes:
                figures = await _time_route(client, counter, path, requests, profile)
                print(
                    f"{label:24} {figures['ms']:7.2f} ms/request {figures['cpu_ms']:6.2f} CPU ms"
                    f"  {figures['statements']:5.1f} statements"
                    f"  {figures['checkouts']:4.1f} checkouts   {path}"
                )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", type=Path, default=None)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = _arguments()
    if arguments.profile is not None:
        arguments.profile.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(arguments.requests, arguments.profile))
