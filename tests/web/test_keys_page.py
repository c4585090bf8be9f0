"""The bidder's keys page and the bidder forms' signing markup: what passkeys.js finds on the page.

The signing itself runs in a real browser (tests/e2e/test_passkeys.py); here the HTML contract it relies on.
"""

from __future__ import annotations

import json

from tests.kit.page import Page
from tests.kit.world import World
from tests.web.auction_support import Auctioneer
from tests.web.conftest import Client, log_in


async def test_the_keys_page_offers_a_passkey_and_lists_the_accounts_keys(client: Client, world: World) -> None:
    await log_in(client, "bidder")
    page = await client.get("/account/keys?lang=en")
    assert page.status_code == 200
    html = Page(page.text)
    assert html.text("h1") == "My signing keys"
    assert html.value("button#add-passkey", "type") == "button"
    assert html.has('script[type=module][src="/static/js/passkeys.js"]')
    # The words the script shows come with the page, in its language.
    words = json.loads(html.text("script#passkey-messages"))
    assert words["registered"].startswith("Passkey added")
    # The world's bidder holds a software key (the kit's API client): listed, removable, not a passkey.
    assert html.value("#key-list li[data-key-id]", "data-alg") == "ed25519"
    key_id = html.value("#key-list li[data-key-id]", "data-key-id")
    assert html.has(f'#key-list [data-revoke-key="{key_id}"]')
    assert html.value("#f-passkey-label", "name") == "label"


async def test_the_keys_page_speaks_the_readers_language(client: Client, world: World) -> None:
    await log_in(client, "bidder")
    page = await client.get("/account/keys?lang=ru")
    html = Page(page.text)
    assert html.text("h1") == "Мои ключи подписи"
    assert json.loads(html.text("script#passkey-messages"))["action_bid"] == "ставка {amount} на лот №{lot}"


async def test_only_a_logged_in_bidder_or_officer_has_a_keys_page(client: Client, world: World) -> None:
    anonymous = await client.get("/account/keys", follow_redirects=False)
    assert anonymous.status_code in {302, 303}
    assert "/login" in anonymous.headers["location"]
    await log_in(client, "inspector")
    assert (await client.get("/account/keys")).status_code == 403
    # Officers sign results protocols with keys of their own (docs/keys.md 3).
    await log_in(client, "officer_tokmok")
    assert (await client.get("/account/keys")).status_code == 200


async def test_the_apply_form_carries_what_the_passkey_signs(client: Client, auctioneer: Auctioneer) -> None:
    lot_id = await auctioneer.lot()
    await log_in(client, "bidder")
    html = Page((await client.get(f"/lots/{lot_id}?lang=en")).text)
    form = "#participation form.apply-form"
    assert html.value(form, "data-statement-action") == "application.submitted"
    assert html.value(form, "data-lot") == str(lot_id)
    assert html.value(f"{form} input[type=hidden][name=signed]") == ""
    assert html.value(f"{form} input[type=hidden][name=keys]") == ""
    assert html.has('script[type=module][src="/static/js/passkeys.js"]')
