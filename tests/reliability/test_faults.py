"""Real faults under real bidders: a PostgreSQL cluster of the test's own, `auction serve` with two workers over it.

One cluster and one site, faults in turn while two bidders keep bidding over HTTP: SIGKILL of an app worker, a
database restart, an outage longer than the merge delay (the clients get 503 with Retry-After, the site recovers
without a restart, and the late integration is recorded as a ledger.incident), a kill -9 of the postmaster, and bids
racing a lot's close. Afterwards every acknowledged bid (201 with a receipt) is in the database and in the ledger,
and the exported ledger verifies with every receipt: the one the outage delayed as covered by its incident.

The shared PostgreSQL is never touched: the cluster is initdb'd into a temporary directory, listens on its own
port and is removed at the end. Deadlines below only bound waits for what must happen; nothing asserts speed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.bidding.models import Bid
from auction.bidding.signer import sign
from auction.clock import FrozenClock, SystemClock
from auction.db.engine import make_engine, make_sessionmaker
from auction.db.migrate import upgrade
from auction.ledger.integrator import LEASE_ID
from auction.ledger.models import IntegratorLease, LedgerEntry, PendingEntry
from auction.ledger.verifier import statements as st
from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.verify import verify_bundle
from tests.kit.site import ServedSite, SiteAuction, free_port, log_vkey, site_ledger_keys, start_site
from tests.kit.world import World, build_world

pytestmark = [pytest.mark.postgres]

PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), default=Path("/nonexistent"), key=lambda p: p.parent.name)
DEADLINE = 90.0  # bounds every wait for something that must happen
OUTAGE_SECONDS = 70.0  # beyond the 60 s merge delay the receipts promise
BIDDERS = ("bidder", "bidder2")
STEP = 5_000_00


class Cluster:
    """A PostgreSQL cluster in a directory of its own, on a port of its own, run as the postgres user if we are root."""

    def __init__(self, home: Path, port: int) -> None:
        self.home = home
        self.data = home / "data"
        self.port = port
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(
            [*prefix, *command], capture_output=True, text=True, check=check, timeout=DEADLINE, cwd=self.home
        )

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.home} "
            "-c fsync=off -c max_connections=60"  # fsync: a killed process, not a lost machine, is the fault here
        )
        deadline = time.monotonic() + DEADLINE
        while True:  # after a kill -9 the old backends may hold shared memory for a moment
            started = self._run(
                str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.home / "log"), "-w", "-o", options,
                "start", check=False,
            )  # fmt: skip
            if started.returncode == 0:
                return
            assert time.monotonic() < deadline, started.stdout + started.stderr + self.log()
            time.sleep(0.5)

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        # -l again: without it the restarted postmaster would write to (and hold open) our pipe.
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.home / "log"), "-m", "fast", "-w", "restart"
        )

    def kill_postmaster(self) -> None:
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + DEADLINE
        while Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
            assert time.monotonic() < deadline, f"postmaster {pid} survived SIGKILL"
            time.sleep(0.1)

    def crash_and_recover(self) -> None:
        self.kill_postmaster()
        self.start()

    def log(self) -> str:
        path = self.home / "log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.home, ignore_errors=True)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "X"


def workers_of(site: ServedSite) -> list[int]:
    """The pids of the site's worker processes (uvicorn's spawned children, not multiprocessing's helpers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if parent == site.process.pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


@dataclass
class Bidders:
    """Bidders bidding on one lot over HTTP, keeping every acknowledged bid and every answer they got."""

    api: httpx.AsyncClient
    world: World
    lot_id: int
    top: int = 100_000_00 - STEP
    acknowledged: list[dict[str, Any]] = field(default_factory=list)
    answers: list[httpx.Response] = field(default_factory=list)

    async def bid(self, who: str) -> httpx.Response | None:
        """One signed bid above the highest acknowledged; None when the connection itself failed."""
        auth = self.world.auth(who)
        amount = self.top + STEP * (1 + BIDDERS.index(who))
        try:
            context = await self.api.get(f"/api/lots/{self.lot_id}/me/statement", headers=auth)
            if context.status_code != 200:
                self.answers.append(context)
                return context
            body = context.json()
            stmt = st.statement(
                self.lot_id, body["bidder"], "bid.placed", body["next_seq"], format_time(datetime.now(UTC)),
                {"amount": amount},
            )  # fmt: skip
            answer = await self.api.post(
                f"/api/v1/lots/{self.lot_id}/bids",
                json={"amount": amount, "signed": sign(self.world.signers[who], stmt)},
                headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
            )
        except httpx.TransportError:
            return None  # a worker killed mid-request: nothing was acknowledged
        self.answers.append(answer)
        if answer.status_code == 201:
            receipt = answer.json()
            self.acknowledged.append(receipt)
            self.top = max(self.top, int(receipt["amount"]))
        return answer

    async def keep_bidding(self, stop: asyncio.Event) -> None:
        async def one(who: str) -> None:
            while not stop.is_set():
                answer = await self.bid(who)
                if answer is None or answer.status_code >= 500:
                    await asyncio.sleep(0.5)

        await asyncio.gather(*(one(who) for who in BIDDERS))

    async def until_acknowledged(self) -> dict[str, Any]:
        """Bid until one bid is acknowledged (the site has recovered), failing after the deadline."""
        deadline = time.monotonic() + DEADLINE
        for turn in range(10_000):
            answer = await self.bid(BIDDERS[turn % 2])
            if answer is not None and answer.status_code == 201:
                return self.acknowledged[-1]
            assert time.monotonic() < deadline, f"no bid acknowledged: {answer and answer.text}"
            await asyncio.sleep(0.5)
        raise AssertionError("unreachable")

    async def during(self, fault: Any) -> None:
        """Keep bidding while `fault` (a blocking callable) runs, then until a bid is acknowledged again."""
        stop = asyncio.Event()
        bidding = asyncio.create_task(self.keep_bidding(stop))
        try:
            await asyncio.sleep(1)
            await asyncio.to_thread(fault)
            await asyncio.sleep(1)
        finally:
            stop.set()
            await bidding
        await self.until_acknowledged()


@dataclass
class Rig:
    cluster: Cluster
    site: ServedSite
    world: World
    sessions: async_sessionmaker[AsyncSession]
    api: httpx.AsyncClient
    home: Path


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql")
    # Not under pytest's tmp_path: the postgres user must be able to enter it.
    home = Path(tempfile.mkdtemp(prefix="achyk-faults-"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    port = 55432 + int(worker) if worker.isdigit() else free_port()
    made = Cluster(home, port)
    try:
        made.init()
        made.start()
        yield made
    finally:
        made.remove()


@pytest.fixture
async def rig(cluster: Cluster, tmp_path: Path) -> AsyncIterator[Rig]:
    await asyncio.to_thread(upgrade, cluster.url)
    # The test's own connections are not pooled: each survives the faults by being made afresh.
    engine = make_engine(cluster.url, pool=False)
    sessions = make_sessionmaker(engine)
    site: ServedSite | None = None
    try:
        world = await build_world(sessions, FrozenClock(SystemClock().now()), site_ledger_keys(tmp_path / "data"))
        site = await asyncio.to_thread(
            start_site, cluster.url, tmp_path, {"ACHYK_LOG_LEVEL": "INFO"}, workers=2, startup_seconds=DEADLINE * 2
        )
        async with httpx.AsyncClient(base_url=site.url, timeout=30) as api:
            yield Rig(cluster, site, world, sessions, api, tmp_path)
    finally:
        if site is not None:
            await asyncio.to_thread(site.stop)
        await engine.dispose()


def ahead(seconds: float) -> str:
    return (SystemClock().now() + timedelta(seconds=seconds)).isoformat()


async def open_lot(rig: Rig, closes_in: float, **terms: Any) -> int:
    auction = SiteAuction(rig.api, rig.world)
    await auction.create(
        applications_close_at=ahead(10), bidding_opens_at=ahead(11), bidding_closes_at=ahead(closes_in), **terms
    )
    for who in BIDDERS:
        await auction.admit(who)
    await auction.until_open(DEADLINE)
    return auction.lot_id


async def set_lease(sessions: async_sessionmaker[AsyncSession], holder: str, expires_at: datetime) -> None:
    """The test holds (or frees) the integrator's lease, as a leader that cannot integrate would."""
    async with sessions() as session, session.begin():
        await session.execute(
            update(IntegratorLease).where(IntegratorLease.id == LEASE_ID).values(holder=holder, expires_at=expires_at)
        )


async def settled(rig: Rig) -> None:
    """Wait until the site's integrator has integrated everything pending."""
    deadline = time.monotonic() + DEADLINE
    while True:
        async with rig.sessions() as session:
            pending = await session.scalar(select(func.count()).select_from(PendingEntry))
        if pending == 0:
            return
        assert time.monotonic() < deadline, f"{pending} entries still pending"
        await asyncio.sleep(0.5)


async def all_kept(rig: Rig, acknowledged: list[dict[str, Any]]) -> None:
    """Every acknowledged bid is a row of the bids table and an entry of the ledger, with its amount and body."""
    await settled(rig)  # a killed leader's lease runs out before another process integrates
    async with rig.sessions() as session:
        bids = dict((await session.execute(select(Bid.id, Bid.amount))).all())
        entries = set(await session.scalars(select(LedgerEntry.body_hash)))
    for receipt in acknowledged:
        assert bids.get(receipt["bid_id"]) == receipt["amount"], receipt
        assert receipt["body_hash"] in entries, receipt


async def outage(rig: Rig, bidders: Bidders, page: str) -> tuple[list[httpx.Response], dict[str, Any]]:
    """The database is down for longer than the merge delay while clients keep coming; one bid waits to be integrated.

    Returns what the clients were answered meanwhile and the receipt of the bid the outage delayed.
    """
    # The test holds the integrator's lease, so the last bid before the outage is surely still pending.
    await set_lease(rig.sessions, "fault-suite", datetime.now(UTC) + timedelta(hours=1))
    delayed = await bidders.until_acknowledged()
    await asyncio.to_thread(rig.cluster.stop)
    answers: list[httpx.Response] = []
    down_until = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < down_until:
        answer = await bidders.bid(BIDDERS[len(answers) % 2])
        if answer is None:
            # A worker the supervisor replaced (its health check went unanswered on a loaded machine) drops its
            # connections; the replacement must start and answer despite the outage.
            await asyncio.sleep(1)
            continue
        answers += [answer, await rig.api.get(page, params={"lang": "ky"})]
        await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
    await asyncio.to_thread(rig.cluster.start)
    await set_lease(rig.sessions, "nobody", datetime(2000, 1, 1, tzinfo=UTC))
    await bidders.until_acknowledged()
    return answers, delayed


async def test_acknowledged_bids_survive_real_faults_and_the_ledger_verifies(rig: Rig) -> None:
    lot_id = await open_lot(rig, closes_in=1800)
    bidders = Bidders(rig.api, rig.world, lot_id)
    await bidders.until_acknowledged()

    # 1. SIGKILL of one app worker while bids are in flight; the other serves, the supervisor replaces it.
    victim = workers_of(rig.site)[0]
    await bidders.during(lambda: os.kill(victim, signal.SIGKILL))
    await all_kept(rig, bidders.acknowledged)

    # 2. A database restart.
    await bidders.during(rig.cluster.restart)
    await all_kept(rig, bidders.acknowledged)

    # 3. An outage longer than the merge delay: 503 with Retry-After for every client, API and page alike.
    answers, delayed = await outage(rig, bidders, f"/lots/{lot_id}")
    assert len(answers) >= 10, rig.site.tail()
    assert {a.status_code for a in answers} == {503}, [(a.status_code, a.text[:200]) for a in answers]
    assert all(a.headers.get("retry-after", "").isdigit() for a in answers)
    page = next(a for a in answers if a.headers["content-type"].startswith("text/html"))
    assert "маалымат базасы менен байланыша албай" in page.text
    await all_kept(rig, bidders.acknowledged)

    # 4. kill -9 of the postmaster, then crash recovery.
    await bidders.during(rig.cluster.crash_and_recover)
    await all_kept(rig, bidders.acknowledged)

    # 5. Bids racing a lot's close (no soft-close extension): those acknowledged are in, the rest refused.
    racing = Bidders(rig.api, rig.world, await open_lot(rig, closes_in=20, max_extension_minutes=0))
    stop = asyncio.Event()
    bidding = asyncio.create_task(racing.keep_bidding(stop))
    deadline = time.monotonic() + DEADLINE
    while (await rig.api.get(f"/api/v1/lots/{racing.lot_id}/auction")).json()["state"] == "bidding":
        assert time.monotonic() < deadline, "the racing lot did not close"
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)
    stop.set()
    await bidding
    assert racing.acknowledged, "no bid got in before the close"
    assert {a.status_code for a in racing.answers} <= {200, 201, 409, 422}, {a.status_code for a in racing.answers}
    acknowledged = [*bidders.acknowledged, *racing.acknowledged]
    await all_kept(rig, acknowledged)
    assert rig.site.process.poll() is None, "the site stopped"
    assert workers_of(rig.site), "the site did not recover on its own"

    # The exported ledger verifies, auctions replayed, with every receipt; the delayed one as covered by an incident.
    bundle = rig.home / "bundle.zip"
    bundle.write_bytes((await rig.api.get("/api/v1/ledger/export", timeout=120)).content)
    whole = verify_bundle(bundle, replay=replay)
    assert whole.ok, whole.text()
    for receipt in acknowledged:
        report = verify_bundle(bundle, receipt=receipt["receipt"])
        assert report.ok, report.text()
        late = [w for w in report.warnings if "covered by recorded incident" in w]
        assert bool(late) == (receipt is delayed), report.text()
    (rig.home / "delayed.receipt").write_text(delayed["receipt"])
    cli = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "auction.ledger.verifier", str(bundle), "--key", log_vkey(), "--receipt",
         str(rig.home / "delayed.receipt")],
        capture_output=True, text=True, check=False, timeout=DEADLINE,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "WARNING: receipt:" in cli.stdout
    # Every 5xx left its traceback in the site's log.
    assert "request failed" in rig.site.log.read_text(errors="replace")
