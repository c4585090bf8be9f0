"""The account's profile: language, contacts, and which notices it gets where."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.clock import Clock
from auction.errors import DomainError, NotAuthenticated
from auction.notifications.kinds import CHANNELS
from auction.notifications.preferences import Choices, PreferenceService
from web.lib.form_errors import FormErrors
from web.lib.i18n.catalogs import N_
from web.lib.rendering import render
from web.lib.visitor import Visitor

# What each notice kind is called on the profile.
KIND_LABELS = {
    "application.received": N_("My application was received"),
    "application.new": N_("A new application on my municipality's lot"),
    "deposit.confirmed": N_("My deposit was confirmed"),
    "application.rejected": N_("My application was rejected"),
    "bidding.opened": N_("Bidding opens"),
    "bid.outbid": N_("Someone bid above me"),
    "auction.extended": N_("Bidding is extended (soft close)"),
    "auction.closed": N_("Bidding closed"),
    "award.won": N_("I won (with the signing deadline)"),
    "deadline.signing": N_("A deadline of mine is near"),
    "deposit.refunded": N_("My deposit was refunded"),
    "officer.deadline": N_("A deadline to act on my municipality's lot is near"),
    "search.match": N_("A new lot matches one of my saved searches"),
    "watch.bidding_opened": N_("Bidding opens on a lot I watch"),
    "watch.extended": N_("Bidding is extended on a lot I watch"),
    "watch.closed": N_("Bidding closed on a lot I watch"),
    "watch.awarded": N_("A lot I watch has a winner"),
    "watch.failed": N_("The auction of a lot I watch did not take place"),
    "watch.cancelled": N_("The auction of a lot I watch was cancelled"),
}
CHANNEL_LABELS = {"email": N_("E-mail"), "sms": N_("SMS"), "telegram": N_("Telegram")}


def _values(choices: Choices) -> dict[str, str]:
    values = {"language": choices.language, "phone": choices.phone, "telegram": choices.telegram}
    values.update({f"channel.{name}": "on" for name in choices.channels})
    values.update({f"kind.{name}": "on" for name in choices.kinds})
    return values


class ProfilePages(Controller):
    @get("/account/profile", name="my_profile")
    async def profile(
        self,
        request: HTMXRequest,
        web_user: NamedDependency[User | None],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> Template:
        if web_user is None:
            raise NotAuthenticated("auth.login_required")
        choices = await PreferenceService(db_session, clock).of(web_user)
        saved = request.query_params.get("saved") == "1"
        return _page(request, choices, _values(choices), FormErrors(), saved=saved)

    @post("/account/profile", status_code=303)
    async def choose(
        self,
        request: HTMXRequest,
        data: URLEncodedBody[dict[str, str]],
        web_user: NamedDependency[User | None],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        visitor: NamedDependency[Visitor],
    ) -> Response[Any]:
        if web_user is None:
            raise NotAuthenticated("auth.login_required")
        service = PreferenceService(db_session, clock)
        try:
            await service.choose(
                web_user,
                language=data.get("language", ""),
                channels=[name for name in CHANNELS if data.get(f"channel.{name}") == "on"],
                kinds=[name for name in KIND_LABELS if data.get(f"kind.{name}") == "on"],
                phone=data.get("phone", "")[:40],
                telegram=data.get("telegram", "")[:80],
            )
        except DomainError as refusal:
            errors = FormErrors()
            errors.add_refusal(refusal, visitor.explain)
            current = await service.of(web_user)
            return _page(request, current, {k: v for k, v in data.items() if k != "_csrf_token"}, errors, 422)
        return Redirect("/account/profile?saved=1", status_code=303)


def _page(
    request: HTMXRequest,
    choices: Choices,
    values: dict[str, str],
    errors: FormErrors,
    status_code: int = 200,
    *,
    saved: bool = False,
) -> Template:
    return render(
        request,
        "account/profile.html.jinja2",
        status_code=status_code,
        values=values,
        errors=errors,
        choosable=[(name, KIND_LABELS[name]) for name in choices.choosable],
        channels=[(name, CHANNEL_LABELS[name]) for name in CHANNELS],
        saved=saved,
    )
