"""Benchmark: how long after its acknowledgement a bid is covered by a witness-quorum checkpoint (not a test).

    .venv/bin/python bench/witness_latency.py [--lots 10] [--bursts 10] [--last-second-bursts 10] [--grace 10]
                                              [--refresh 30] [--timeout 2] [--stalled 0]

Runs the deployment: three ``achyk-witness serve`` processes and ``auction serve`` (quorum 2, the given grace,
refresh and per-witness timeout; the integrator and the cosigner in the server's background jobs as in production)
on loopback over a scratch PostgreSQL database. ``--lots`` open ascending lots each get two approved bidders; then
``--bursts`` bursts of one bid per lot, all at once, a second apart, well before the close, and after a quiet
minute ``--last-second-bursts`` more from two seconds before the scheduled close on (the soft close keeps the lots
open). Every bid goes through the API, signed. A poller reads ``GET /api/v1/ledger/checkpoint`` (the newest
checkpoint with a quorum) every 50 ms; a bid's witness latency is the first time a published checkpoint covers its
index minus the time its 2xx answer arrived. Reported: p50/p99/max for all bids and the last-second ones, the
ratio p99/grace, the acknowledgement latency (the POST alone) and the load average. ``--stalled 1`` freezes one witness
(SIGSTOP) while the bids flow, as a hung host or a network black hole would: the quorum is still there.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auction.clock import FrozenClock
from auction.db.engine import make_engine, make_sessionmaker
from auction.db.migrate import upgrade
from auction.ledger.verifier.note import Checkpoint
from tests.kit.site import DRILL_RULES, SiteAuction, log_vkey, served_site, site_ledger_keys
from tests.kit.witnesses import running_witness
from tests.kit.world import World, build_world

ADMIN_DSN = os.environ.get("ACHYK_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
WITNESSES = ("witness1.bench.kg", "witness2.bench.kg", "witness3.bench.kg")
POLL_SECONDS = 0.05


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Acknowledged:
    body_hash: str
    at: float  # time.time() when the 2xx answer arrived
    ack_seconds: float
    last_second: bool


class CheckpointWatch:
    """Polls the published (quorum-cosigned) checkpoint; remembers when each larger size was first seen."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.seen: list[tuple[float, int]] = []  # (time.time(), size), sizes increasing

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            answer = await self.api.get("/api/v1/ledger/checkpoint")
            if answer.status_code == 200:
                size = Checkpoint.from_note(answer.text).size
                if not self.seen or size > self.seen[-1][1]:
                    self.seen.append((time.time(), size))
            await asyncio.sleep(POLL_SECONDS)

    def covered_at(self, index: int) -> float | None:
        return next((at for at, size in self.seen if size > index), None)


async def lots_with_bidders(api: httpx.AsyncClient, world: World, count: int) -> tuple[list[SiteAuction], datetime]:
    """`count` open ascending lots with bidder and bidder2 approved, all opened; and their scheduled close."""
    now = datetime.now(UTC)
    opens, closes = now + timedelta(seconds=25), now + timedelta(seconds=100)
    # The bench runs whenever it is started, night or weekend, and publishes 25 s ahead: its municipality takes the
    # live-site kit's drill rules (no notice, every hour of every day), recorded in the ledger like any rules, as
    # bench/bidding_load.py takes its always-open ones. Under the default rules every lot would be refused.
    world.clock.set(now)
    await world.set_rules("tokmok", DRILL_RULES)
    world.drill = True
    auctions = []
    for _ in range(count):
        auction = SiteAuction(api, world)
        await auction.create(
            applications_close_at=(opens - timedelta(seconds=1)).isoformat(),
            bidding_opens_at=opens.isoformat(),
            bidding_closes_at=closes.isoformat(),
            soft_close_minutes=1,
            max_extension_minutes=60,
        )
        for who in ("bidder", "bidder2"):
            await auction.admit(who)
        auctions.append(auction)
    for auction in auctions:
        await auction.until_open(60)
    return auctions, closes


async def burst(auctions: list[SiteAuction], who: str, last_second: bool) -> list[Acknowledged]:
    """One bid on every lot at once (one per lot, so none outbids another in flight)."""

    async def one(auction: SiteAuction) -> Acknowledged | None:
        amount, signed = await auction.prepare_bid(who)
        started = time.perf_counter()
        answer = await auction.send_bid(who, amount, signed)
        if answer.status_code != 201:
            print(f"bid refused: {answer.status_code} {answer.text[:200]}", file=sys.stderr)
            return None
        return Acknowledged(answer.json()["body_hash"], time.time(), time.perf_counter() - started, last_second)

    return [a for a in await asyncio.gather(*(one(a) for a in auctions)) if a is not None]


async def indexes(api: httpx.AsyncClient) -> dict[str, int]:
    """Every integrated entry's index by body hash."""
    found: dict[str, int] = {}
    while page := (await api.get("/api/v1/ledger/entries", params={"start": len(found)})).json():
        found.update({entry["body_hash"]: entry["index"] for entry in page})
    return found


async def run(args: argparse.Namespace, url: str, home: Path) -> None:
    engine = make_engine(url)
    world = await build_world(make_sessionmaker(engine), FrozenClock(datetime.now(UTC)), site_ledger_keys(home))
    await engine.dispose()
    with ExitStack() as stack:
        witnesses = [stack.enter_context(running_witness(home, name, [log_vkey()])) for name in WITNESSES]
        settings = {
            "ACHYK_WITNESSES": "; ".join(f"{w.vkey} {w.url}" for w in witnesses),
            "ACHYK_WITNESS_QUORUM": "2",
            "ACHYK_WITNESS_GRACE_SECONDS": str(args.grace),
            "ACHYK_WITNESS_REFRESH_SECONDS": str(args.refresh),
            "ACHYK_WITNESS_TIMEOUT_SECONDS": str(args.timeout),
        }
        site = stack.enter_context(served_site(url, home, settings))
        async with httpx.AsyncClient(base_url=site.url, timeout=60) as api:
            auctions, closes = await lots_with_bidders(api, world, args.lots)
            frozen = witnesses[len(witnesses) - args.stalled :] if args.stalled else []
            for witness in frozen:
                witness.process.send_signal(signal.SIGSTOP)
            watch = CheckpointWatch(api)
            stop = asyncio.Event()
            watching = asyncio.create_task(watch.run(stop))
            acknowledged: list[Acknowledged] = []
            bidders = ("bidder", "bidder2")
            for number in range(args.bursts):
                acknowledged += await burst(auctions, bidders[number % 2], last_second=False)
                await asyncio.sleep(1)
            # Quiet until two seconds before the scheduled close, then bursts back to back.
            await asyncio.sleep(max(0.0, (closes - datetime.now(UTC)).total_seconds() - 2))
            for number in range(args.last_second_bursts):
                acknowledged += await burst(auctions, bidders[(args.bursts + number) % 2], last_second=True)
            # Wait until the last bid is covered (or give up after a generous minute).
            deadline = time.monotonic() + 60
            where = await indexes(api)
            while time.monotonic() < deadline:
                where = await indexes(api)
                last = max((where.get(a.body_hash, -1) for a in acknowledged), default=-1)
                if all(a.body_hash in where for a in acknowledged) and watch.covered_at(last) is not None:
                    break
                await asyncio.sleep(0.5)
            stop.set()
            await watching
            load = os.getloadavg()
            for witness in frozen:
                witness.process.send_signal(signal.SIGCONT)
    report(args, acknowledged, where, watch, load)


def report(
    args: argparse.Namespace,
    acknowledged: list[Acknowledged],
    where: dict[str, int],
    watch: CheckpointWatch,
    load: tuple[float, float, float],
) -> None:
    def latencies(group: list[Acknowledged]) -> tuple[list[float], int]:
        found, missing = [], 0
        for a in group:
            covered = watch.covered_at(where[a.body_hash]) if a.body_hash in where else None
            if covered is None:
                missing += 1
            else:
                # A checkpoint may be published before the answer reaches the client: that bid waited nothing.
                found.append(max(0.0, covered - a.at))
        return found, missing

    print(
        f"witnesses: 3 real processes ({args.stalled} frozen), quorum 2; grace {args.grace} s, "
        f"refresh {args.refresh} s, timeout {args.timeout} s; {args.lots} lots; "
        f"checkpoint polled every {POLL_SECONDS * 1000:.0f} ms"
    )
    acks = [a.ack_seconds for a in acknowledged]
    print(
        f"bids acknowledged: {len(acknowledged)}; ack latency p50 {percentile(acks, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(acks, 0.99) * 1000:.0f} ms"
    )
    for label, group in (
        ("all bids", acknowledged),
        ("last-second bids", [a for a in acknowledged if a.last_second]),
    ):
        found, missing = latencies(group)
        if not found:
            print(f"{label}: none covered by a witnessed checkpoint ({missing} missing)")
            continue
        p50, p99 = percentile(found, 0.5), percentile(found, 0.99)
        print(
            f"{label}: ack -> witnessed checkpoint p50 {p50:.2f} s, p99 {p99:.2f} s, max {max(found):.2f} s "
            f"({len(found)} bids, {missing} never covered); p99/grace = {p99 / args.grace:.2f}"
        )
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=10)
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--last-second-bursts", type=int, default=10)
    parser.add_argument("--grace", type=int, default=10)
    parser.add_argument("--refresh", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument(
        "--stalled", type=int, default=0, help="witnesses frozen (SIGSTOP) while bids flow: a host that hangs"
    )
    args = parser.parse_args()
    name = f"achyk_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        with tempfile.TemporaryDirectory(prefix="achyk-witness-bench-") as home:
            await run(args, url, Path(home))
    finally:
        admin = await asyncpg.connect(ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
