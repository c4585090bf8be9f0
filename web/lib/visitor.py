"""Who is looking at a page, in which language, and the server's time for the page's countdowns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from auction.accounts.models import Role, User
from auction.accounts.service import remember_language
from auction.clock import Clock
from web.lib.i18n.catalogs import DEFAULT_LANGUAGE, LANGUAGES, translate
from web.lib.i18n.domain_messages import Refusal, explain_refusal
from web.lib.i18n.negotiation import accepted_language, chosen_language, remembered_language, settle_language

STATE_KEY = "visitor"


@dataclass(frozen=True, slots=True)
class Account:
    """What the layout shows of the logged-in user, copied out of the ORM object.

    Error pages render after the request's unit of work rolled back, when the User row is expired.
    """

    id: int
    full_name: str
    role: Role
    municipality_id: int | None

    @classmethod
    def of(cls, user: User | None) -> Account | None:
        if user is None:
            return None
        return cls(user.id, user.full_name, user.role, user.municipality_id)


@dataclass(frozen=True, slots=True)
class Visitor:
    user: User | None
    account: Account | None
    language: str
    now: datetime

    def gettext(self, message: str) -> str:
        return translate(self.language, message)

    def explain(self, refusal: Refusal) -> str:
        """A domain refusal in the visitor's language."""
        return explain_refusal(refusal, self.language)


def provide_visitor(
    request: Request[Any, Any, Any], web_user: NamedDependency[User | None], clock: NamedDependency[Clock]
) -> Visitor:
    """The page's visitor and language (`settle_visitor`)."""
    return settle_visitor(request, web_user, clock)


def settle_visitor(request: Request[Any, Any, Any], user: User | None, clock: Clock) -> Visitor:
    """Settle the page's language: ``?lang=``, else this browser's cookie, else the account's preference, else the
    browser's ``Accept-Language``, else Russian. Nothing is written: a GET must not change an account (the cookie is
    set by RememberLanguage). Error pages find the visitor settled here (`visitor_of`)."""
    preferred = None
    if user is not None and user.preferred_language in LANGUAGES:
        preferred = user.preferred_language
    language = (
        chosen_language(request)
        or remembered_language(request)
        or preferred
        or accepted_language(request)
        or DEFAULT_LANGUAGE
    )
    settle_language(request, language)
    visitor = Visitor(user, Account.of(user), language, clock.now())
    request.scope.setdefault("state", {})[STATE_KEY] = visitor
    return visitor


def guest_of(request: Request[Any, Any, Any], clock: Clock) -> Visitor:
    """The visitor of a page that must not read the database before its handler runs, shown as not logged in.

    The login form's POST counts throttle hits in transactions of their own; on SQLite the request's transaction
    holds the one write lock from its first read (of the logged-in user), so that read must come after them.
    """
    language = chosen_language(request) or remembered_language(request) or accepted_language(request)
    language = language or DEFAULT_LANGUAGE
    settle_language(request, language)
    visitor = Visitor(None, None, language, clock.now())
    request.scope.setdefault("state", {})[STATE_KEY] = visitor
    return visitor


def remember_on_account(user: User, language: str) -> None:
    """Keep a language the user picked on their account too, so it follows them to other devices."""
    if language in LANGUAGES and user.preferred_language != language:
        remember_language(user, language)


def visitor_of(request: Request[Any, Any, Any]) -> Visitor | None:
    """The visitor settled for this request, if a handler asked for one before things went wrong."""
    found = request.scope.get("state", {}).get(STATE_KEY)
    return found if isinstance(found, Visitor) else None
