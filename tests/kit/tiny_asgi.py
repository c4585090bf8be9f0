"""The smallest ASGI app, as a factory like web.app:create_app: for tests of the server itself (web.serving), whose
workers should start in a moment instead of building the whole site."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def tiny_app() -> App:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    return app
