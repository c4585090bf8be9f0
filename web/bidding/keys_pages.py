"""The bidder's keys page: their passkeys (made here, in the browser, by passkeys.js) and API keys, and removal.

The page holds no secret and makes no key itself: the browser's authenticator makes the passkey and the key API
(web/bidding/keys_api.py) registers it; this page lists what the account holds.
"""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.accounts.models import User
from auction.bidding.keys import KeyService
from web.bidding.my_pages import provide_bidder
from web.lib.rendering import render


class KeyPages(Controller):
    path = "/account"
    dependencies = {"bidder": Provide(provide_bidder, sync_to_thread=False)}  # noqa: RUF012

    @get("/keys", name="my_keys")
    async def keys(
        self, request: HTMXRequest, bidder: NamedDependency[User], key_service: NamedDependency[KeyService]
    ) -> Template:
        keys = await key_service.keys_of(bidder)
        active = [key for key in keys if key.revoked_at is None]
        removed = [key for key in keys if key.revoked_at is not None]
        return render(request, "account/keys.html.jinja2", keys=active, removed=removed)
