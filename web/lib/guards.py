"""Route guards: the officer console is for officers and administrators, the administrator's console for
administrators, the administrative action log for inspectors and administrators; and every API route that acts
for an account knows who calls before it reads the request's body (``identified``)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import INSPECTOR_ROLES, Role
from auction.accounts.service import AccountService
from auction.clock import Clock
from auction.errors import NotAuthenticated, PermissionDenied
from auction.refusals import Problem
from web.lib.unit_of_work import provide_db_session

# The API caller the guard identified, kept in the scope's state so the ``api_user`` dependency need not look again.
CALLER = "achyk.api_caller"

OFFICER_ROLES = frozenset({Role.OFFICER, Role.ADMIN})
ADMIN_ROLES = frozenset({Role.ADMIN})


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


def _only(roles: frozenset[Role], refusal: Problem) -> Guard:
    """A guard letting through the logged-in accounts of `roles`; anyone else is refused with `refusal` (403)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if await _role_of(connection) not in roles:
            raise PermissionDenied.of(refusal)

    return guard


# The administrative action log, and linking bidders across lots (/inspection): inspectors and administrators, each
# refusal naming its page.
inspectors_only = _only(INSPECTOR_ROLES, Problem("auth.inspectors_only"))
inspection_only = _only(INSPECTOR_ROLES, Problem("inspection.inspectors_only"))


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


async def identified(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """An API route that acts for an account refuses an anonymous or unknown caller with 401 before it parses the
    body: a stranger learns nothing of the body's rules, and spends no validation work of ours.

    Routes whose answer does not depend on a caller say so with ``opt=PUBLIC``. ``opt["caller"]`` says who is
    expected, for the refusal's words: "officer" (an officer's token), "account" (any account's token), "member"
    and "browser" (a token, or the logged-in browser's session: the commission's relay and the key routes, whose
    CSRF header is checked where it always was, by their caller dependency).
    """
    if handler.opt.get("anonymous"):
        return
    caller = handler.opt.get("caller")
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    accounts = AccountService(provide_db_session(connection), connection.app.state.clock)
    if scheme.lower() == "bearer" and token.strip():
        user = await accounts.user_for_token(token.strip())
        if user is None:
            raise NotAuthenticated("auth.token_unknown")
        connection.scope.setdefault("state", {})[CALLER] = user
        return
    if caller in {"member", "browser"}:
        user_id = connection.session.get("user_id") if connection.scope.get("session") else None
        if isinstance(user_id, int):
            user = await accounts.get(user_id)
            if user is not None and user.is_active:
                return
    match caller:
        case "officer":
            raise NotAuthenticated("auth.officer_token_required")
        case "account" | "member":
            raise NotAuthenticated("auth.bearer_of_account_required")
        case "browser":
            raise NotAuthenticated("auth.login_required")
        case _:
            raise NotAuthenticated("auth.bearer_required")


# The ``opt`` of an API route that answers anyone: ``identified`` lets it through, its handler sees who asks.
PUBLIC = {"anonymous": True}
