"""Shared fixtures: a real database per test (PostgreSQL and SQLite), a controllable clock, an app client."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts import passwords
from auction.clock import FrozenClock
from auction.db.engine import make_engine, make_sessionmaker
from auction.db.migrate import upgrade
from auction.settings import Settings, get_settings
from tests.kit.drive import Drive
from tests.kit.mail import LocalSmtp, running_smtp
from tests.kit.world import World, build_world

# Production argon2 costs ~0.1 s a hash by design; tests create hundreds of accounts, so they hash cheaply.
# The web/e2e tests that run a real server process keep the production cost.
passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

PG_ADMIN_DSN = os.environ.get("ACHYK_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [b for b in os.environ.get("ACHYK_TEST_BACKENDS", "postgres,sqlite").split(",") if b]
START = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


def _pg_url(dsn: str, database: str) -> str:
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{database}"


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def database_template(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A database migrated once to head per backend; each test gets a copy of it.

    On PostgreSQL the copy is CREATE DATABASE ... TEMPLATE, on SQLite a file copy: both are fast and
    give every test a real, isolated, migrated database.
    """
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("tmpl") / "template.sqlite3"
        # Alembic runs its own event loop, so it gets a thread of its own.
        await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{path}")
        yield str(path)
        return
    name = f"achyk_tmpl_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    await asyncio.to_thread(upgrade, _pg_url(PG_ADMIN_DSN, name))
    yield name
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _pg_admin(statement: str, attempts: int = 3) -> None:
    # A connection attempt was once seen to hang for asyncpg's whole 60 s at the end of a long run, on a healthy
    # server: a short timeout and another try get past such a stall, and a server that is really gone still fails.
    for attempt in range(1, attempts + 1):
        try:
            admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
        except (TimeoutError, OSError):
            if attempt == attempts:
                raise
            continue
        try:
            await admin.execute(statement)
        finally:
            await admin.close()
        return


class TemplateCopies:
    """Fresh PostgreSQL copies of the migrated template, each made while the test before runs.

    CREATE DATABASE is work for the server, not for the test process: making the next copy in the
    background, and dropping used ones in the background too, takes it off the tests' critical path.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self.ahead: asyncio.Task[str] | None = None
        self.dropping: set[asyncio.Task[None]] = set()

    async def _create(self) -> str:
        name = f"achyk_t_{uuid.uuid4().hex[:10]}"
        await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    async def take(self) -> str:
        ready = self.ahead or asyncio.create_task(self._create())
        name = await ready
        self.ahead = asyncio.create_task(self._create())
        return name

    def drop(self, name: str) -> None:
        task = asyncio.create_task(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.dropping.add(task)
        task.add_done_callback(self.dropping.discard)

    async def close(self) -> None:
        if self.ahead is not None:
            self.drop(await self.ahead)
        await asyncio.gather(*self.dropping)


@pytest.fixture(scope="session")
async def template_copies(database_template: str, backend: str) -> AsyncIterator[TemplateCopies | None]:
    if backend != "postgres":
        yield None  # a file copy of the SQLite template is quick enough where it is made
        return
    copies = TemplateCopies(database_template)
    yield copies
    await copies.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A browser test's server is another process: it must see what the test commits.
    for item in items:
        if item.get_closest_marker("browser") or "e2e" in item.path.parts:
            item.add_marker(pytest.mark.own_database)


def has_own_database(request: pytest.FixtureRequest) -> bool:
    """Whether a test needs real commits: it says so (several connections at once), or it runs the app.

    The test client serves the app from an event loop of its own, and a connection belongs to the loop
    that opened it, so the app cannot join the test's outer transaction.
    """
    return request.node.get_closest_marker("own_database") is not None or "client" in request.fixturenames


@pytest.fixture(scope="session")
async def shared_database(
    backend: str, database_template: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """One migrated database per worker and backend, shared by the tests that roll back what they did."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("shared") / "shared.sqlite3"
        shutil.copy(database_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"achyk_s_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{database_template}"')
    yield _pg_url(PG_ADMIN_DSN, name)
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def database_url(
    request: pytest.FixtureRequest,
    backend: str,
    database_template: str,
    shared_database: str,
    template_copies: TemplateCopies | None,
    tmp_path: Path,
) -> AsyncIterator[str]:
    """The test's database: the shared one (the test runs inside a transaction rolled back at its end), or,
    for tests that need real commits (see ``has_own_database``), a fresh copy of the migrated template,
    dropped afterwards."""
    if not has_own_database(request):
        yield shared_database
        return
    if template_copies is None:
        path = tmp_path / "test.sqlite3"
        shutil.copy(database_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = await template_copies.take()
    yield _pg_url(PG_ADMIN_DSN, name)
    template_copies.drop(name)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def sessions(
    request: pytest.FixtureRequest, database_url: str
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the test's database.

    By default every session joins one connection's outer transaction, and each session's own transaction
    is a SAVEPOINT inside it: commits and rollbacks behave as in production, and the outer rollback at
    the end leaves the shared database as it was (no database to create and drop per test). Tests that
    need real commits get a pool of real connections on a database of their own instead.
    """
    engine = make_engine(database_url)
    try:
        if has_own_database(request):
            yield make_sessionmaker(engine)
            return
        async with engine.connect() as connection:
            outer = await connection.begin()
            try:
                yield async_sessionmaker(connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
            finally:
                await outer.rollback()
    finally:
        await engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-with-enough-length-0123456789",
        upload_max_bytes=64 * 1024,
        debug=os.environ.get("ACHYK_TEST_DEBUG") == "1",
        ledger_origin="test.achyk.kg/ledger",
        ledger_signing_key=base64.b64encode(b"s" * 32).decode(),
        ledger_pseudonym_key=base64.b64encode(b"p" * 32).decode(),
        # Tests integrate explicitly (Integrator.integrate_all) so that they control the moment it happens.
        run_background_jobs=False,
        # Tests move the clock by days while a person stays logged in; the tests of session limits set their own.
        session_lifetime_seconds=10 * 365 * 24 * 3600,
        session_idle_seconds=10 * 365 * 24 * 3600,
    )


@pytest.fixture
def server_environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A command run in-process reads its settings from the environment, as on a server: the database, the keys."""
    monkeypatch.setenv("DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("ACHYK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ACHYK_SECRET_KEY", settings.resolved_secret_key())
    monkeypatch.setenv("ACHYK_LEDGER_ORIGIN", settings.ledger_origin)
    monkeypatch.setenv("ACHYK_LEDGER_SIGNING_KEY", settings.ledger_signing_key)
    monkeypatch.setenv("ACHYK_LEDGER_PSEUDONYM_KEY", settings.ledger_pseudonym_key)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
async def client(settings: Settings, clock: FrozenClock) -> AsyncIterator[AsyncTestClient[Litestar]]:
    from web.app import create_app

    async with AsyncTestClient(app=create_app(settings, clock)) as test_client:
        yield test_client


@pytest.fixture
def artifacts() -> Path:
    path = Path(__file__).parent / "artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, settings: Settings) -> World:
    """The pilot municipalities and one account of each role (see tests.kit.world.build_world)."""
    return await build_world(sessions, clock, settings.ledger_keys())


@pytest.fixture
def drive(world: World) -> Drive:
    return Drive(world)


@pytest.fixture
def smtp() -> Iterator[LocalSmtp]:
    """A real SMTP server on loopback, and the mail that arrived at it."""
    yield from running_smtp()
