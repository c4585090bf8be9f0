"""Choosing the reader's language: ``?lang=``, then this browser's cookie, then their account's preference, then
Russian.

Reading a page never writes: ``?lang=`` sets the cookie only. An account's language changes only through a form
(POST /language, or logging in after picking one), so a link or an image on another site cannot change it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from auction.settings import Settings
from web.lib.i18n.catalogs import DEFAULT_LANGUAGE, LANGUAGES

LANGUAGE_COOKIE = "achyk_lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
# The language settled for this request is kept in the scope state, where templates and error pages find it.
STATE_KEY = "language"

Connection = ASGIConnection[Any, Any, Any, Any]


def chosen_language(connection: Connection) -> str | None:
    """The language the reader just picked with the switcher (``?lang=``), if it is one we speak."""
    value = connection.query_params.get("lang")
    return value if value in LANGUAGES else None


def remembered_language(connection: Connection) -> str | None:
    value = connection.cookies.get(LANGUAGE_COOKIE)
    return value if value in LANGUAGES else None


def settle_language(connection: Connection, language: str) -> None:
    connection.scope.setdefault("state", {})[STATE_KEY] = language


def language_of(connection: Connection) -> str:
    """The request's language: as settled by the visitor dependency, else from the query or the cookie."""
    settled = connection.scope.get("state", {}).get(STATE_KEY)
    if settled in LANGUAGES:
        return str(settled)
    return chosen_language(connection) or remembered_language(connection) or DEFAULT_LANGUAGE


def switch_url(connection: Connection, language: str) -> str:
    """This page in another language: the same path and query, with ``lang`` replaced."""
    params = [(k, v) for k, v in connection.query_params.multi_items() if k != "lang"]
    params.append(("lang", language))
    return f"{connection.url.path}?{urlencode(params)}"


def language_cookie(settings: Settings, language: str) -> Cookie:
    """The cookie that keeps a language on this browser."""
    return Cookie(
        key=LANGUAGE_COOKIE,
        value=language,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


class RememberLanguage(ASGIMiddleware):
    """Keep the language picked with ``?lang=`` in a cookie, so the next page speaks it too."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: Connection = ASGIConnection(scope)
        language = chosen_language(connection)
        if language is None:
            await next_app(scope, receive, send)
            return
        settings: Settings = connection.app.state.settings
        cookie = language_cookie(settings, language)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message).add("set-cookie", cookie.to_header(header=""))
            await send(message)

        await next_app(scope, receive, send_with_cookie)
