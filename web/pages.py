"""Helpers for server-rendered pages: telling page requests from API ones, and rendering errors as pages."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException
from litestar.response import Template

from auction.errors import DomainError
from web.errors import status_of


def is_page_request(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    return not (path.startswith(("/api/", "/schema", "/static/")))


def handle_page_error(request: Request[Any, Any, Any], exc: DomainError | HTTPException) -> Template:
    if isinstance(exc, DomainError):
        status, _ = status_of(exc)
        message = exc.message
    else:
        status, message = exc.status_code, str(exc.detail)
        if status == 404:
            message = "There is nothing at this address."
    return Template(
        template_name="errors/error.html.jinja2",
        context={"status": status, "message": message, "request": request},
        status_code=status,
    )
