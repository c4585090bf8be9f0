"""Idle cost: what the background jobs of a site with 100,000 lots and no traffic cost PostgreSQL (issue 14, target 6).

A scratch database gets one real lot (through the services) cloned in bulk into a realistic mix: drafts, published
lots opening over the next month, running auctions closing over the next week, awarded lots (some awaiting the
winner's signature), failed and cancelled ones. Then ``auction serve`` (two workers, the background jobs as in
production) starts, settles, and for a window of no traffic we sum the CPU time (utime + stime, /proc/<pid>/stat) of
every PostgreSQL backend connected to the scratch database, and count its transactions per second. The baseline is
the same measurement before the server starts: PostgreSQL's own idle for that database (only the sampler). The
plans of the scheduler's due queries at this size go into the details.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from auction.clock import FrozenClock
from auction.db.engine import make_engine, make_sessionmaker
from bench.kit import BenchContext, Measurement, load_average, raw_url
from tests.kit.site import site_ledger_keys, start_site
from tests.kit.world import build_world

NAME = "idle"
LOTS, QUICK_LOTS = 100_000, 5_000
SETTLE_SECONDS, QUICK_SETTLE_SECONDS = 20.0, 8.0
WINDOW_SECONDS, QUICK_WINDOW_SECONDS = 30.0, 10.0
TARGET_CORES = 0.02
TICKS = os.sysconf("SC_CLK_TCK")

# The columns a clone takes from its template as they are; the schedule and state are set per clone.
SET_PER_CLONE = {"id", "state", "applications_close_at", "bidding_opens_at", "bidding_closes_at", "published_at"}

# Out of every 20 lots: 2 drafts, 6 published, 4 bidding, 3 awarded and signed, 1 awarded awaiting its signature,
# 2 failed, 2 cancelled.
CLONE = """
INSERT INTO lots ({columns}, state, applications_close_at, bidding_opens_at, bidding_closes_at, published_at)
SELECT {columns},
       CASE WHEN g % 20 < 2 THEN 'draft' WHEN g % 20 < 8 THEN 'published' WHEN g % 20 < 12 THEN 'bidding'
            WHEN g % 20 < 16 THEN 'awarded' WHEN g % 20 < 18 THEN 'failed' ELSE 'cancelled' END,
       s.opens - interval '1 day', s.opens, s.opens + interval '3 hours',
       CASE WHEN g % 20 < 2 THEN NULL ELSE $2::timestamptz - interval '40 days' END
FROM lots t, generate_series(1, $1::int) AS g,
     LATERAL (SELECT CASE
         WHEN g % 20 < 8 THEN $2::timestamptz + interval '1 hour' + (g * 37 % 2592000) * interval '1 second'
         WHEN g % 20 < 12 THEN $2::timestamptz - interval '1 hour'
         ELSE $2::timestamptz - interval '10 days' - (g % 300) * interval '1 day' END AS opens) AS s
WHERE t.id = $3
"""
CLOCKS = """
INSERT INTO auction_clocks (lot_id, opened_at, closes_at, latest_close, current_price, bid_count, closed_at)
SELECT id, bidding_opens_at,
       CASE WHEN state = 'bidding' THEN $1::timestamptz + interval '1 day' + (id * 53 % 604800) * interval '1 second'
            ELSE bidding_closes_at END,
       bidding_closes_at + interval '1 day', starting_price, 0,
       CASE WHEN state = 'bidding' THEN NULL ELSE bidding_closes_at END
FROM lots WHERE id > $2 AND state IN ('bidding', 'awarded', 'failed')
"""
AWARDS = """
INSERT INTO awards (lot_id, rank, bidder_id, pseudonym, price, status, sign_deadline, decided_at)
SELECT id, 1, $2, 'bidder-' || id, starting_price,
       CASE WHEN id % 20 = 15 THEN 'awaiting_signature' ELSE 'signed' END,
       CASE WHEN id % 20 = 15 THEN $1::timestamptz + interval '5 days' ELSE bidding_closes_at + interval '5 days' END,
       bidding_closes_at
FROM lots WHERE id > $3 AND state = 'awarded'
"""
# The scheduler's due queries as it asks them (auction.bidding.scheduler), for their plans at this size.
DUE_QUERIES = {
    "openings": "SELECT id FROM lots WHERE state = 'published' AND bidding_opens_at <= now()",
    "closes": "SELECT lot_id FROM auction_clocks WHERE closed_at IS NULL AND closes_at <= now()",
    "sealed waiting": "SELECT c.lot_id FROM commission_ceremonies c JOIN lots l ON l.id = c.lot_id "
    "WHERE l.state = 'closed' AND c.discarded_at IS NULL AND c.opened_at IS NULL",
    "run-offs": "SELECT c.lot_id FROM auction_clocks c JOIN lots l ON l.id = c.lot_id "
    "WHERE l.state = 'closed' AND c.runoff_closes_at <= now()",
    "expiries": "SELECT lot_id FROM awards WHERE status = 'awaiting_signature' AND sign_deadline <= now()",
    "next due": "SELECT (SELECT bidding_opens_at FROM lots WHERE state = 'published' ORDER BY bidding_opens_at "
    "LIMIT 1), (SELECT c.closes_at FROM auction_clocks c JOIN lots l ON l.id = c.lot_id WHERE c.closed_at IS NULL "
    "AND l.state = 'bidding' ORDER BY c.closes_at LIMIT 1), (SELECT sign_deadline FROM awards "
    "WHERE status = 'awaiting_signature' ORDER BY sign_deadline LIMIT 1)",
}


async def seed(url: str, home: Path, lots: int) -> None:
    """One real lot through the services, then ``lots`` clones of it in bulk, with their clocks and awards."""
    engine = make_engine(url)
    try:
        world = await build_world(make_sessionmaker(engine), FrozenClock(datetime.now(UTC)), site_ledger_keys(home))
        template = await world.lot("published")
        bidder = world.user_ids["bidder"]
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(raw_url(url))
    try:
        names = await connection.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'lots' ORDER BY ordinal_position"
        )
        columns = ", ".join(row["column_name"] for row in names if row["column_name"] not in SET_PER_CLONE)
        now = datetime.now(UTC)
        await connection.execute(CLONE.format(columns=columns), lots, now, template)
        await connection.execute(CLOCKS, now, template)
        await connection.execute(AWARDS, now, bidder, template)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def plans(url: str) -> dict[str, dict[str, Any]]:
    """Each due query's top plan node, the indexes it uses and its execution time, at this size."""
    connection = await asyncpg.connect(raw_url(url))
    found: dict[str, dict[str, Any]] = {}
    try:
        for name, query in DUE_QUERIES.items():
            plan = await connection.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}")
            root = json.loads(plan)[0]
            found[name] = {
                "node": root["Plan"]["Node Type"],
                "indexes": sorted(set(_indexes(root["Plan"]))),
                "ms": root["Execution Time"],
            }
    finally:
        await connection.close()
    return found


def _indexes(node: dict[str, Any]) -> list[str]:
    own = [node["Index Name"]] if "Index Name" in node else []
    return own + [name for child in node.get("Plans", []) for name in _indexes(child)]


def cpu_seconds(pid: int) -> float | None:
    """A process's CPU time so far (user + system); None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14 and 15 of stat


async def idle_cost(url: str, database: str, seconds: float) -> tuple[float, float, int]:
    """PostgreSQL cores spent by the backends of ``database`` (the sampler's own excluded) over ``seconds``, its
    transactions per second, and the most backends seen. Backends that start mid-window count from zero."""
    connection = await asyncpg.connect(raw_url(url))
    try:
        own = await connection.fetchval("SELECT pg_backend_pid()")
        pid_query = "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> $2"
        xact_query = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1"
        first: dict[int, float] = {}
        last: dict[int, float] = {}
        started = True
        most = 0
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        xacts_before = await connection.fetchval(xact_query, database)
        begun = time.monotonic()
        while True:
            pids = [row["pid"] for row in await connection.fetch(pid_query, database, own)]
            most = max(most, len(pids))
            for pid in pids:
                used = cpu_seconds(pid)
                if used is None:
                    continue
                first.setdefault(pid, used if started else 0.0)
                last[pid] = used
            started = False
            if time.monotonic() - begun >= seconds:
                break
            await asyncio.sleep(1.0)
        elapsed = time.monotonic() - begun
        # Statistics reach pg_stat_database when a backend's transaction ends (at most ~1 s late): read afresh.
        await asyncio.sleep(1.0)
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        xacts_after = await connection.fetchval(xact_query, database)
    finally:
        await connection.close()
    cpu = sum(last[pid] - first[pid] for pid in last)
    # The sampler's own queries are transactions too: one per pid list, one per xact read.
    xacts = max(0, xacts_after - xacts_before - int(elapsed) - 3)
    return cpu / elapsed, xacts / elapsed, most


async def run(ctx: BenchContext) -> list[Measurement]:
    lots = QUICK_LOTS if ctx.quick else LOTS
    settle = QUICK_SETTLE_SECONDS if ctx.quick else SETTLE_SECONDS
    window = QUICK_WINDOW_SECONDS if ctx.quick else WINDOW_SECONDS
    home = ctx.workdir / "idle"
    home.mkdir(parents=True, exist_ok=True)
    async with ctx.database("idle") as url:
        database = url.rsplit("/", 1)[1]
        seeding = time.monotonic()
        await seed(url, home / "data", lots)
        seeded_in = time.monotonic() - seeding
        due_plans = await plans(url)
        quiet_cores, quiet_xacts, _ = await idle_cost(url, database, window)
        site = await asyncio.to_thread(
            start_site, url, home, {"ACHYK_LOG_LEVEL": "WARNING"}, workers=2, startup_seconds=180
        )
        try:
            await asyncio.sleep(settle)
            cores, xacts, backends = await idle_cost(url, database, window)
        finally:
            await asyncio.to_thread(site.stop)
    details = {
        "lots": lots,
        "window_seconds": window,
        "workers": 2,
        "transactions_per_second": round(xacts, 2),
        "baseline_transactions_per_second": round(quiet_xacts, 2),
        "backends": backends,
        "seeded_in_seconds": round(seeded_in, 1),
        "due_query_plans": due_plans,
        "load_average": load_average(),
    }
    return [
        Measurement(
            NAME,
            "PostgreSQL cores while idle",
            "cores",
            round(cores, 5),
            baseline=round(quiet_cores, 5),
            baseline_name="the same database with no app running",
            absolute_at_most=TARGET_CORES,
            details=details,
        )
    ]
