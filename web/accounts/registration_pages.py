"""Bidders sign up: the form re-renders with each problem next to its field (422, swapped in by htmx)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.accounts.models import BidderKind
from auction.accounts.service import AccountService
from auction.errors import DomainError
from web.accounts.forms import parse_registration, submitted_values
from web.lib.form_errors import FormErrors
from web.lib.rendering import is_htmx, redirect, render, safe_next
from web.lib.visitor import Visitor


class RegistrationPages(Controller):
    @get("/register", name="register")
    async def form(
        self,
        request: HTMXRequest,
        visitor: NamedDependency[Visitor],
        next_: Annotated[str | None, QueryParameter(name="next", max_length=500)] = None,
    ) -> Template:
        values = {"bidder_kind": BidderKind.INDIVIDUAL.value, "preferred_language": visitor.language}
        return _form(request, values, FormErrors(), next_=safe_next(next_))

    # Registrations per client address are bounded (web.lib.throttle), as the API's are.
    @post("/register", opt={"throttle": "register"})
    async def register(
        self,
        request: HTMXRequest,
        data: URLEncodedBody[dict[str, str]],
        visitor: NamedDependency[Visitor],
        account_service: NamedDependency[AccountService],
    ) -> Response[Any]:
        registration, errors = parse_registration(data, visitor.gettext)
        if registration is not None:
            try:
                user = await account_service.register_bidder(registration)
            except DomainError as refusal:
                errors.add_refusal(refusal, visitor.explain)
            else:
                request.set_session({"user_id": user.id})
                return redirect(request, safe_next(data.get("next")) or "/")
        return _form(request, submitted_values(data), errors, next_=safe_next(data.get("next")), status_code=422)


def _form(
    request: HTMXRequest,
    values: dict[str, str],
    errors: FormErrors,
    *,
    next_: str | None,
    status_code: int = 200,
) -> Template:
    template = "account/register_form.html.jinja2" if is_htmx(request) else "account/register.html.jinja2"
    return render(request, template, status_code=status_code, values=values, errors=errors, next=next_)
