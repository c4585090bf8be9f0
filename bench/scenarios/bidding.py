"""Bidding at the closing minute (issue 14, targets 1 and 2): API bidders against ``auction serve --workers 2``,
beside the database's own limit measured in the same run on the same scratch database.

Raw baselines (run before the site starts, so nothing else touches the database):
- pgbench with the bid's shape (UPDATE one row + INSERT one row in a transaction), 32 clients: one hot row, and
  spread over 100 and 200 rows;
- a plain asyncpg client running the bidding protocol on one row (read the price, compare-and-set price + step with
  a guarded UPDATE ... RETURNING, insert the bid): 64 bidders sharing 32 connections (the server's two workers
  hold at most 30; the database allows 100 for every user of this shared machine).

Achyk: 64 API bidders on one open ascending lot (signed statements, idempotency keys, reading the price again after
a "too low"), then 64 on 200 lots (16 groups of 4 bidders, each group on its own 1/16 of the lots). CPU per attempt
counts the server's processes and the database's backends for the scratch database, from /proc; per-worker CPU
says whether both workers shared the load (the server counts no requests per worker).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bench.bidders import (
    STARTUP_SECONDS,
    ApiBidder,
    CpuWatch,
    Pgbench,
    Tally,
    api_bidders,
    backends_of,
    bidding_load,
    database_name,
    descendants,
    open_floor,
    pgbench,
    raw_protocol,
    raw_tables,
)
from bench.kit import BenchContext, Measurement
from tests.kit.site import start_site

NAME = "bidding"
BIDDERS = 64
PGBENCH_CLIENTS = 32
RAW_CONNECTIONS = 32
GROUPS = 16  # the many-lots load: 16 groups of 4 bidders, each on its own lots
HOT_ATTEMPTS_TARGET = 0.5
HOT_ACCEPTED_TARGET = 0.8
ACK_P99_MS_TARGET = 100.0
SPREAD_TARGET = 0.5
# "Both workers share the load": no worker does more than this share of the workers' CPU (an even split is 0.5).
BUSIEST_WORKER_SHARE = 0.7


def say(what: str) -> None:
    print(f"   {NAME}: {what}", flush=True)


def sizes(quick: bool) -> dict[str, Any]:
    if quick:
        return {"lots": 16, "baseline_seconds": 2, "warmup": 2.0, "seconds": 4.0}
    return {"lots": 200, "baseline_seconds": 10, "warmup": 3.0, "seconds": 20.0}


async def run(ctx: BenchContext) -> list[Measurement]:
    size = sizes(ctx.quick)
    async with ctx.database("bidding") as url:
        directory = ctx.workdir / "bidding"
        directory.mkdir(parents=True, exist_ok=True)
        # The hot lot first, with every bidder; then the many lots, each with one group of 4 bidders.
        group = BIDDERS // GROUPS
        lots = [range(BIDDERS)] + [range(n % GROUPS * group, (n % GROUPS + 1) * group) for n in range(size["lots"])]
        floor = await open_floor(url, directory / "data", BIDDERS, lots)
        hot_lot, *spread_lots = floor.lots
        spread = {lot_id: floor.lots[lot_id] for lot_id in spread_lots}

        say(f"{len(floor.lots)} open lots, {BIDDERS} bidders; raw baselines")
        await raw_tables(url)
        work = ctx.workdir
        seconds = size["baseline_seconds"]
        hot_row = await pgbench(url, ctx.admin_url, work, rows=1, clients=PGBENCH_CLIENTS, seconds=seconds)
        rows_100 = await pgbench(url, ctx.admin_url, work, rows=100, clients=PGBENCH_CLIENTS, seconds=seconds)
        rows_200 = await pgbench(url, ctx.admin_url, work, rows=200, clients=PGBENCH_CLIENTS, seconds=seconds)
        protocol = await raw_protocol(url, bidders=BIDDERS, connections=RAW_CONNECTIONS, seconds=seconds)

        say(
            f"pgbench {hot_row.tps:.0f} / {rows_100.tps:.0f} / {rows_200.tps:.0f} tps; asyncpg protocol "
            f"{protocol.per_second(protocol.accepted):.1f} accepted/s; starting auction serve --workers 2"
        )
        site = await asyncio.to_thread(start_site, url, directory, workers=2, startup_seconds=STARTUP_SECONDS)
        try:
            workers = _workers(site.process.pid)
            backends = backends_of(ctx.admin_url, database_name(url))
            async with api_bidders(floor.world, floor.bidders, site.url) as bidders:
                async with CpuWatch(lambda: workers) as hot_workers, CpuWatch(backends) as hot_db:
                    hot = await bidding_load(
                        bidders, lambda _: [hot_lot], warmup=size["warmup"], seconds=size["seconds"]
                    )
                say(f"hot lot: {hot.per_second(hot.attempts):.1f} attempts/s; now {len(spread)} lots")
                lots_of = _groups(bidders, spread)
                async with CpuWatch(lambda: workers) as spread_workers, CpuWatch(backends) as spread_db:
                    many = await bidding_load(bidders, lots_of, warmup=size["warmup"], seconds=size["seconds"])
        finally:
            await asyncio.to_thread(site.stop)
    return _measurements(
        len(spread),
        hot,
        many,
        protocol,
        hot_row,
        rows_100,
        rows_200,
        (hot_workers, hot_db),
        (spread_workers, spread_db),
    )


def _workers(server_pid: int) -> list[int]:
    """The app processes: the server's descendants that run Python (uvicorn's spawned workers)."""
    found = [pid for pid in descendants(server_pid) if _is_worker(pid)]
    return found or [server_pid]


def _is_worker(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    # uvicorn's workers are multiprocessing spawns; the resource tracker is another spawn that does no serving.
    return b"multiprocessing.spawn" in b" ".join(command) or any(b"spawn_main" in part for part in command)


def _groups(bidders: list[ApiBidder], spread: dict[int, tuple[str, ...]]) -> Any:
    lots_by_bidder: dict[str, list[int]] = {}
    for lot_id, approved in spread.items():
        for name in approved:
            lots_by_bidder.setdefault(name, []).append(lot_id)
    return lambda bidder: lots_by_bidder[bidder.name]


def _measurements(
    spread: int,
    hot: Tally,
    many: Tally,
    protocol: Tally,
    hot_row: Pgbench,
    rows_100: Pgbench,
    rows_200: Pgbench,
    hot_cpu: tuple[CpuWatch, CpuWatch],
    spread_cpu: tuple[CpuWatch, CpuWatch],
) -> list[Measurement]:
    hot_workers, hot_db = hot_cpu
    spread_workers, spread_db = spread_cpu
    spread_cpu_seconds = spread_workers.total() + spread_db.total()
    worker_cpu = spread_workers.by_pid()
    busiest = max(worker_cpu.values()) / sum(worker_cpu.values()) if sum(worker_cpu.values()) else float("nan")
    hot_cpu_seconds = hot_workers.total() + hot_db.total()
    server_ms_per_attempt = hot_cpu_seconds / hot.attempts * 1000 if hot.attempts else float("nan")
    pgbench_cpu = hot_row.cpu_ms_per_transaction
    hot_details = {
        "achyk": hot.summary(),
        "raw_protocol": protocol.summary(),
        "pgbench_hot_row": hot_row.summary(),
        "bidders": BIDDERS,
        "workers": 2,
    }
    return [
        Measurement(
            NAME,
            "hot lot, 64 bidders: attempts handled/s",
            "1/s",
            hot.per_second(hot.attempts),
            hot_row.tps,
            "pgbench one hot row, 32 clients",
            at_least=HOT_ATTEMPTS_TARGET,
            details=hot_details,
        ),
        Measurement(
            NAME,
            "hot lot, 64 bidders: accepted bids/s",
            "1/s",
            hot.per_second(hot.accepted),
            protocol.per_second(protocol.accepted),
            "asyncpg bidding protocol, 64 bidders",
            at_least=HOT_ACCEPTED_TARGET,
            details={
                "raw_protocol_attempts_per_s": protocol.per_second(protocol.attempts),
                "achyk_attempts_per_s": hot.per_second(hot.attempts),
            },
        ),
        Measurement(
            NAME,
            "hot lot, 64 bidders: ack p99",
            "ms",
            hot.summary()["ack_p99_ms"],
            protocol.summary()["ack_p99_ms"],
            "asyncpg bidding protocol p99",
            absolute_at_most=ACK_P99_MS_TARGET,
            details={"achyk_ack_p50_ms": hot.summary()["ack_p50_ms"]},
        ),
        Measurement(
            NAME,
            "hot lot, 64 bidders: ack p50",
            "ms",
            hot.summary()["ack_p50_ms"],
            protocol.summary()["ack_p50_ms"],
            "asyncpg bidding protocol p50",
        ),
        Measurement(
            NAME,
            f"{spread} lots, 64 clients: accepted bids/s",
            "1/s",
            many.per_second(many.accepted),
            rows_200.tps,
            "pgbench 200 rows, 32 clients",
            at_least=SPREAD_TARGET,
            details={
                "achyk": many.summary(),
                "pgbench_200_rows": rows_200.summary(),
                "pgbench_100_rows": rows_100.summary(),
                "worker_cpu_seconds": {str(pid): round(s, 2) for pid, s in worker_cpu.items()},
                "server_and_database_cpu_ms_per_attempt": (
                    spread_cpu_seconds / many.attempts * 1000 if many.attempts else None
                ),
            },
        ),
        Measurement(
            NAME,
            "many lots: busiest worker's share of the workers' CPU",
            "share",
            busiest,
            details={
                "worker_cpu_seconds": {str(pid): round(s, 2) for pid, s in worker_cpu.items()},
                "even_split": 0.5,
                "how": "ps-like CPU time of each uvicorn worker from /proc, before and after the many-lots load",
            },
            absolute_at_most=BUSIEST_WORKER_SHARE,
        ),
        Measurement(
            NAME,
            "hot lot: server + database CPU per attempt",
            "ms",
            server_ms_per_attempt,
            pgbench_cpu,
            "pgbench backends' CPU per transaction (hot row)",
            details={
                "worker_cpu_seconds": round(hot_workers.total(), 2),
                "database_backend_cpu_seconds": round(hot_db.total(), 2),
                "attempts": hot.attempts,
                "pgbench_100_rows_cpu_ms_per_transaction": round(rows_100.cpu_ms_per_transaction, 3),
                "pgbench_200_rows_cpu_ms_per_transaction": round(rows_200.cpu_ms_per_transaction, 3),
            },
        ),
    ]
