"""Helpers for server-rendered pages: rendering with the shared context, redirects, and errors as pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE, HTTP_500_INTERNAL_SERVER_ERROR

from auction.clock import Clock
from auction.errors import DomainError, NotAuthenticated
from web.lib.errors import status_of
from web.lib.formatting import format_bytes
from web.lib.i18n.catalogs import N_, translate
from web.lib.i18n.domain_messages import explain_refusal
from web.lib.i18n.negotiation import language_of
from web.lib.visitor import visitor_of

AnyRequest = Request[Any, Any, Any]

ERROR_TITLES: dict[int, str] = {
    400: N_("This request cannot be handled"),
    403: N_("You may not do this"),
    404: N_("Not found"),
    405: N_("This address does not take such requests"),
    409: N_("That is no longer possible"),
    413: N_("The file is too large"),
    422: N_("Some values are not acceptable"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("Try again shortly"),
}
NOT_FOUND = N_("There is nothing at this address.")
SERVER_FAILED = N_("Something went wrong on our side; nothing was changed. Try again.")
TOO_LARGE = N_(
    "The file is larger than %(limit)s, the most this site accepts, so nothing was saved. Make it smaller (scan at a "
    "lower resolution, or split a long document into parts) and send it again."
)
FORGED_FORM = N_("The form has expired or was sent from another site. Go back, reload the page and try again.")


def is_page_request(request: AnyRequest) -> bool:
    path = request.url.path
    # The open data files are data, like the API: their refusals are JSON too.
    return not (path.startswith(("/api/", "/schema", "/static/", "/opendata/")))


def is_htmx(request: AnyRequest) -> bool:
    """Whether htmx sent this request (and is not restoring history, which needs the whole page)."""
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


def page_context(request: AnyRequest) -> dict[str, Any]:
    """What every page's layout needs: language, the logged-in user, and the server's now."""
    visitor = visitor_of(request)
    clock: Clock = request.app.state.clock
    return {
        "lang": visitor.language if visitor else language_of(request),
        "user": visitor.account if visitor else None,
        "server_now": visitor.now if visitor else clock.now(),
    }


def render(
    request: AnyRequest,
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    return Template(
        template,
        context={**page_context(request), **context},
        status_code=status_code,
        headers=headers,
    )


def redirect(request: AnyRequest, url: str) -> Response[Any]:
    """See other after a form: a plain 303, or for htmx a client-side redirect (htmx would swap a 303's page)."""
    if not is_htmx(request):
        return Redirect(url, status_code=303)
    response = ClientRedirect(url)
    response.status_code = 200  # ClientRedirect leaves it to the handler, whose POST default is 201
    return response


def safe_next(target: str | None) -> str | None:
    """A local path to return to after logging in; anything that could leave the site is refused."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def login_redirect(request: AnyRequest) -> Response[Any]:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = f"/login?next={quote(here, safe='')}" if request.method == "GET" else "/login"
    return redirect(request, target)


def handle_page_error(request: AnyRequest, exc: DomainError | HTTPException) -> Response[Any]:
    if isinstance(exc, NotAuthenticated | NotAuthorizedException):
        return login_redirect(request)
    language = language_of(request)
    if isinstance(exc, DomainError):
        status, _ = status_of(exc)
        message = explain_refusal(exc, language)
    else:
        status = exc.status_code
        if status >= HTTP_500_INTERNAL_SERVER_ERROR:
            message = translate(language, SERVER_FAILED)  # never the exception's own (English, internal) text
        elif status == 404:
            message = translate(language, NOT_FOUND)
        elif status == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
            # The request's own limit (the largest upload and its form), met before any handler could refuse the file.
            limit = format_bytes(request.app.state.settings.upload_max_bytes, language)
            message = translate(language, TOO_LARGE) % {"limit": limit}
        elif isinstance(exc, PermissionDeniedException):
            # The only 403 raised outside the domain is the CSRF middleware refusing a form.
            message = translate(language, FORGED_FORM)
        else:
            message = str(exc.detail)
    title = translate(language, ERROR_TITLES.get(status, ERROR_TITLES[500 if status >= 500 else 400]))
    wait = getattr(exc, "retry_after", None)
    return render(
        request,
        "errors/error.html.jinja2",
        status_code=status,
        headers={"Retry-After": str(wait)} if isinstance(wait, int) else None,
        status=status,
        title=title,
        message=message,
    )
