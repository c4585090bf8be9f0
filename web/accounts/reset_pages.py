"""Password reset by e-mail: ask for a link (the answer never tells whether the address has an account), open it,
choose a new password; every signed-in session of the account ends (auction.accounts.password_reset)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.password_reset import PasswordResetService, reset_token_hash
from auction.accounts.throttle import Throttle
from auction.accounts.throttle_rules import reset_email_bucket
from auction.clock import Clock
from auction.errors import DomainError
from auction.notifications import notify_address
from auction.settings import Settings
from web.lib.form_errors import FormErrors
from web.lib.rendering import render
from web.lib.visitor import Visitor

Token = Annotated[str, PathParameter(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class PasswordResetPages(Controller):
    @get("/account/password-reset", name="password_reset")
    async def ask_form(self, request: HTMXRequest) -> Template:
        return render(request, "account/password_reset.html.jinja2", sent=False, email="")

    # Requests per address are bounded (web.lib.throttle), and per e-mail below: each one sends a message.
    @post("/account/password-reset", opt={"throttle": "reset"})
    async def ask(
        self,
        request: HTMXRequest,
        data: URLEncodedBody[dict[str, str]],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
        visitor: NamedDependency[Visitor],
    ) -> Template:
        email = data.get("email", "").strip().lower()[:254]
        throttle: Throttle = request.app.state.throttle
        # The same page whatever happens: whether the address has an account, or was asked for too often.
        if "@" in email and await throttle.take(reset_email_bucket(email)) is None:
            lifetime = timedelta(minutes=settings.password_reset_minutes)
            started = await PasswordResetService(db_session, clock).start(email, lifetime)
            if started is not None:
                user, token = started
                await notify_address(
                    db_session,
                    address=user.email,
                    language=user.preferred_language,
                    kind="account.password_reset",
                    params={
                        "reset_link": f"{settings.public_url.rstrip('/')}/account/password-reset/{token}",
                        "minutes": settings.password_reset_minutes,
                    },
                    dedupe_key=f"password_reset:{reset_token_hash(token)}",
                )
        return render(request, "account/password_reset.html.jinja2", sent=True, email=email)

    @get("/account/password-reset/{token:str}", name="password_reset_form")
    async def new_password_form(
        self,
        request: HTMXRequest,
        token: Token,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> Template:
        usable = await PasswordResetService(db_session, clock).usable(token)
        return render(
            request,
            "account/password_reset_form.html.jinja2",
            token=token,
            usable=usable is not None,
            errors=FormErrors(),
        )

    @post("/account/password-reset/{token:str}", status_code=200)
    async def set_password(
        self,
        request: HTMXRequest,
        token: Token,
        data: URLEncodedBody[dict[str, str]],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        visitor: NamedDependency[Visitor],
    ) -> Response[Any]:
        errors = FormErrors()
        try:
            user = await PasswordResetService(db_session, clock).complete(token, data.get("password", ""))
        except DomainError as refusal:
            errors.add_refusal(refusal, visitor.explain)
            return render(
                request,
                "account/password_reset_form.html.jinja2",
                status_code=422,
                token=token,
                usable=refusal.code != "password_reset.invalid",
                errors=errors,
            )
        # Every session of the account has ended (this browser's too, if it was signed in to it): log in anew.
        if request.session.get("user_id") == user.id:
            request.clear_session()
        return render(request, "account/password_reset_form.html.jinja2", token=token, done=True, errors=errors)
