"""Benchmark driver: one hot lot, in-process bidders on real PostgreSQL (not a test, not a scenario).

    .venv/bin/python bench/hot_lot_load.py [--bidders 64] [--seconds 10]

A scratch database (bench.kit) with one open ascending lot and ``--bidders`` approved bidders; the integrator runs
beside, as in production, on the app's own engine settings. First, quietly (one bid at a time), the round trips of
an accepted bid and of a stale one are counted (statements, BEGIN and COMMIT, through SQLAlchemy's events). Then
every bidder runs the raw protocol for ``--seconds``: read the price, bid the price plus the step, again; reported
are accepted bids/s, attempts/s, ack latency of accepted bids, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auction.accounts.models import User
from auction.bidding.auction import AuctionService
from auction.bidding.signer import next_statement, sign
from auction.clock import SystemClock
from auction.db.engine import make_engine, make_sessionmaker, transaction
from auction.errors import DomainError
from auction.ledger.admission import LedgerWriter
from auction.ledger.integrator import Integrator
from auction.ledger.keys import LedgerKeys, load_keys
from bench.bidding_load import SIGNERS, setup
from bench.kit import BenchContext, load_average, median, percentile


class RoundTrips:
    """Counts what goes to the server: each statement, BEGIN, COMMIT and ROLLBACK; and the statements SQLAlchemy
    compiled anew (not from its cache), each compiled while the bid may hold the lot's lock."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.compiled = 0
        for name in ("before_cursor_execute", "begin", "commit", "rollback"):
            event.listen(engine.sync_engine, name, self._seen)
        event.listen(engine.sync_engine, "before_cursor_execute", self._compiled)

    def _seen(self, *_: Any, **__: Any) -> None:
        self.count += 1

    def _compiled(self, _conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool) -> None:
        if context is not None and getattr(context, "cache_hit", None) == context.dialect.CACHE_MISS:
            self.compiled += 1


async def bid_once(sessions: Any, keys: LedgerKeys, person: User, lot_id: int, amount: int | None) -> bool:
    """One bidder's turn: read the price and the next sequence, sign, bid (``amount`` or the price plus the step)."""
    clock = SystemClock()
    try:
        async with transaction(sessions) as session:
            auctions = AuctionService(session, clock, LedgerWriter(session, keys, clock))
            running = await auctions.auction_clock(lot_id)
            bid = amount if amount is not None else (running.current_price or 1_000_00) + 1_00
            stmt = await next_statement(session, keys, person.id, lot_id, "bid.placed", {"amount": bid}, clock.now())
            await auctions.place_bid(person, lot_id, bid, uuid.uuid4().hex, sign(SIGNERS[person.id], stmt))
    except DomainError:
        return False
    return True


async def counted_bid(
    sessions: Any, trips: RoundTrips, keys: LedgerKeys, person: User, lot_id: int, amount: int | None
) -> tuple[bool, int, float]:
    """A bid's own round trips: the client's reads (price, sequence) are done first, in a transaction of their own."""
    clock = SystemClock()
    async with transaction(sessions) as session:
        auctions = AuctionService(session, clock, LedgerWriter(session, keys, clock))
        running = await auctions.auction_clock(lot_id)
        bid = amount if amount is not None else (running.current_price or 1_000_00) + 1_00
        stmt = await next_statement(session, keys, person.id, lot_id, "bid.placed", {"amount": bid}, clock.now())
    signed = sign(SIGNERS[person.id], stmt)
    before, cpu = trips.count, time.process_time()
    try:
        async with transaction(sessions) as session:
            auctions = AuctionService(session, clock, LedgerWriter(session, keys, clock))
            await auctions.place_bid(person, lot_id, bid, uuid.uuid4().hex, signed)
    except DomainError:
        return False, trips.count - before, time.process_time() - cpu
    return True, trips.count - before, time.process_time() - cpu


async def run(bidders: int, seconds: float) -> None:
    ctx = BenchContext(workdir=Path("/tmp"))
    keys = load_keys(
        origin="bench.achyk.kg/ledger",
        key_name="",
        data_dir=Path("/tmp"),
        signing_seed=base64.b64encode(os.urandom(32)).decode(),
        pseudonym_seed=base64.b64encode(os.urandom(32)).decode(),
    )
    async with ctx.database("hot_lot") as url:
        (lot_id,), people = await setup(url, keys, 1, bidders)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        trips = RoundTrips(engine)
        accepted_trips = [await counted_bid(sessions, trips, keys, people[n % 2], lot_id, None) for n in range(20)]
        warm = trips.compiled
        warm_trips = [await counted_bid(sessions, trips, keys, people[n % 2], lot_id, None) for n in range(10)]
        compiled_warm = trips.compiled - warm
        stale_trips = [await counted_bid(sessions, trips, keys, people[0], lot_id, 1_000_00) for _ in range(10)]
        assert all(ok for ok, _, _ in accepted_trips + warm_trips), accepted_trips
        assert not any(ok for ok, _, _ in stale_trips), stale_trips

        stop = asyncio.Event()
        clock = SystemClock()
        integrator = Integrator(sessions, keys, clock, batch_size=256, interval_seconds=0.25)
        integration = asyncio.create_task(integrator.run(stop))
        attempts = 0
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds

        async def bidder(person: User) -> None:
            nonlocal attempts
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                ok = await bid_once(sessions, keys, person, lot_id, None)
                attempts += 1
                if ok:
                    latencies.append(time.perf_counter() - started)

        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(bidder(people[n % len(people)]) for n in range(bidders)))
        elapsed, cpu_spent = time.perf_counter() - started, time.process_time() - cpu_started
        stop.set()
        await integration
        await engine.dispose()
    load = load_average()
    accepted = [trips for _, trips, _ in accepted_trips]
    stale = [trips for _, trips, _ in stale_trips]
    print(f"round trips: accepted bid {sorted(accepted)}, stale bid {stale}")
    print(f"statements compiled anew in 10 accepted bids after 20 (the client's reads included): {compiled_warm}")
    cpu_accepted = median([cpu for _, _, cpu in accepted_trips]) * 1000
    cpu_stale = median([cpu for _, _, cpu in stale_trips]) * 1000
    print(f"app CPU, one bid at a time: accepted bid median {cpu_accepted:.2f} ms, stale bid {cpu_stale:.2f} ms")
    per_accepted = cpu_spent * 1000 / max(len(latencies), 1)
    print(f"app CPU under load (the bidders, the refusals and the integrator): {per_accepted:.1f} ms per accepted bid")
    print(
        f"{bidders} bidders, {elapsed:.1f} s: {len(latencies) / elapsed:,.1f} accepted bids/s, "
        f"{attempts / elapsed:,.1f} attempts/s; accepted ack p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bidders", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(run(args.bidders, args.seconds))


if __name__ == "__main__":
    main()
