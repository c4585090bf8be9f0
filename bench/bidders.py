"""What the bidding and watching scenarios share: open lots built beside a served site, API bidders that bid as the
API's clients do, the raw baselines (pgbench with the bid's shape, a plain asyncpg client running the bidding
protocol) and CPU time read from /proc.

The bidders are the API's: each holds its account's bearer token and its software key, reads the lot's live state,
bids the minimum next bid with a signed statement and an idempotency key, and after a "too low" refusal reads the
state again. A bidder keeps its own statement sequence (docs/keys.md 1.3: a refused action consumes no number), as a
careful client does, and asks the server for it again only after an answer it cannot read.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from argon2 import PasswordHasher

from auction.accounts import passwords
from auction.bidding.signer import sign
from auction.clock import FrozenClock
from auction.db.engine import make_engine, make_sessionmaker
from auction.ledger.verifier import statements as st
from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.municipal_rules import MunicipalRules
from bench.kit import percentile, raw_url
from tests.kit.drive import Drive
from tests.kit.site import site_ledger_keys
from tests.kit.world import World, build_world

# The bench runs whenever it is started, night or weekend: its municipality's rules allow any hour and a day's
# notice (the platform's own bounds), so lots can be built a week back and be open now.
ALWAYS_OPEN = MunicipalRules(
    notice_days=1, workdays=tuple(range(7)), workday_start_minute=0, workday_end_minute=24 * 60
)
STARTING_PRICE = 1_000_00
BID_STEP = 1_00
CLK_TCK = os.sysconf("SC_CLK_TCK")
# A loaded machine (other work shares its two cores) can take a minute or more to start the two workers.
STARTUP_SECONDS = 240.0


# --- the world: open lots with approved bidders, built by the test kit beside the served site -------------------


@dataclass
class Floor:
    """Open lots and their bidders, made in the scratch database before the site serves it."""

    world: World
    bidders: list[str]
    lots: dict[int, tuple[str, ...]]  # lot id -> its approved bidders


async def open_floor(url: str, data_dir: Path, bidders: int, lots: Sequence[Sequence[int]]) -> Floor:
    """`bidders` API bidders and, for each entry of `lots`, one open ascending lot whose approved bidders are those
    numbers (0 .. bidders - 1). The lots are published nine days back and open now, through the scheduler's tick.
    """
    # The bench's accounts never log in with a password: argon2 at production strength would only cost minutes.
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    now = datetime.now(UTC)
    clock = FrozenClock(now - timedelta(days=9))
    engine = make_engine(url)
    try:
        world = await build_world(make_sessionmaker(engine), clock, site_ledger_keys(data_dir))
        await world.set_rules("tokmok", ALWAYS_OPEN)
        names = ["bidder", "bidder2"][:bidders] + [await world.bidder() for _ in range(bidders - 2)]
        made: dict[int, tuple[str, ...]] = {}
        for numbers in lots:
            approved = tuple(names[n] for n in numbers)
            lot_id = await world.lot(
                stage="applications",
                bidders=approved,
                kind="other",
                title_en="Bench lot",
                starting_price=STARTING_PRICE,
                bid_step=BID_STEP,
                deposit=0,
                applications_close_at=(now - timedelta(days=2)).isoformat(),
                bidding_opens_at=(now - timedelta(days=1)).isoformat(),
                bidding_closes_at=(now + timedelta(days=1)).isoformat(),
            )
            made[lot_id] = approved
        clock.set(datetime.now(UTC))
        await Drive(world).tick()  # the scheduler opens every lot, the integrator logs the openings
    finally:
        await engine.dispose()
    return Floor(world, names, made)


# --- API bidders ------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What a load of bidders did: attempts (bids sent), accepted ones with their acknowledgement times."""

    attempts: int = 0
    accepted: int = 0
    reads: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    ack_seconds: list[float] = field(default_factory=list)  # accepted bids: request sent to answer read
    # Each accepted bid: (lot id, amount, time.monotonic() when the acknowledgement was read).
    acknowledged: list[tuple[int, int, float]] = field(default_factory=list)
    seconds: float = 0.0

    def per_second(self, count: int) -> float:
        return count / self.seconds if self.seconds else float("nan")

    def summary(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 2),
            "attempts": self.attempts,
            "accepted": self.accepted,
            "state_reads": self.reads,
            "refusals": dict(self.refusals),
            "errors": dict(self.errors),
            "ack_p50_ms": percentile(self.ack_seconds, 0.5) * 1000,
            "ack_p99_ms": percentile(self.ack_seconds, 0.99) * 1000,
        }


@dataclass
class ApiBidder:
    """One API client: an account, its key and its own keep-alive connection to the site."""

    world: World
    name: str
    api: httpx.AsyncClient
    # lot id -> (pseudonym, next statement number)
    statements: dict[int, tuple[str, int]] = field(default_factory=dict)

    async def learn(self, lot_id: int) -> tuple[str, int]:
        answer = await self.api.get(f"/api/lots/{lot_id}/me/statement", headers=self.world.auth(self.name))
        answer.raise_for_status()
        body = answer.json()
        self.statements[lot_id] = (body["bidder"], int(body["next_seq"]))
        return self.statements[lot_id]

    async def minimum(self, lot_id: int) -> int:
        answer = await self.api.get(f"/api/v1/lots/{lot_id}/auction")
        answer.raise_for_status()
        return int(answer.json()["minimum_next_bid"])

    def signed(self, lot_id: int, amount: int) -> dict[str, Any]:
        pseudonym, seq = self.statements[lot_id]
        statement = st.statement(
            lot_id, pseudonym, "bid.placed", seq, format_time(datetime.now(UTC)), {"amount": amount}
        )
        return sign(self.world.signers[self.name], statement)

    async def bid(self, lot_id: int, amount: int) -> httpx.Response:
        if lot_id not in self.statements:
            await self.learn(lot_id)
        return await self.api.post(
            f"/api/v1/lots/{lot_id}/bids",
            json={"amount": amount, "signed": self.signed(lot_id, amount)},
            headers={**self.world.auth(self.name), "Idempotency-Key": uuid.uuid4().hex},
        )


@contextlib.asynccontextmanager
async def api_bidders(world: World, names: Sequence[str], base_url: str) -> AsyncIterator[list[ApiBidder]]:
    """One client (one keep-alive connection) per bidder, as independent API clients have."""
    clients = [httpx.AsyncClient(base_url=base_url, timeout=60, limits=httpx.Limits(max_connections=1)) for _ in names]
    try:
        yield [ApiBidder(world, name, client) for name, client in zip(names, clients, strict=True)]
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


async def bid_loop(
    bidder: ApiBidder,
    lots: Sequence[int],
    until: float,
    tally: Tally,
    *,
    measure_from: float,
    think_seconds: float = 0.0,
    pick: Callable[[Sequence[int]], int] | None = None,
) -> None:
    """Read the price, bid the minimum next bid, read again after a refusal; until `until` (time.monotonic()).

    Only answers read between `measure_from` and `until` are counted (the ones before warm the connections and the
    server; a bid in flight at `until` is answered but not counted).
    """
    import random

    rng = random.Random(bidder.name)
    choose = pick or rng.choice
    while time.monotonic() < until:
        lot_id = choose(lots)
        try:
            amount = await bidder.minimum(lot_id)
            if measure_from <= time.monotonic() <= until:
                tally.reads += 1
            sent = time.monotonic()
            answer = await bidder.bid(lot_id, amount)
        except httpx.HTTPError as failed:
            if measure_from <= time.monotonic() <= until:
                tally.errors[type(failed).__name__] += 1
            bidder.statements.pop(lot_id, None)
            await asyncio.sleep(0.05)
            continue
        read = time.monotonic()
        # An attempt counts when its answer came within the measured stretch: answers per second handled.
        counted = measure_from <= read <= until
        accepted = answer.status_code in (200, 201)
        if counted:
            tally.attempts += 1
        if accepted:
            pseudonym, seq = bidder.statements[lot_id]
            bidder.statements[lot_id] = (pseudonym, seq + 1)
            if counted:
                tally.accepted += 1
                tally.ack_seconds.append(read - sent)
                tally.acknowledged.append((lot_id, amount, read))
        elif "too_low" in answer.text:
            if counted:
                tally.refusals["bid.too_low"] += 1
        else:
            # Anything else (a sequence clash, a 503): ask the server where this bidder's statements stand.
            if counted:
                tally.errors[f"{answer.status_code} {code_of(answer)}"] += 1
            bidder.statements.pop(lot_id, None)
        if think_seconds:
            await asyncio.sleep(think_seconds)


def code_of(answer: httpx.Response) -> str:
    with contextlib.suppress(ValueError):
        body = answer.json()
        if isinstance(body, dict):
            return str(body.get("code") or body.get("error") or "")
    return answer.text[:60]


async def bidding_load(
    bidders: Sequence[ApiBidder],
    lots_of: Callable[[ApiBidder], Sequence[int]],
    *,
    warmup: float,
    seconds: float,
    think_seconds: float = 0.0,
) -> Tally:
    """Every bidder bids in its own loop for `warmup` + `seconds`; the tally counts the last `seconds`."""
    tally = Tally()
    measure_from = time.monotonic() + warmup
    until = measure_from + seconds
    await asyncio.gather(
        *(
            bid_loop(b, lots_of(b), until, tally, measure_from=measure_from, think_seconds=think_seconds)
            for b in bidders
        )
    )
    tally.seconds = seconds
    return tally


# --- CPU time from /proc ----------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """user + system CPU seconds of a live process, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14 and 15 of stat)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (the server's workers and their helpers)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            with contextlib.suppress(OSError):
                children = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
                found.extend(int(c) for c in children)
                pending.extend(int(c) for c in children)
    return found


class CpuWatch:
    """CPU seconds spent by a changing set of processes over a stretch of time, sampled every `interval`.

    A process that is there at the start counts from its CPU time then; one that appears later counts whole (it was
    started during the stretch: a new database backend). A process that ends loses at most its last interval.
    """

    def __init__(self, pids: Callable[[], Any], interval: float = 0.25) -> None:
        self._pids = pids
        self.interval = interval
        self.start: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def _list(self) -> list[int]:
        found = self._pids()
        if asyncio.iscoroutine(found):
            found = await found
        return list(found)

    async def _sample(self) -> None:
        for pid in await self._list():
            value = cpu_seconds(pid)
            if value is not None:
                self.last[pid] = value

    async def __aenter__(self) -> CpuWatch:
        for pid in await self._list():
            value = cpu_seconds(pid)
            if value is not None:
                self.start[pid] = self.last[pid] = value

        async def poll() -> None:
            while True:
                await asyncio.sleep(self.interval)
                await self._sample()

        self._task = asyncio.create_task(poll())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._sample()

    def by_pid(self) -> dict[int, float]:
        return {pid: value - self.start.get(pid, 0.0) for pid, value in self.last.items()}

    def total(self) -> float:
        return sum(self.by_pid().values())


def backends_of(admin_url: str, database: str) -> Callable[[], Any]:
    """A pid lister for `CpuWatch`: the PostgreSQL backends connected to `database` (asked through `admin_url`)."""

    async def pids() -> list[int]:
        connection = await asyncpg.connect(admin_url)
        try:
            rows = await connection.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
        finally:
            await connection.close()
        return [int(r["pid"]) for r in rows]

    return pids


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


# --- raw baselines ----------------------------------------------------------------------------------------------

RAW_TABLES = """
CREATE TABLE bench_raw_lot (id int PRIMARY KEY, price bigint NOT NULL);
CREATE TABLE bench_raw_bid (id bigserial PRIMARY KEY, lot int NOT NULL, bidder int NOT NULL, amount bigint NOT NULL,
                            placed_at timestamptz NOT NULL DEFAULT now());
INSERT INTO bench_raw_lot SELECT n, 0 FROM generate_series(1, 1000) AS n;
"""

# The bid's shape: one row of the lot updated, one bid row inserted, in one transaction.
PGBENCH_SCRIPT = """\\set lot random(1, :rows)
\\set amount random(1, 1000000000)
BEGIN;
UPDATE bench_raw_lot SET price = price + 1 WHERE id = :lot;
INSERT INTO bench_raw_bid (lot, bidder, amount) VALUES (:lot, :client_id, :amount);
END;
"""


async def raw_tables(url: str) -> None:
    connection = await asyncpg.connect(raw_url(url))
    try:
        await connection.execute(RAW_TABLES)
    finally:
        await connection.close()


@dataclass
class Pgbench:
    rows: int
    clients: int
    seconds: float
    tps: float
    transactions: int
    backend_cpu_seconds: float
    output: str

    @property
    def cpu_ms_per_transaction(self) -> float:
        return self.backend_cpu_seconds / self.transactions * 1000 if self.transactions else float("nan")

    def summary(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "clients": self.clients,
            "seconds": self.seconds,
            "tps": round(self.tps, 1),
            "transactions": self.transactions,
            "backend_cpu_ms_per_transaction": round(self.cpu_ms_per_transaction, 3),
        }


async def pgbench(url: str, admin_url: str, workdir: Path, *, rows: int, clients: int, seconds: int) -> Pgbench:
    """pgbench with the bid's shape over `rows` rows (1: one hot row), `clients` connections, for `seconds`."""
    binary = shutil.which("pgbench") or "/usr/bin/pgbench"
    script = workdir / "bid_shape.sql"
    script.write_text(PGBENCH_SCRIPT)
    command = [
        binary,
        "--no-vacuum",
        f"--client={clients}",
        f"--jobs={min(clients, 2)}",
        f"--time={seconds}",
        f"--file={script}",
        f"--define=rows={rows}",
        raw_url(url),
    ]
    async with CpuWatch(backends_of(admin_url, database_name(url))) as cpu:
        process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = (await process.communicate())[0].decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"pgbench failed ({process.returncode}):\n{output}")
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    done = re.search(r"number of transactions actually processed: (\d+)", output)
    if tps is None or done is None:
        raise RuntimeError(f"pgbench's output is not understood:\n{output}")
    return Pgbench(rows, clients, seconds, float(tps.group(1)), int(done.group(1)), cpu.total(), output)


async def raw_protocol(url: str, *, bidders: int, connections: int, seconds: float, lot: int = 1) -> Tally:
    """A plain asyncpg client running the bidding protocol on one row: read the price, bid price + step with a
    compare-and-set (a guarded UPDATE ... RETURNING) and insert the bid row in the same transaction; a bid that lost
    the race is refused and the bidder reads again. `bidders` tasks share `connections` pooled connections."""
    pool = await asyncpg.create_pool(raw_url(url), min_size=connections, max_size=connections)
    assert pool is not None
    tally = Tally()
    until = time.monotonic() + seconds

    async def bidder(number: int) -> None:
        while time.monotonic() < until:
            async with pool.acquire() as connection:
                price = int(await connection.fetchval("SELECT price FROM bench_raw_lot WHERE id = $1", lot))
            tally.reads += 1
            amount = price + BID_STEP
            sent = time.monotonic()
            async with pool.acquire() as connection, connection.transaction():
                won = await connection.fetchval(
                    "UPDATE bench_raw_lot SET price = $2 WHERE id = $1 AND price = $3 RETURNING price",
                    lot,
                    amount,
                    price,
                )
                if won is not None:
                    await connection.execute(
                        "INSERT INTO bench_raw_bid (lot, bidder, amount) VALUES ($1, $2, $3)", lot, number, amount
                    )
            tally.attempts += 1
            if won is None:
                tally.refusals["too_low"] += 1
            else:
                tally.accepted += 1
                tally.ack_seconds.append(time.monotonic() - sent)

    started = time.monotonic()
    try:
        await asyncio.gather(*(bidder(n) for n in range(bidders)))
    finally:
        await pool.close()
    tally.seconds = time.monotonic() - started
    return tally
