"""Benchmark: bids under load on real PostgreSQL, with the ledger integrator running (not a test).

    .venv/bin/python bench/bidding_load.py [--lots 20] [--bidders 10] [--bids 2000] [--workers 32]

Creates a scratch database, opens ``--lots`` open-ascending auctions with ``--bidders`` approved bidders
each, then ``--workers`` concurrent clients place ``--bids`` bids spread over the lots while the integrator
runs in the background as in production. Reported, with a baseline measured in the same run on the same
database and connection pool (one-row INSERT + COMMIT per client request, no logic):

- acknowledged bids per second, and the ratio to baseline commits per second;
- bid acknowledgement latency p50/p99;
- admission-to-integration delay p50/p99 (integrated leaf's time minus the body's admission time);
- inclusion and consistency proof latency from the database (p50/p99).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auction.accounts.models import User
from auction.bidding.auction import AuctionService
from auction.bidding.signer import StatementSigner, next_statement, sign
from auction.clock import FrozenClock, SystemClock, as_utc
from auction.db.engine import make_engine, make_sessionmaker, transaction
from auction.db.migrate import upgrade
from auction.errors import DomainError
from auction.ledger.admission import LedgerWriter
from auction.ledger.integrator import Integrator
from auction.ledger.keys import LedgerKeys, load_keys
from auction.ledger.models import LedgerEntry
from auction.ledger.queries import LedgerReader
from auction.ledger.verifier.municipal_rules import MunicipalRules
from tests.kit.drive import Drive
from tests.kit.world import build_world

# Each bench bidder's software key, by user id: every bid is signed, as the platform requires.
SIGNERS: dict[int, StatementSigner] = {}
ADMIN_DSN = os.environ.get("ACHYK_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


ALWAYS_OPEN = MunicipalRules(
    notice_days=1, workdays=tuple(range(7)), workday_start_minute=0, workday_end_minute=24 * 60
)


async def setup(url: str, keys: LedgerKeys, lots: int, bidders: int) -> tuple[list[int], list[User]]:
    """Open lots, each with the same approved bidders, built by the test kit as the tests build theirs."""
    now = datetime.now(UTC)
    clock = FrozenClock(now - timedelta(days=9))
    engine = make_engine(url)
    world = await build_world(make_sessionmaker(engine), clock, keys)
    # The bench runs whenever it is started, night or weekend, and publishes only a week back: its municipality's
    # rules allow any hour and a day's notice (the platform's own bounds).
    await world.set_rules("tokmok", ALWAYS_OPEN)
    names = ["bidder", "bidder2"][:bidders] + [await world.bidder() for _ in range(bidders - 2)]
    lot_ids = [
        await world.lot(
            stage="applications",
            bidders=tuple(names),
            kind="other",
            title_en="Bench lot",
            starting_price=1_000_00,
            bid_step=1_00,
            deposit=0,
            applications_close_at=(now - timedelta(days=2)).isoformat(),
            bidding_opens_at=(now - timedelta(days=1)).isoformat(),
            bidding_closes_at=(now + timedelta(days=1)).isoformat(),
        )
        for _ in range(lots)
    ]
    people = [await world.user(name) for name in names]
    SIGNERS.update({world.user_ids[name]: world.signers[name] for name in names})
    clock.set(now)
    await Drive(world).tick()  # the scheduler opens every lot, the integrator logs the openings
    await engine.dispose()
    return lot_ids, people


async def baseline(url: str, requests: int, workers: int) -> float:
    engine = make_engine(url, pool=True)
    sessions = make_sessionmaker(engine)
    async with transaction(sessions) as session:
        await session.execute(text("CREATE TABLE bench_baseline (id serial primary key, lot int, amount bigint)"))
    queue = list(range(requests))

    async def worker() -> None:
        while queue:
            n = queue.pop()
            async with transaction(sessions) as session:
                await session.execute(
                    text("INSERT INTO bench_baseline (lot, amount) VALUES (:l, :a)"), {"l": n % 20, "a": n}
                )

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return requests / elapsed


async def load(
    url: str, keys: LedgerKeys, lot_ids: list[int], people: list[User], bids: int, workers: int
) -> dict[str, float]:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    clock = SystemClock()
    stop = asyncio.Event()
    integrator = Integrator(sessions, keys, clock, batch_size=256, interval_seconds=0.25)
    integration = asyncio.create_task(integrator.run(stop))
    rng = random.Random(1)
    latencies: list[float] = []
    refused = 0
    queue = list(range(bids))

    async def worker() -> None:
        nonlocal refused
        while queue:
            queue.pop()
            lot_id, person = rng.choice(lot_ids), rng.choice(people)
            started = time.perf_counter()
            try:
                async with transaction(sessions) as session:
                    auctions = AuctionService(session, clock, LedgerWriter(session, keys, clock))
                    running = await auctions.auction_clock(lot_id)
                    amount = (running.current_price or 1_000_00) + rng.randint(1, 5) * 1_00
                    stmt = await next_statement(
                        session, keys, person.id, lot_id, "bid.placed", {"amount": amount}, clock.now()
                    )
                    signed = sign(SIGNERS[person.id], stmt)
                    await auctions.place_bid(person, lot_id, amount, uuid.uuid4().hex, signed)
                latencies.append(time.perf_counter() - started)
            except DomainError:
                refused += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - started
    await asyncio.sleep(1.5)
    stop.set()
    await integration
    async with sessions() as session:
        rows = (
            await session.execute(
                select(LedgerEntry.admitted_at, LedgerEntry.integrated_at).where(LedgerEntry.kind == "bid.placed")
            )
        ).all()
        delays = [(as_utc(i) - as_utc(a)).total_seconds() for a, i in rows]
        size = int(await session.scalar(text("SELECT size FROM ledger_tree_state")) or 0)
        reader = LedgerReader(session, keys)
        proof_times = []
        for _ in range(200):
            index = rng.randrange(size)
            t0 = time.perf_counter()
            await reader.inclusion(index)
            proof_times.append(time.perf_counter() - t0)
        consistency_times = []
        for _ in range(50):
            t0 = time.perf_counter()
            await reader.consistency(rng.randrange(1, size), size)
            consistency_times.append(time.perf_counter() - t0)
    await engine.dispose()
    return {
        "accepted": len(latencies),
        "refused": refused,
        "bids_per_s": len(latencies) / elapsed,
        "ack_p50_ms": percentile(latencies, 0.5) * 1000,
        "ack_p99_ms": percentile(latencies, 0.99) * 1000,
        "delay_p50_s": percentile(delays, 0.5),
        "delay_p99_s": percentile(delays, 0.99),
        "delay_max_s": max(delays),
        "tree_size": size,
        "inclusion_p50_ms": statistics.median(proof_times) * 1000,
        "inclusion_p99_ms": percentile(proof_times, 0.99) * 1000,
        "consistency_p99_ms": percentile(consistency_times, 0.99) * 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=20)
    parser.add_argument("--bidders", type=int, default=10)
    parser.add_argument("--bids", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=32)
    args = parser.parse_args()
    name = f"achyk_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        keys = load_keys(
            origin="bench.achyk.kg/ledger",
            key_name="",
            data_dir=Path("/tmp"),
            signing_seed=base64.b64encode(os.urandom(32)).decode(),
            pseudonym_seed=base64.b64encode(os.urandom(32)).decode(),
        )
        lot_ids, people = await setup(url, keys, args.lots, args.bidders)
        raw = await baseline(url, args.bids, args.workers)
        result = await load(url, keys, lot_ids, people, args.bids, args.workers)
    finally:
        admin = await asyncpg.connect(ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    print(f"baseline: {raw:,.0f} one-row commits/s ({args.workers} clients)")
    print(
        f"bids: {result['accepted']} accepted, {result['refused']} refused (outbid in flight), "
        f"{result['bids_per_s']:,.0f}/s = {result['bids_per_s'] / raw:.2f} x baseline commits/s"
    )
    print(f"ack latency: p50 {result['ack_p50_ms']:.1f} ms, p99 {result['ack_p99_ms']:.1f} ms")
    print(
        f"admission-to-integration: p50 {result['delay_p50_s']:.3f} s, p99 {result['delay_p99_s']:.3f} s, "
        f"max {result['delay_max_s']:.3f} s"
    )
    print(
        f"proofs from the database at size {result['tree_size']}: inclusion p50 {result['inclusion_p50_ms']:.2f} ms,"
        f" p99 {result['inclusion_p99_ms']:.2f} ms; consistency p99 {result['consistency_p99_ms']:.2f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
