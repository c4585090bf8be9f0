"""Route guards of the pages: the officer console is for officers and administrators, the administrator's console
for administrators, the administrative action log for inspectors and administrators."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import Role
from auction.accounts.service import AccountService
from auction.clock import Clock
from auction.errors import NotAuthenticated, PermissionDenied

OFFICER_ROLES = frozenset({Role.OFFICER, Role.ADMIN})
ADMIN_ROLES = frozenset({Role.ADMIN})
INSPECTOR_ROLES = frozenset({Role.INSPECTOR, Role.ADMIN})


async def officers_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Anonymous visitors are sent to log in (NotAuthenticated); other accounts get a 403 page.

    Guards run before dependency injection, so this reads the account in a short session of its own;
    handlers then take the same account from the ``officer`` dependency inside the request's unit of work.
    """
    role = await _role_of(connection)
    if role not in OFFICER_ROLES:
        raise PermissionDenied("auth.officers_only")


async def admins_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The administrator's console: anonymous visitors log in, every other account gets a 403 page."""
    if await _role_of(connection) not in ADMIN_ROLES:
        raise PermissionDenied("auth.admins_only")


async def inspectors_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The administrative action log: inspectors and administrators."""
    if await _role_of(connection) not in INSPECTOR_ROLES:
        raise PermissionDenied("auth.inspectors_only")


async def _role_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Role:
    """The logged-in account's role; anyone not logged in (or deactivated) must log in."""
    user_id = connection.session.get("user_id") if connection.scope.get("session") else None
    if not isinstance(user_id, int):
        raise NotAuthenticated("auth.login_required")
    sessions: async_sessionmaker[AsyncSession] = connection.app.state.sessions
    clock: Clock = connection.app.state.clock
    async with sessions() as session:
        user = await AccountService(session, clock).get(user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("auth.login_required")
    return user.role
