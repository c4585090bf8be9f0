"""Logging in and out of the website (server-side sessions, web.lib.sessions; forms carry CSRF tokens), and the
list of the account's signed-in browsers with "sign out everywhere"."""

from __future__ import annotations

import math
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from auction.accounts.models import User
from auction.accounts.service import AccountService
from auction.accounts.throttle_rules import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_MAX_AGE,
    device_of,
    device_token,
    new_device_id,
)
from auction.accounts.web_sessions import WebSessionService
from auction.clock import Clock
from auction.errors import NotAuthenticated, TooManyAttempts
from auction.settings import Settings
from web.accounts.login_form import parse_login
from web.lib.guards import OFFICER_ROLES
from web.lib.i18n.catalogs import N_
from web.lib.i18n.negotiation import remembered_language
from web.lib.rendering import render, safe_next
from web.lib.sessions import current_session_id
from web.lib.throttle import address_of
from web.lib.visitor import Visitor, guest_of, remember_on_account

LOCKED_OUT = N_("Too many failed logins for this e-mail. Wait %(minutes)s minutes and try again.")


class SessionPages(Controller):
    @get("/login", name="login")
    async def login_form(
        self,
        request: HTMXRequest,
        visitor: NamedDependency[Visitor],
        next_: Annotated[str | None, QueryParameter(name="next", max_length=500)] = None,
    ) -> Template:
        return render(request, "account/login.html.jinja2", next=safe_next(next_), email="")

    @post("/login", opt={"throttle": "login"}, status_code=303)
    async def login(
        self,
        request: HTMXRequest,
        data: URLEncodedBody[dict[str, str]],
        clock: NamedDependency[Clock],
        account_service: NamedDependency[AccountService],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        visitor = guest_of(request, clock)  # no database read before the throttle's hits
        login = parse_login(data)
        email, target = login.email, safe_next(login.next)
        key: bytes = request.app.state.device_key
        device = device_of(key, email.lower(), request.cookies.get(DEVICE_COOKIE))
        try:
            user = await account_service.authenticate(email, login.password, source=address_of(request), device=device)
        except NotAuthenticated as refused:
            error, status, headers = visitor.explain(refused), 401, None
        except TooManyAttempts as refused:
            minutes = math.ceil(refused.retry_after / 60)
            error, status = visitor.gettext(LOCKED_OUT) % {"minutes": minutes}, 429
            headers = {"Retry-After": str(refused.retry_after)}
        else:
            # The language picked on this device before logging in is the person's latest choice.
            language = remembered_language(request)
            if language is not None:
                remember_on_account(user, language)
            request.set_session({"user_id": user.id})
            redirect = Redirect(target or ("/officer/" if user.role in OFFICER_ROLES else "/"), status_code=303)
            # This device now has an allowance of its own on this account that no stranger can spend.
            redirect.set_cookie(
                DEVICE_COOKIE,
                device_token(key, user.email, device or new_device_id()),
                max_age=DEVICE_COOKIE_MAX_AGE,
                httponly=True,
                secure=settings.secure_cookies,
                samesite="lax",
            )
            return redirect
        return render(
            request,
            "account/login.html.jinja2",
            status_code=status,
            headers=headers,
            error=error,
            email=email,
            next=target,
        )

    @post("/logout", status_code=303)
    async def logout(self, request: HTMXRequest) -> Redirect:
        """The session's row is revoked (web.lib.sessions): a copy of the cookie is worthless from now on."""
        request.clear_session()
        return Redirect("/", status_code=303)

    @get("/account/sessions", name="my_sessions")
    async def sessions(
        self,
        request: HTMXRequest,
        web_user: NamedDependency[User | None],
        web_session_service: NamedDependency[WebSessionService],
    ) -> Template:
        """The browsers this account is signed in on, with the button that signs them all out."""
        if web_user is None:
            raise NotAuthenticated("auth.login_required")
        items = await web_session_service.live_of(web_user.id, current_session_id(request))
        return render(request, "account/sessions.html.jinja2", items=items)

    @post("/account/sessions/revoke-all", status_code=303)
    async def sign_out_everywhere(
        self,
        request: HTMXRequest,
        web_user: NamedDependency[User | None],
        web_session_service: NamedDependency[WebSessionService],
    ) -> Redirect:
        """Every session of the account ends, this one too: whoever holds a copied cookie is out."""
        if web_user is None:
            raise NotAuthenticated("auth.login_required")
        await web_session_service.revoke_all(web_user.id)
        request.clear_session()
        # As after logging out: the home page (a redirect to the login form is what a refusal looks like).
        return Redirect("/", status_code=303)
