"""One JSON error shape for the API: status, a machine code, a message a person can act on, and problems.

A domain refusal also carries its own ``code`` and ``params`` (auction/refusals.py), and so does each of its
problems, so a client can show it in its reader's language instead of the English ``message``.
"""

from __future__ import annotations

import sys
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import Scope

from auction.db.outage import RETRY_AFTER_SECONDS, is_outage
from auction.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooLarge,
    TooManyAttempts,
    Unavailable,
)
from auction.lots.service import InvalidTerms

STATUS_OF: dict[type[DomainError], tuple[int, str]] = {
    InvalidInput: (422, "invalid_input"),
    NotFound: (404, "not_found"),
    PermissionDenied: (403, "forbidden"),
    NotAuthenticated: (401, "not_authenticated"),
    Conflict: (409, "conflict"),
    TooLarge: (413, "too_large"),
    TooManyAttempts: (429, "too_many_attempts"),
    Unavailable: (503, "unavailable"),
}


def error_body(
    status: int,
    error: str,
    message: str,
    problems: list[dict[str, Any]] | None = None,
    refusal: DomainError | None = None,
) -> dict[str, Any]:
    """``error`` is the kind of failure (``conflict``); ``code`` and ``params`` say which refusal, when it is one."""
    body: dict[str, Any] = {
        "status": status,
        "error": error,
        "message": message,
        "code": refusal.code if refusal else None,
        "params": dict(refusal.params) if refusal else {},
        "problems": problems or [],
    }
    if refusal is not None and refusal.refusal is not None:
        body["refusal"] = refusal.refusal
    return body


def status_of(exc: DomainError) -> tuple[int, str]:
    for kind in type(exc).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return 400, "bad_request"


def domain_problems(exc: DomainError) -> list[dict[str, Any]]:
    if isinstance(exc, InvalidTerms):
        return [p.as_dict() for p in exc.problems]
    if not exc.field:
        return []
    return [{"field": exc.field, "message": exc.message, "code": exc.code, "params": dict(exc.params)}]


def handle_domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    status, code = status_of(exc)
    retry_after = exc.retry_after if isinstance(exc, TooManyAttempts | Unavailable) else None
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Response(
        error_body(status, code, exc.message, domain_problems(exc), exc),
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def validation_problems(exc: ValidationException) -> list[dict[str, str]]:
    """Turn Litestar's/pydantic's error list into field + message pairs."""
    problems = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            key = str(item.get("key") or item.get("loc") or "")
            message = str(item.get("message") or item.get("msg") or "is invalid")
            problems.append({"field": key, "message": _humane(message)})
    return problems


def _humane(message: str) -> str:
    if message.startswith("Extra inputs are not permitted"):
        return "This field is not known; remove it."
    return message


def handle_http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    if isinstance(exc, ValidationException):
        problems = validation_problems(exc)
        fields = ", ".join(p["field"] for p in problems if p["field"])
        message = f"Some values are not acceptable: {fields}." if fields else str(exc.detail)
        return Response(error_body(422, "invalid_input", message, problems), status_code=422)
    if isinstance(exc, NotFoundException):
        return Response(error_body(404, "not_found", "There is nothing at this address."), status_code=404)
    code = exc.status_code
    return Response(error_body(code, "http_error", str(exc.detail)), status_code=code, headers=exc.headers or None)


def answer_status(exc: BaseException) -> int:
    """The status the app answers `exc` with: a refusal's, an HTTP error's, 503 for an outage, else 500."""
    if isinstance(exc, DomainError):
        return status_of(exc)[0]
    if isinstance(exc, HTTPException):
        return exc.status_code
    return HTTP_503_SERVICE_UNAVAILABLE if is_outage(exc) else HTTP_500_INTERNAL_SERVER_ERROR


def outage_refusal() -> Unavailable:
    """What a request that met a database outage is told: come back after Retry-After seconds."""
    return Unavailable("service.unavailable", retry_after=RETRY_AFTER_SECONDS)


def log_server_errors(logger: Any, scope: Scope, traceback: list[str]) -> None:
    """Litestar's exception log hook: the traceback of every exception answered with a 5xx, none of a 4xx.

    Called while the exception is being handled (sys.exc_info() is it), before its handler answers.
    """
    exc = sys.exc_info()[1]
    if exc is None or answer_status(exc) < HTTP_500_INTERNAL_SERVER_ERROR:
        return
    logger.error(
        "request failed",
        status=answer_status(exc),
        method=scope.get("method"),
        path=scope.get("path"),
        traceback="".join(traceback),
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if is_outage(exc):
        return handle_domain_error(request, outage_refusal())
    return Response(
        error_body(500, "internal_error", "Something went wrong on our side; nothing was changed. Try again."),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )
