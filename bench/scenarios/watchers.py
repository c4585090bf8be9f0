"""1,000 watchers of one lot's live panel while it takes bids (issue 14, target 3), beside a raw LISTEN/NOTIFY
fan-out measured in the same run.

Achyk: ``auction serve --workers 2``; 1,000 SSE clients of the lot page's stream (``/lots/{id}/live``) held by two
client processes (bench/sse.py), while 8 API bidders bid on the lot (read the price, bid the minimum, a quarter of a
second between attempts: a hot closing minute, at a pace the watchers can be asked to follow). Every accepted bid
is a price change: each client should see every one; delivery latency is the event's arrival minus the bid's
acknowledgement at the bidder. The bidding is measured again without watchers (the throughput target compares the
two), and the database's transactions per second with and without the 1,000 idle watchers (pg_stat_database).

Raw: one process LISTENs on a channel and writes each NOTIFY payload, padded to the size of the site's events, to
1,000 SSE-like clients held the same way; a notifier sends the prices at the rate the lot's price changed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import asyncpg

from bench.bidders import STARTUP_SECONDS, Tally, api_bidders, bidding_load, database_name, open_floor
from bench.kit import BenchContext, Measurement, raw_url
from tests.kit.site import ROOT, start_site

NAME = "watchers"
WATCHERS = 1000
CLIENT_PROCESSES = 2
BIDDERS = 8
THINK_SECONDS = 0.25
CHANNEL = "achyk_bench_price"
DELIVERY_P99_TARGET = 1.5
THROUGHPUT_TARGET = 0.9
MIN_NOTIFY_RATE = 1.0


def say(what: str) -> None:
    print(f"   {NAME}: {what}", flush=True)


def sizes(quick: bool) -> dict[str, Any]:
    if quick:
        return {"watchers": 100, "warmup": 1.0, "seconds": 4.0, "idle": 2.0, "grace": 2.0}
    return {"watchers": WATCHERS, "warmup": 2.0, "seconds": 20.0, "idle": 5.0, "grace": 5.0}


class Watchers:
    """`count` SSE clients over `processes` child processes of bench/sse.py."""

    def __init__(self, port: int, path: str, count: int, processes: int = CLIENT_PROCESSES) -> None:
        self.port, self.path, self.count, self.processes = port, path, count, processes
        self.children: list[asyncio.subprocess.Process] = []
        self.connected: dict[str, Any] = {}

    async def __aenter__(self) -> Watchers:
        share = [self.count // self.processes + (1 if n < self.count % self.processes else 0) for n in range(2)]
        for clients in share[: self.processes]:
            child = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "bench.sse", "watch", "--port", str(self.port)),
                *("--path", self.path, "--clients", str(clients)),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                cwd=ROOT,
            )
            self.children.append(child)
        reports = [json.loads(await self._line(child)) for child in self.children]
        self.connected = {
            "connected": sum(r["connected"] for r in reports),
            "ready": sum(r["ready"] for r in reports),
            "failures": [r["failures"] for r in reports],
        }
        return self

    async def _line(self, child: asyncio.subprocess.Process) -> str:
        assert child.stdout is not None
        line = await child.stdout.readline()
        if not line:
            raise RuntimeError(f"an SSE client process ended early ({await child.wait()})")
        return line.decode()

    async def results(self, acks: dict[int, float]) -> dict[str, Any]:
        """Hand each client process the acknowledged prices; merge what they saw."""
        message = (json.dumps({"acks": list(acks.items())}) + "\n").encode()
        parts = []
        for child in self.children:
            assert child.stdin is not None
            child.stdin.write(message)
            await child.stdin.drain()
        for child in self.children:
            parts.append(json.loads(await self._line(child)))
        return merge(parts)

    async def __aexit__(self, *_: object) -> None:
        for child in self.children:
            if child.returncode is None:
                child.kill()
            await child.wait()


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The client processes' summaries as one: sums, minima, and percentiles weighted by delivered events (the
    processes hold equal halves, so the weighted mean of their percentiles is close to the whole's)."""
    delivered: int = sum(p["delivered"] for p in parts)
    clients = sum(p["clients"] for p in parts) or 1

    def weighted(key: str) -> float:
        if not delivered:
            return float("nan")
        return float(sum(p[key] * p["delivered"] for p in parts if p["delivered"])) / delivered

    return {
        "clients": sum(p["clients"] for p in parts),
        "changes": max(p["changes"] for p in parts),
        "distinct_prices_seen": max(p["distinct_prices_seen"] for p in parts),
        "all_seen_clients": sum(p["all_seen_clients"] for p in parts),
        "seen_fraction_mean": sum(p["seen_fraction_mean"] * p["clients"] for p in parts) / clients,
        "seen_fraction_min": min(p["seen_fraction_min"] for p in parts),
        "dropped_streams": sum(p["dropped_streams"] for p in parts),
        "clients_dropped": sum(p["clients_dropped"] for p in parts),
        "not_ok": sum(p["not_ok"] for p in parts),
        "delivered": sum(p["delivered"] for p in parts),
        "latency_p50_ms": weighted("latency_p50_ms"),
        "latency_p99_ms": max(p["latency_p99_ms"] for p in parts),
        "latency_max_ms": max(p["latency_max_ms"] for p in parts),
        "bytes_per_price": weighted("bytes_per_price"),
        "client_cpu_seconds": [p["client_cpu_seconds"] for p in parts],
    }


async def transactions(admin_url: str, database: str) -> int:
    connection = await asyncpg.connect(admin_url)
    try:
        value = await connection.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", database
        )
    finally:
        await connection.close()
    return int(value or 0)


async def transactions_per_second(admin_url: str, database: str, seconds: float) -> float:
    """The database's transactions per second over `seconds` (statistics reach pg_stat_database within a second:
    the window is widened by one second on each side and the rate taken over the middle)."""
    await asyncio.sleep(1.0)
    before = await transactions(admin_url, database)
    started = time.monotonic()
    await asyncio.sleep(seconds)
    after = await transactions(admin_url, database)
    return float(after - before) / (time.monotonic() - started)


async def run(ctx: BenchContext) -> list[Measurement]:
    size = sizes(ctx.quick)
    async with ctx.database("watchers") as url:
        directory = ctx.workdir / "watchers"
        directory.mkdir(parents=True, exist_ok=True)
        floor = await open_floor(url, directory / "data", BIDDERS, [range(BIDDERS)])
        (lot_id,) = floor.lots
        database = database_name(url)
        say("lot open; starting auction serve --workers 2")
        site = await asyncio.to_thread(start_site, url, directory, workers=2, startup_seconds=STARTUP_SECONDS)
        try:
            port = int(site.url.rsplit(":", 1)[1])
            path = f"/lots/{lot_id}/live?view=public&shown=bidding&language=en"
            async with api_bidders(floor.world, floor.bidders, site.url) as bidders:

                async def bidding() -> Tally:
                    return await bidding_load(
                        bidders,
                        lambda _: [lot_id],
                        warmup=size["warmup"],
                        seconds=size["seconds"],
                        think_seconds=THINK_SECONDS,
                    )

                idle_alone = await transactions_per_second(ctx.admin_url, database, size["idle"])
                alone = await bidding()
                say(f"alone: {alone.per_second(alone.accepted):.1f} accepted/s; connecting {size['watchers']} watchers")
                async with Watchers(port, path, size["watchers"]) as crowd:
                    say(f"watchers: {crowd.connected}")
                    idle_watched = await transactions_per_second(ctx.admin_url, database, size["idle"])
                    watched = await bidding()
                    await asyncio.sleep(size["grace"])
                    achyk = await crowd.results({amount: at for _, amount, at in watched.acknowledged})
                    achyk["connected"] = crowd.connected
                    # What the server said meanwhile (workers replaced, errors), for dropped streams.
                    achyk["server_log_tail"] = site.tail()[-1500:]
        finally:
            await asyncio.to_thread(site.stop)

        # The raw fan-out is sent the prices at the rate the lot's price changed (at least one a second, so that it
        # is measured even when the site accepted next to nothing).
        rate = watched.per_second(watched.accepted)
        say(f"achyk: {achyk['changes']} price changes, p99 {achyk['latency_p99_ms']:.0f} ms; raw fan-out next")
        raw = await raw_fanout(url, size, max(rate, MIN_NOTIFY_RATE), achyk["bytes_per_price"])
    return measurements(size, achyk, raw, alone, watched, idle_alone, idle_watched, rate)


async def raw_fanout(url: str, size: dict[str, Any], rate: float, event_bytes: float) -> dict[str, Any]:
    """The raw baseline: the fan-out process, the same clients, NOTIFYs at `rate` per second for the same time."""
    fan = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bench.sse", "fanout", "--dsn", raw_url(url), "--channel", CHANNEL),
        *("--event-bytes", str(int(event_bytes) if event_bytes == event_bytes else 1500)),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert fan.stdout is not None
        port = int(json.loads(await fan.stdout.readline())["port"])
        async with Watchers(port, "/live", size["watchers"]) as crowd:
            notifier = await asyncpg.connect(raw_url(url))
            acks: dict[int, float] = {}
            try:
                interval = 1.0 / rate if rate > 0 else size["seconds"]
                started = time.monotonic()
                price = 0
                while time.monotonic() - started < size["seconds"]:
                    price += 1
                    await notifier.execute(f"NOTIFY {CHANNEL}, '{price}'")
                    acks[price] = time.monotonic()
                    await asyncio.sleep(max(0.0, started + price * interval - time.monotonic()))
            finally:
                await notifier.close()
            await asyncio.sleep(size["grace"])
            raw = await crowd.results(acks)
            raw["connected"] = crowd.connected
            raw["notify_rate_per_s"] = round(rate, 2)
            return raw
    finally:
        assert fan.stdin is not None
        fan.stdin.close()
        try:
            await asyncio.wait_for(fan.wait(), 10)
        except TimeoutError:
            fan.kill()
            await fan.wait()


def measurements(
    size: dict[str, Any],
    achyk: dict[str, Any],
    raw: dict[str, Any],
    alone: Tally,
    watched: Tally,
    idle_alone: float,
    idle_watched: float,
    rate: float,
) -> list[Measurement]:
    watchers = size["watchers"]
    common = {"watchers": watchers, "bidders": BIDDERS, "think_seconds": THINK_SECONDS, "price_changes_per_s": rate}
    return [
        Measurement(
            NAME,
            f"{watchers} watchers: delivery p99 (ack to event)",
            "ms",
            achyk["latency_p99_ms"],
            raw["latency_p99_ms"],
            "LISTEN/NOTIFY fan-out process p99",
            at_most=DELIVERY_P99_TARGET,
            details={"achyk": achyk, "raw": raw, **common},
        ),
        Measurement(
            NAME,
            f"{watchers} watchers: delivery p50 (ack to event)",
            "ms",
            achyk["latency_p50_ms"],
            raw["latency_p50_ms"],
            "LISTEN/NOTIFY fan-out process p50",
        ),
        Measurement(
            NAME,
            f"{watchers} watchers: clients that saw every price change",
            "share",
            achyk["all_seen_clients"] / max(1, achyk["clients"]),
            raw["all_seen_clients"] / max(1, raw["clients"]),
            "LISTEN/NOTIFY fan-out process",
            absolute_at_least=1.0,
            details={
                "achyk_seen_fraction_mean": achyk["seen_fraction_mean"],
                "achyk_seen_fraction_min": achyk["seen_fraction_min"],
                "raw_seen_fraction_mean": raw["seen_fraction_mean"],
                "raw_seen_fraction_min": raw["seen_fraction_min"],
                "changes": achyk["changes"],
            },
        ),
        Measurement(
            NAME,
            f"{watchers} idle watchers: database transactions/s added",
            "1/s",
            idle_watched - idle_alone,
            details={"without_watchers": round(idle_alone, 1), "with_watchers": round(idle_watched, 1)},
        ),
        Measurement(
            NAME,
            f"bidding with {watchers} watchers: accepted bids/s",
            "1/s",
            watched.per_second(watched.accepted),
            alone.per_second(alone.accepted),
            "the same bidders without watchers",
            at_least=THROUGHPUT_TARGET,
            details={"with_watchers": watched.summary(), "without_watchers": alone.summary(), **common},
        ),
    ]
