"""Server-side sessions and CSRF protection of the website, in one middleware.

The session cookie carries only a random id; the database row it names (auction.accounts.web_sessions) says who is
signed in, until when, and whether the session was revoked. Handlers keep the plain ``request.session`` interface:
``{"user_id": n}`` for a signed-in visitor, ``request.set_session({"user_id": n})`` to log in (always under a new
id, so a planted id never becomes a signed-in one) and ``request.clear_session()`` to log out (the row is revoked:
the old cookie is worthless from then on, on every host). Only ``user_id`` is kept.

The row is read and written in the request's unit of work (web.lib.unit_of_work), so a login the database did not
keep hands out no cookie, and a refused request changes no session.

CSRF: a signed-in visitor's token is derived from the session (HMAC of its id's hash), so a token taken from
another session, or from an anonymous page, is refused; anonymous forms (login, registration) use Litestar's
double-submit cookie. Every unsafe request from a browser must also come from our own origin (the ``Origin``
header, or ``Referer`` when there is none). Requests with an ``Authorization`` header (API clients with bearer
tokens, which a cross-site form cannot send) skip both checks, and ``/api/`` routes check the token themselves
where they accept the session (``csrf_header_ok``).
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.datastructures.cookie import Cookie
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.middleware import ASGIMiddleware
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_hash, generate_csrf_token
from litestar.types import ASGIApp, Empty, EmptyType, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.service import AccountService
from auction.accounts.session_rules import SessionLimits
from auction.accounts.web_sessions import WebSessionService
from auction.clock import Clock
from auction.errors import NotAuthenticated, PermissionDenied
from auction.settings import Settings
from web.lib.unit_of_work import WORK, Work
from web.lib.visitor import settle_visitor

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_HEADER = "x-csrftoken"
CSRF_FIELD = "_csrf_token"
CURRENT = "achyk.web_session"

log = logging.getLogger(__name__)


def session_limits(settings: Settings) -> SessionLimits:
    return SessionLimits(
        lifetime=timedelta(seconds=settings.session_lifetime_seconds),
        idle=timedelta(seconds=settings.session_idle_seconds),
    )


def cookie_names(settings: Settings) -> tuple[str, str]:
    """The session and CSRF cookies; over HTTPS with the ``__Host-`` prefix, which browsers accept only from this
    very host, with Secure and Path=/ and no Domain, so a sibling subdomain cannot plant or overwrite them."""
    prefix = "__Host-" if settings.secure_cookies else ""
    return f"{prefix}achyk_session", f"{prefix}csrftoken"


@dataclass(frozen=True, slots=True)
class Live:
    """What a request needs of its live session row."""

    id: int
    user_id: int
    token_hash: str


@dataclass
class Current:
    """The session the request came with (None: anonymous) and the CSRF token its pages must send back."""

    row: Live | None
    data: dict[str, Any]
    csrf_token: str
    had_cookie: bool


def current_session_id(request: Request[Any, Any, Any]) -> int | None:
    """The id of the row of the request's live session, for the sessions list to mark "this device"."""
    current: Current | None = request.scope.get("state", {}).get(CURRENT)
    return current.row.id if current is not None and current.row is not None else None


def csrf_header_ok(request: Request[Any, Any, Any]) -> bool:
    """Whether a signed-in browser's request carries its own session's CSRF token in ``x-csrftoken`` (the /api/
    routes that accept the session cookie ask this; a token of another session or an anonymous page fails)."""
    current: Current | None = request.scope.get("state", {}).get(CURRENT)
    sent = request.headers.get(CSRF_HEADER, "")
    if current is None or current.row is None or not sent:
        return False
    return hmac.compare_digest(sent, current.csrf_token)


class ServerSessions(ASGIMiddleware):
    """Resolves the session cookie to a live session, checks CSRF and origin, and records logins and logouts."""

    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/",)

    def __init__(self, settings: Settings) -> None:
        self.secret = settings.resolved_secret_key()
        self.secure = settings.secure_cookies
        self.limits = session_limits(settings)
        self.session_cookie, self.csrf_cookie = cookie_names(settings)
        self.extra_origin = urlsplit(settings.resolved_webauthn_origin).netloc

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        work: Work | None = scope.get("state", {}).get(WORK)
        if work is None:  # no unit of work, no database: nothing here reads the session
            await next_app(scope, receive, send)
            return
        app = scope["litestar_app"]
        request: Request[Any, Any, Any] = app.request_class(scope, receive)
        service = WebSessionService(work.session, app.state.clock, self.limits)
        token = request.cookies.get(self.session_cookie)
        row = await self._resume(app.state.sessions, app.state.clock, token) if token else None
        data: dict[str, Any] = {"user_id": row.user_id} if row is not None else {}
        scope["session"] = data
        anonymous_token = self._anonymous_token(request.cookies.get(self.csrf_cookie))
        expected = self._session_token(row) if row is not None else anonymous_token
        current = Current(row, data, expected, had_cookie=bool(token))
        scope.setdefault("state", {})[CURRENT] = current

        is_api = scope["path"].startswith("/api/")
        if request.method not in SAFE_METHODS and "authorization" not in request.headers:
            self._check_origin(request)
            if not is_api:
                await self._check_token(request, current)
                receive = _replaying(ScopeState.from_scope(scope).body, receive)
        ScopeState.from_scope(scope).csrf_token = expected
        set_csrf_cookie = not is_api and row is None and request.cookies.get(self.csrf_cookie) != anonymous_token

        async def send_recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                await self._record(request, service, current, headers)
                if set_csrf_cookie and scope.get("session") is current.data:
                    headers.add("set-cookie", self._cookie(self.csrf_cookie, anonymous_token, httponly=False))
            await send(message)

        await next_app(scope, receive, send_recording)

    async def _resume(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, token: str) -> Live | None:
        """The cookie's live session, read in a short transaction of its own: the request's unit of work must not
        start before the route's guards have read what they need (on SQLite a transaction locks the database)."""
        async with sessions() as session:
            row = await WebSessionService(session, clock, self.limits).resume(token)
            if row is None:
                return None
            live = Live(row.id, row.user_id, row.token_hash)
            if session.dirty:
                try:
                    await session.commit()
                except Exception:
                    # Only the "last seen" time is lost; the visitor stays signed in.
                    log.warning("could not note the session's last use", exc_info=True)
            return live

    async def _record(
        self,
        request: Request[Any, Any, Any],
        service: WebSessionService,
        current: Current,
        headers: MutableScopeHeaders,
    ) -> None:
        """Carry a login, a logout or a stale cookie of this request into the table and the response's cookies."""
        now = request.scope.get("session")
        if now is current.data:
            if current.had_cookie and current.row is None:
                headers.add("set-cookie", self._expired(self.session_cookie))
            return
        # The handler logged in or out: the session the request came with ends either way.
        if current.row is not None:
            await service.revoke(current.row.id)
        user_id = now.get("user_id") if isinstance(now, dict) else None
        if isinstance(user_id, int):
            token, _ = await service.start(user_id, request.headers.get("user-agent", ""))
            cookie = self._cookie(self.session_cookie, token, httponly=True, max_age=self.limits.lifetime)
            headers.add("set-cookie", cookie)
        elif current.had_cookie:
            headers.add("set-cookie", self._expired(self.session_cookie))

    def _check_origin(self, request: Request[Any, Any, Any]) -> None:
        """Refuse a browser's change sent from another site's page (absent both headers, the token decides)."""
        origin = request.headers.get("origin")
        if origin is None:
            referer = request.headers.get("referer")
            if not referer:
                return
            origin = referer
        parts = urlsplit(origin)
        host = request.headers.get("host", "")
        ours = {host, self.extra_origin} - {""}
        scheme_ok = parts.scheme == "https" or (parts.scheme == "http" and not self.secure)
        if not scheme_ok or parts.netloc not in ours:
            shown = f"{parts.scheme}://{parts.netloc}" if parts.netloc else origin[:100]
            raise PermissionDenied("auth.cross_origin", origin=shown)

    async def _check_token(self, request: Request[Any, Any, Any], current: Current) -> None:
        sent = request.headers.get(CSRF_HEADER)
        content_type, _ = request.content_type
        if not sent and content_type in {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}:
            try:
                form = await request.form()
            except RequestEntityTooLarge:
                # Refused before any handler settled the visitor: the page still greets them, in their language.
                await self._settle_visitor(request, current)
                raise
            field = form.get(CSRF_FIELD)
            sent = field if isinstance(field, str) else None
        if sent and current.csrf_token and hmac.compare_digest(sent, current.csrf_token):
            return
        if current.had_cookie and current.row is None:
            # The page was made for a session that has ended since: logging in again is the way on.
            raise NotAuthenticated("auth.session_ended")
        raise PermissionDenied("auth.csrf_failed")

    async def _settle_visitor(self, request: Request[Any, Any, Any], current: Current) -> None:
        """The visitor of an error page raised here, read in a short transaction (the request's will roll back)."""
        clock = request.app.state.clock
        if current.row is None:
            settle_visitor(request, None, clock)
            return
        async with request.app.state.sessions() as session:
            user = await AccountService(session, clock).get(current.row.user_id)
            # Settled while the session is open: the layout's account is copied out of the row here.
            settle_visitor(request, user if user is not None and user.is_active else None, clock)

    def _session_token(self, row: Live) -> str:
        return hmac.new(self.secret.encode(), f"csrf|{row.token_hash}".encode(), sha256).hexdigest()

    def _anonymous_token(self, cookie: str | None) -> str:
        """The anonymous double-submit token: the cookie's, when it is one we signed, else a new one."""
        if cookie and len(cookie) > CSRF_SECRET_LENGTH:
            head, tail = cookie[:CSRF_SECRET_LENGTH], cookie[CSRF_SECRET_LENGTH:]
            if hmac.compare_digest(tail, generate_csrf_hash(head, self.secret)):
                return cookie
        return generate_csrf_token(self.secret)

    def _cookie(self, key: str, value: str, *, httponly: bool, max_age: timedelta | None = None) -> str:
        cookie = Cookie(
            key=key,
            value=value,
            path="/",
            secure=self.secure,
            httponly=httponly,
            samesite="lax",
            max_age=int(max_age.total_seconds()) if max_age is not None else None,
        )
        return cookie.to_header(header="")

    def _expired(self, key: str) -> str:
        return Cookie(key=key, value="", path="/", secure=self.secure, httponly=True, max_age=0).to_header(header="")


def _replaying(body: bytes | EmptyType, receive: Receive) -> Receive:
    """``receive`` as the app must see it once the token was read from a form: the body read, then the client's
    own messages. Litestar's requests share the cached body, but a middleware further in (web.lib.input_bounds)
    reads the raw stream, and under a real server it would wait for a body that has already arrived."""
    if body is Empty:
        return receive
    pending: list[Any] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Any:
        return pending.pop() if pending else await receive()

    return replayed
