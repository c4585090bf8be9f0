"""Dependency providers: one database session per request, the clock, the caller, and the services."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.accounts.service import AccountService
from auction.clock import Clock
from auction.errors import NotAuthenticated
from auction.lots.service import LotService
from auction.settings import Settings


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """The request's unit of work: committed before the response is sent, rolled back on any error.

    Committing here, rather than in a before-send hook, means a failed commit becomes an error
    response instead of a success the database never saw.
    """
    sessions: async_sessionmaker[AsyncSession] = state.sessions
    async with sessions() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def provide_clock(state: State) -> Clock:
    clock: Clock = state.clock
    return clock


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_account_service(
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
) -> AccountService:
    return AccountService(
        db_session,
        clock,
        max_failures=settings.login_max_failures,
        lockout_seconds=settings.login_lockout_seconds,
    )


def provide_lot_service(
    db_session: NamedDependency[AsyncSession], clock: NamedDependency[Clock]
) -> LotService:
    return LotService(db_session, clock)


async def provide_api_user(
    request: Request[Any, Any, Any], account_service: NamedDependency[AccountService]
) -> User | None:
    """The API caller, identified only by a bearer token: API routes never trust cookies, so need no CSRF."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    user = await account_service.user_for_token(token.strip())
    if user is None:
        raise NotAuthenticated("The API token is unknown or revoked; create a new one at /api/v1/auth/token.")
    return user


async def provide_web_user(
    request: Request[Any, Any, Any], account_service: NamedDependency[AccountService]
) -> User | None:
    """The website visitor, identified by the signed session cookie."""
    user_id = request.session.get("user_id") if request.scope.get("session") is not None else None
    if not isinstance(user_id, int):
        return None
    user = await account_service.get(user_id)
    return user if user is not None and user.is_active else None
