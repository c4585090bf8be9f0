"""The unit of work's rule on its own, on a small app with the same plugin: which responses keep their writes.

Each handler writes one row and then answers with a chosen status, or raises; the test reads what was kept.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from litestar import Litestar, MediaType, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.testing import AsyncTestClient
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import ThrottleCounter
from auction.clock import FrozenClock
from auction.db.engine import make_engine, make_sessionmaker
from auction.errors import DomainError
from auction.lots.models import Lot
from tests.kit.page import Page
from tests.kit.world import PASSWORD, World, lot_terms
from tests.web.conftest import Client, csrf_of, log_in
from tests.web.test_officer_console import lot_form
from web.lib.unit_of_work import NOT_SAVED, UnitOfWork

# The small app commits through an engine of its own, as the real app does: the test needs a database to itself.
pytestmark = pytest.mark.own_database


class LogInFirst(Exception):
    """Raised after a write; its handler answers with a redirect, which must not save the write."""


async def write_row(db_session: AsyncSession, clock: FrozenClock) -> None:
    db_session.add(
        ThrottleCounter(scope="test", key=uuid.uuid4().hex, hits=1, window_ends=int(clock.now().timestamp()))
    )
    await db_session.flush()


def small_app(database_url: str, clock: FrozenClock) -> Litestar:
    @post("/write/{status:int}")
    async def write_and_answer(status: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Response[None]:
        await write_row(db_session, clock)
        return Response(None, status_code=status)

    @post("/write-then-raise")
    async def write_and_raise(db_session: NamedDependency[AsyncSession]) -> None:
        await write_row(db_session, clock)
        raise LogInFirst

    def answer_error(_: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
        return Response({"error": error.message}, status_code=503, media_type=MediaType.JSON)

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        # The app's own engine, made in the app's event loop, as the real app does.
        engine = make_engine(database_url)
        app.state.sessions = make_sessionmaker(engine)
        yield
        await engine.dispose()

    return Litestar(
        route_handlers=[write_and_answer, write_and_raise],
        plugins=[UnitOfWork(answer_error=answer_error)],
        lifespan=[database],
        exception_handlers={LogInFirst: lambda _, __: Redirect("/login", status_code=303)},
    )


@pytest.fixture
async def small_client(database_url: str, clock: FrozenClock) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=small_app(database_url, clock)) as client:
        yield client


async def rows_kept(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ThrottleCounter)) or 0)


@pytest.mark.parametrize(("status", "kept"), [(200, 1), (201, 1), (204, 1), (303, 1), (400, 0), (422, 0), (503, 0)])
async def test_only_a_success_or_a_redirect_keeps_its_writes(
    small_client: AsyncTestClient[Litestar], sessions: async_sessionmaker[AsyncSession], status: int, kept: int
) -> None:
    response = await small_client.post(f"/write/{status}", follow_redirects=False)
    assert response.status_code == status
    assert await rows_kept(sessions) == kept


async def test_an_exception_keeps_nothing_even_when_answered_with_a_redirect(
    small_client: AsyncTestClient[Litestar], sessions: async_sessionmaker[AsyncSession]
) -> None:
    response = await small_client.post("/write-then-raise", follow_redirects=False)
    assert response.status_code == 303
    assert await rows_kept(sessions) == 0


def failing_commits(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """The same sessions, except that every commit fails (as when the database goes away at that moment)."""

    def refuse(_: Any) -> None:
        raise ConnectionError("the database went away")

    def open_session(**options: Any) -> AsyncSession:
        session = sessions(**options)
        event.listen(session.sync_session, "before_commit", refuse)
        return session

    return open_session  # type: ignore[return-value]  # called like the sessionmaker, which is all the app does


async def test_a_commit_that_fails_answers_503_not_the_success(
    small_client: AsyncTestClient[Litestar], sessions: async_sessionmaker[AsyncSession]
) -> None:
    small_client.app.state.sessions = failing_commits(small_client.app.state.sessions)
    response = await small_client.post("/write/201")
    assert response.status_code == 503
    assert response.json() == {"error": NOT_SAVED}
    assert await rows_kept(sessions) == 0


async def test_the_app_answers_a_failed_commit_as_json_or_as_a_page(
    client: Client, world: World, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await log_in(client, "officer_tokmok")
    token = await csrf_of(client, "/officer/lots/new")
    client.app.state.sessions = failing_commits(client.app.state.sessions)

    api = await client.post("/api/v1/lots", json=lot_terms(clock.now()), headers=world.auth("officer_tokmok"))
    page = await client.post("/officer/lots/new?lang=en", data=lot_form(token), follow_redirects=False)

    assert (api.status_code, api.json()["error"], api.json()["message"]) == (503, "unavailable", NOT_SAVED)
    assert page.status_code == 503
    error_page = Page(page.text)
    assert error_page.text("main section.error-page[role=alert] h1") == "Try again shortly"
    assert error_page.text("main section.error-page[role=alert] > p:first-of-type") == NOT_SAVED
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Lot)) == 0


async def test_a_login_whose_commit_fails_does_not_log_in(client: Client, world: World) -> None:
    """The 503 replaces the whole success, headers included: no session cookie for a login that was not kept."""
    token = await csrf_of(client)
    sessions = client.app.state.sessions
    client.app.state.sessions = failing_commits(sessions)
    credentials = {"email": "officer_tokmok@test.kg", "password": PASSWORD, "_csrf_token": token}

    refused = await client.post("/login", data=credentials, follow_redirects=False)

    assert refused.status_code == 503
    assert "achyk_session" not in refused.headers.get("set-cookie", "")
    client.app.state.sessions = sessions
    assert (await client.get("/officer/", follow_redirects=False)).headers["location"].startswith("/login")
