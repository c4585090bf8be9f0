"""Hostile input is refused at the door, before any parser or the database sees it.

A JSON body is parsed whole and then validated field by field: 7 MB of 400,000 unknown keys held the event loop
for seconds, and a deeply nested one recurses. So every body that is not a form (Litestar parses JSON whatever the
Content-Type says) is read with a byte limit far below the upload limit, and its shape is measured by a scan in
a few regular-expression passes (C speed, linear in the size) before the JSON parser runs: nesting depth and the
number of keys and elements. PostgreSQL refuses the NUL character in text, and a number beyond 64 bits fits no
column: both are refused here with a 4xx too, instead of failing in the database with a 500.

Uploads are multipart and keep their own, larger limit (``request_max_body_size``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from auction.errors import DomainError, InvalidInput, NotFound, TooLarge
from web.lib.fields import DB_INT_MAX

# A bid, an application or a commission message is a few kilobytes; a megabyte is room for any honest body.
JSON_MAX_BYTES = 1024 * 1024
JSON_MAX_DEPTH = 32
JSON_MAX_ITEMS = 10_000

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_INNERMOST = re.compile(rb"\{\}|\[\]")
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
# \u0000 in a JSON string, not preceded by an escaped backslash of its own (an even run of backslashes before it).
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")

ErrorResponse = Callable[[Request[Any, Any, Any], DomainError], Response[Any]]


def json_problem(body: bytes) -> DomainError | None:
    """Why a JSON body is refused before parsing, or None: too deep, too many items, or a NUL character.

    Exact for valid JSON; for invalid JSON the verdict may differ, and the parser refuses it anyway.
    """
    if b"\x00" in body or _NUL_ESCAPE.search(body):
        return InvalidInput("request.nul_character")
    # Escapes go first, so that what remains of every string is a quote, text without quotes, a quote.
    structure = _STRING.sub(b"", _ESCAPE.sub(b"", body))
    items = structure.count(b",") + structure.count(b"[") + structure.count(b"{")
    if items > JSON_MAX_ITEMS:
        return InvalidInput("request.json_too_many_items", limit=JSON_MAX_ITEMS)
    brackets = _NOT_BRACKET.sub(b"", structure)
    # Each pass removes the innermost level; JSON_MAX_DEPTH passes empty any body nested no deeper than that.
    for _ in range(JSON_MAX_DEPTH):
        if not brackets:
            return None
        reduced = _INNERMOST.sub(b"", brackets)
        if reduced == brackets:
            return None  # mismatched brackets: not JSON, which the parser says in its own words
        brackets = reduced
    return InvalidInput("request.json_too_deep", limit=JSON_MAX_DEPTH) if brackets else None


def out_of_range(path_params: dict[str, Any]) -> str | None:
    """The name of a path parameter whose number no column can hold."""
    for name, value in path_params.items():
        if isinstance(value, int) and not -DB_INT_MAX - 1 <= value <= DB_INT_MAX:
            return name
    return None


def _is_form(content_type: str) -> bool:
    return content_type.startswith(("multipart/", "application/x-www-form-urlencoded"))


class InputBounds(ASGIMiddleware):
    """Refuses, before the route's handler parses anything: NUL characters in the address, numbers beyond 64 bits
    in the path, and bodies (other than forms) that are too large, too deep, too many items or carry NUL."""

    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/",)

    def __init__(self, answer_error: ErrorResponse) -> None:
        self.answer_error = answer_error

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        refusal: DomainError | None = None
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
            refusal = InvalidInput("request.nul_character")
        elif (name := out_of_range(scope.get("path_params") or {})) is not None:
            refusal = NotFound("request.number_out_of_range", name=name, limit=str(DB_INT_MAX))
        content_type = _header(scope, b"content-type")
        if refusal is None and scope.get("method") not in {"GET", "HEAD", "OPTIONS"}:
            if content_type.startswith("application/x-www-form-urlencoded"):
                refusal, receive = await _bounded(receive, limit=JSON_MAX_BYTES, check=_form_problem)
            elif not _is_form(content_type):
                declared = _header(scope, b"content-length")
                if declared.isdigit() and int(declared) > JSON_MAX_BYTES:
                    refusal = TooLarge("request.json_too_large", limit_bytes=JSON_MAX_BYTES)
                else:
                    refusal, receive = await _bounded(receive, limit=JSON_MAX_BYTES, check=json_problem)
        if refusal is not None:
            request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope, receive)
            await self.answer_error(request, refusal).to_asgi_response(app=None, request=request)(scope, receive, send)
            return
        await next_app(scope, receive, send)


def _form_problem(body: bytes) -> DomainError | None:
    return InvalidInput("request.nul_character") if b"%00" in body or b"\x00" in body else None


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip().lower()
    return ""


async def _bounded(
    receive: Receive, *, limit: int, check: Callable[[bytes], DomainError | None]
) -> tuple[DomainError | None, Receive]:
    """Reads the body as it streams in, stopping at the limit (the rest is never buffered), checks it, and gives
    the app a ``receive`` that replays it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None, _replay([message], receive)  # the client went away: the app sees the disconnect too
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return TooLarge("request.json_too_large", limit_bytes=limit), receive
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return check(body), _replay([{"type": "http.request", "body": body, "more_body": False}], receive)


def _replay(messages: list[Any], then: Receive) -> Receive:
    """The messages already read, then the client's own (a disconnect, when it comes)."""
    pending = list(messages)

    async def receive() -> Any:
        return pending.pop(0) if pending else await then()

    return receive
