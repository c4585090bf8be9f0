"""Choosing the reader's language: ``?lang=``, then this browser's cookie, then their account's preference, then
the languages their browser asks for (``Accept-Language``), then Russian.

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


def accepted_language(connection: Connection) -> str | None:
    """The language we speak that the browser's ``Accept-Language`` likes best, if any."""
    return negotiate(connection.headers.get("accept-language", ""))


def negotiate(header: str) -> str | None:
    """The best of our languages for an ``Accept-Language`` header (RFC 9110 §12.5.4): the highest weight wins,
    the earlier on a tie; ``ky-KG`` counts as ``ky``; a weight of 0 refuses; ``*`` alone chooses nothing."""
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(header.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if not 0 < weight <= 1:
            continue
        if best is None or (weight, -position) > (best[0], -best[1]):
            best = (weight, position, primary)
    return best[2] if best else None


def settle_language(connection: Connection, language: str) -> None:
    connection.scope.setdefault("state", {})[STATE_KEY] = language


def language_of(connection: Connection) -> str:
    """The request's language: as settled by the visitor dependency, else from the query or the cookie."""
    settled = connection.scope.get("state", {}).get(STATE_KEY)
    if settled in LANGUAGES:
        return str(settled)
    found = chosen_language(connection) or remembered_language(connection) or accepted_language(connection)
    return found or DEFAULT_LANGUAGE


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


def vary_on_language(headers: MutableScopeHeaders) -> None:
    """Say that the page depends on ``Accept-Language``, so a shared cache keeps one copy per language."""
    present = headers.get("vary") or ""
    named = {part.strip().lower() for part in present.split(",")}
    if "*" in named or "accept-language" in named:
        return
    headers["vary"] = f"{present}, Accept-Language" if present else "Accept-Language"


class RememberLanguage(ASGIMiddleware):
    """Keep the language picked with ``?lang=`` in a cookie, so the next page speaks it too; and mark every page as
    varying with ``Accept-Language``, which chooses the language of a visitor who has not picked one."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: Connection = ASGIConnection(scope)
        language = chosen_language(connection)
        cookie = None if language is None else language_cookie(connection.app.state.settings, language)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                vary_on_language(headers)
                if cookie is not None:
                    headers.add("set-cookie", cookie.to_header(header=""))
            await send(message)

        await next_app(scope, receive, send_with_headers)
