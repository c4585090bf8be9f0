"""A request's unit of work: one database session, committed only when the response says the action was done.

The rule, for API and pages alike: a response of 2xx or 3xx commits; anything else (a refusal 4xx, a failure 5xx,
an exception, whatever status its handler then chooses) rolls back. The decision is taken when the response
starts, not when the handler returns: by then the handler, its dependencies and the error handlers are done,
and the status that decides is the one the client gets. If the commit itself fails, the client gets a 503
instead of the success the database did not keep, and the response that was ready is dropped.

A streaming response (the live server-sent events) commits when it starts, before its first event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.config.app import AppConfig
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.plugins import InitPluginProtocol
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.db.outage import RETRY_AFTER_SECONDS
from auction.errors import DomainError, Unavailable
from auction.refusals import REFUSALS

log = logging.getLogger(__name__)

WORK = "achyk.unit_of_work"
NOT_SAVED = REFUSALS["request.not_saved"]

ErrorResponse = Callable[[Request[Any, Any, Any], DomainError], Response[Any]]


@dataclass
class Work:
    """The request's session, and whether an exception was raised while it was being handled."""

    session: AsyncSession
    raised: bool = False

    async def settle(self, status: int) -> bool:
        """Commit a success, roll back anything else; False only when a success could not be committed."""
        if not self.session.in_transaction():
            # The request never used its session (the key, static-like routes, refusals before any read): there
            # is nothing to commit or roll back, and asking the session to would still cost a greenlet switch.
            return True
        if 200 <= status < 400 and not self.raised:
            try:
                await self.session.commit()
            except Exception:
                log.exception("the request's commit failed; answering 503 instead of %s", status)
                await self._roll_back()
                return False
            return True
        await self._roll_back()
        return True

    async def _roll_back(self) -> None:
        # A rollback that fails (a lost connection) leaves nothing behind either: the server drops the transaction.
        try:
            await self.session.rollback()
        except Exception:
            log.exception("the request's rollback failed")


def provide_db_session(request: ASGIConnection[Any, Any, Any, Any]) -> AsyncSession:
    """The session of the request's unit of work (the middleware commits or rolls it back, never the handler)."""
    work: Work | None = request.scope.get("state", {}).get(WORK)
    if work is None:
        raise RuntimeError(f"{request.url.path} has no unit of work: it is excluded from RequestTransaction")
    return work.session


def note_exception(_: Exception, scope: Scope) -> None:
    """An exception dooms the request's changes, even when its handler answers with a redirect (to log in)."""
    work: Work | None = scope.get("state", {}).get(WORK)
    if work is not None:
        work.raised = True


class RequestTransaction(ASGIMiddleware):
    """Opens the request's session and settles it when the response starts (see the module's docstring)."""

    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/",)

    def __init__(self, answer_error: ErrorResponse) -> None:
        self.answer_error = answer_error

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        sessions: async_sessionmaker[AsyncSession] = scope["litestar_app"].state.sessions
        async with sessions() as session:
            work = Work(session)
            scope.setdefault("state", {})[WORK] = work
            started = replaced = False

            async def send_settled(message: Message) -> None:
                nonlocal started, replaced
                if replaced:
                    return  # the body of a success that was not saved
                if message["type"] == "http.response.start" and not started:
                    started = True
                    if not await work.settle(message["status"]):
                        replaced = True
                        await self._not_saved(scope, receive, send)
                        return
                await send(message)

            try:
                await next_app(scope, receive, send_settled)
            finally:
                if not started:  # an exception escaped before any response: nothing is kept
                    await work.settle(500)

    async def _not_saved(self, scope: Scope, receive: Receive, send: Send) -> None:
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope, receive)
        response = self.answer_error(request, Unavailable("request.not_saved", retry_after=RETRY_AFTER_SECONDS))
        await response.to_asgi_response(app=None, request=request)(scope, receive, send)


class UnitOfWork(InitPluginProtocol):
    """Every request's transaction, in one place: the middleware, the ``db_session`` dependency, the exception hook.

    ``answer_error`` renders a domain error the way the app does (a page or JSON), for the 503 of a failed commit.
    """

    def __init__(self, answer_error: ErrorResponse) -> None:
        self.answer_error = answer_error

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        # Outermost of the app's middleware: a 503 that replaces an unsaved success carries none of its headers
        # (such as the session cookie of a login the database did not keep).
        app_config.middleware.insert(0, RequestTransaction(self.answer_error))
        app_config.dependencies["db_session"] = Provide(provide_db_session, sync_to_thread=False)
        app_config.after_exception.append(note_exception)
        return app_config
