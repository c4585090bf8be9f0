"""Choosing the site's language with a form: for this browser (a cookie) and, when logged in, for the account.

This is the only way a page changes an account's language: ``?lang=`` on a GET sets the cookie alone, so that
following a link (or loading an image another site points here) changes nothing stored.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect

from auction.accounts.models import User
from auction.accounts.service import remember_language
from auction.errors import InvalidInput
from auction.settings import Settings
from web.lib.i18n.catalogs import LANGUAGES
from web.lib.i18n.negotiation import language_cookie
from web.lib.rendering import safe_next


class LanguagePages(Controller):
    @post("/language", status_code=303)
    async def choose_language(
        self,
        request: HTMXRequest,
        data: URLEncodedBody[dict[str, str]],
        web_user: NamedDependency[User | None],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        """Keep the chosen language on this browser and on the account, then show the same page again."""
        language = str(data.get("language", ""))
        if language not in LANGUAGES:
            raise InvalidInput("account.language_unknown", field="language", languages=", ".join(LANGUAGES))
        if web_user is not None and web_user.preferred_language != language:
            remember_language(web_user, language)
        target = safe_next(str(data.get("next", ""))) or "/"
        return Redirect(target, status_code=303, cookies=[language_cookie(settings, language)])
