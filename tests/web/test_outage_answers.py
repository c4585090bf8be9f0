"""A database outage is a 503 with Retry-After, not a 500: a page in the visitor's language, the API's error shape.

The app is pointed at a port where no PostgreSQL listens, which is what every request meets while the database
is down or restarting. Every 5xx leaves its traceback in the log; a refusal (4xx) does not.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import exc as sa

from auction.clock import FrozenClock
from auction.db.outage import RETRY_AFTER_SECONDS, is_outage
from auction.keyring.rules import KeysDisagree
from auction.settings import Settings
from tests.conftest import START
from tests.kit.page import Page
from web.lib.errors import log_server_errors

NOWHERE = "postgresql+asyncpg://postgres@127.0.0.1:9/achyk_nowhere"  # the discard port: nothing answers


def unreachable(tmp_path: Path, *, jobs: bool = False) -> Settings:
    return Settings(
        DATABASE_URL=NOWHERE,
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-with-enough-length-0123456789",
        ledger_origin="test.achyk.kg/ledger",
        ledger_signing_key=base64.b64encode(b"s" * 32).decode(),
        ledger_pseudonym_key=base64.b64encode(b"p" * 32).decode(),
        run_background_jobs=jobs,
    )


@pytest.fixture
async def down(tmp_path: Path) -> AsyncIterator[AsyncTestClient[Litestar]]:
    from web.app import create_app

    async with AsyncTestClient(app=create_app(unreachable(tmp_path), FrozenClock(START))) as client:
        yield client


async def test_a_worker_started_during_an_outage_serves_503s(tmp_path: Path) -> None:
    """A worker the supervisor replaces mid-outage starts (its start-up entries wait for the database) and answers."""
    from web.app import create_app

    async with AsyncTestClient(app=create_app(unreachable(tmp_path, jobs=True), FrozenClock(START))) as client:
        response = await client.get("/api/v1/lots")
    assert response.status_code == 503


async def test_an_api_client_is_told_to_come_back(down: AsyncTestClient[Litestar]) -> None:
    response = await down.get("/api/v1/lots")

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    body = response.json()
    assert (body["status"], body["error"], body["code"]) == (503, "unavailable", "service.unavailable")
    assert "cannot reach its database" in body["message"]


@pytest.mark.parametrize(
    ("lang", "words"),
    [("ru", "не может связаться со своей базой данных"), ("ky", "маалымат базасы менен байланыша албай")],
)
async def test_a_visitor_gets_a_page_in_their_language(down: AsyncTestClient[Litestar], lang: str, words: str) -> None:
    response = await down.get(f"/?lang={lang}")

    assert response.status_code == 503
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["content-type"].startswith("text/html")
    assert words in Page(response.text).text()


def test_outages_are_told_from_bugs() -> None:
    refused = ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 9)")
    assert is_outage(refused)
    assert is_outage(sa.OperationalError("SELECT 1", {}, refused))
    assert is_outage(sa.TimeoutError("QueuePool limit of size 5 overflow 10 reached"))
    shutdown = Exception("terminating connection due to administrator command")
    shutdown.sqlstate = "57P01"  # type: ignore[attr-defined]
    assert is_outage(sa.DBAPIError("SELECT 1", {}, shutdown))
    wrapped = RuntimeError("while loading the lot")
    wrapped.__cause__ = refused
    assert is_outage(wrapped)
    assert not is_outage(sa.IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_outage(ZeroDivisionError())
    assert not is_outage(FileNotFoundError(2, "No such file"))


def throw(failure: Exception) -> None:
    raise failure


class Recorder:
    def __init__(self) -> None:
        self.errors: list[tuple[str, dict[str, Any]]] = []

    def error(self, event: str, **fields: Any) -> None:
        self.errors.append((event, fields))


def test_every_5xx_logs_its_traceback_and_no_refusal_does() -> None:
    from auction.errors import NotFound

    scope: Any = {"method": "GET", "path": "/lots/1"}
    logged = Recorder()
    for failure in (
        ZeroDivisionError("bug"),
        ConnectionRefusedError(111, "Connect call failed"),
        NotFound("lot.not_found", lot_id=1),
    ):
        try:
            throw(failure)
        except Exception:
            log_server_errors(logged, scope, ["Traceback (most recent call last):\n", f"  {failure!r}\n"])

    assert [(fields["status"], fields["path"]) for _, fields in logged.errors] == [(500, "/lots/1"), (503, "/lots/1")]
    assert all(fields["traceback"].startswith("Traceback") for _, fields in logged.errors)


async def started_during_an_outage(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, *, then: list[Exception | None]
) -> tuple[AsyncTestClient[Litestar], list[int]]:
    """An app whose start-up key check meets an outage, then at each retry what ``then`` says (None: the real one)."""
    import web.core
    import web.keyring.startup
    from web.app import create_app

    real = web.keyring.startup.refuse_in_lifespan
    answers: list[Exception | None] = [ConnectionRefusedError(111, "database down"), *then]
    checks: list[int] = []

    async def check(*args: Any) -> None:
        checks.append(len(checks))
        answer = answers.pop(0) if answers else None
        if answer is not None:
            raise answer
        await real(*args)

    monkeypatch.setattr(web.core, "refuse_in_lifespan", check)
    monkeypatch.setattr(web.core, "RETRY_AFTER_SECONDS", 0.01)
    return AsyncTestClient(app=create_app(settings, FrozenClock(START))), checks


async def checked_times(checks: list[int], wanted: int) -> None:
    """Until the start-up check has run ``wanted`` times (bounded: ten seconds)."""
    for _ in range(1000):
        if len(checks) >= wanted:
            return
        await asyncio.sleep(0.01)


async def test_a_worker_whose_key_check_met_an_outage_serves_only_after_the_check_passes(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, checks = await started_during_an_outage(settings, monkeypatch, then=[ConnectionRefusedError(111, "")])
    async with client:
        first = await client.get("/api/v1/health")
        assert first.status_code == 503, first.text
        assert first.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
        await checked_times(checks, 3)
        for _ in range(1000):  # the event lives on the app's loop: read it, never await it from here
            if client.app.state.keys_checked.is_set():
                break
            await asyncio.sleep(0.01)
        assert len(checks) == 3
        assert (await client.get("/api/v1/health")).status_code == 200


async def test_a_worker_whose_keys_disagree_once_the_database_is_back_serves_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, checks = await started_during_an_outage(settings, monkeypatch, then=[KeysDisagree(["signing key"])])
    async with client:
        await checked_times(checks, 2)
        await asyncio.sleep(0.2)
        assert (await client.get("/api/v1/health")).status_code == 503
        assert len(checks) == 2  # the retries stop: keys that disagree do not come right by waiting
