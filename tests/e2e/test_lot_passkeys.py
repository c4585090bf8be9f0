"""A passkey per lot, in a real browser: applying makes a new passkey for that lot alone, so the public ledger does
not link one bidder's lots by a shared key (docs/keys.md 1.3); ticking the way out registers the account's passkey.

chromium's virtual authenticator (CDP) stands in for the phone: it shows whether the lot keys replaced the account's
discoverable passkey (they must not) and whether they are discoverable themselves (they should not be).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from auction.ledger.verifier import statements
from tests.e2e.conftest import Site
from tests.e2e.passkeys import add_passkey, apply_with_passkey, approve, confirm, lot_bodies
from tests.e2e.test_bidding import SCHEDULER_SLACK_MS, logged_in, scheduled_lot, seconds_ahead

pytestmark = pytest.mark.browser

NBSP = "\u00a0"
# Time to add the account passkey and apply to three lots (two prompts each) before the first two open.
OPENS_IN = 24


@pytest.fixture
def only_postgres(backend: str) -> None:
    """Asked for before the site, so that the other backend skips without starting one."""
    if backend != "postgres":
        pytest.skip("the page's choice of keys does not depend on the database: one backend is enough")


@pytest.mark.usefixtures("only_postgres")  # the page's choice of keys does not depend on the database
async def test_each_lot_gets_its_own_passkey_unless_the_bidder_chooses_to_link_them(
    site: Site, browser: Browser
) -> None:
    schedule: dict[str, Any] = {
        "applications_close_at": seconds_ahead(OPENS_IN - 1),
        "bidding_opens_at": seconds_ahead(OPENS_IN),
        "bidding_closes_at": seconds_ahead(600),
    }
    first, second = await scheduled_lot(site, **schedule), await scheduled_lot(site, **schedule)
    linked = await scheduled_lot(site, **schedule)
    context, page = await logged_in(browser, site, "bidder")
    device = await add_passkey(page, site)
    [account_credential] = await device.credentials()
    async with httpx.AsyncClient(base_url=site.url) as api:
        mine = await api.get("/api/me/keys", headers=site.world.auth("bidder"))
    [account_key] = [row for row in mine.json() if row["credential_id"]]
    account_object = {"alg": account_key["alg"], "public_key": account_key["public_key"], "rp_id": "localhost"}

    for lot_id in (first, second):
        await apply_with_passkey(page, site, lot_id)
        await approve(site, lot_id, "bidder")
    # The way out: the account's passkey, knowingly linking this lot to any other it is on.
    await page.goto(f"{site.url}/lots/{linked}")
    await page.check("#f-reuse-key")
    await page.click("text=Apply to take part")
    await confirm(page, f"Confirm with your fingerprint or screen lock: apply to take part in lot {linked}")
    await expect(page.locator("#participation .status")).to_have_text("Awaiting the deposit")

    applied = {}
    for lot_id in (first, second, linked):
        [application] = [b for b in await lot_bodies(site, lot_id) if b["kind"] == "application.submitted"]
        applied[lot_id] = application["payload"]["keys"]
    [first_key], [second_key] = applied[first], applied[second]
    assert first_key != second_key
    assert account_object not in (first_key, second_key)
    assert first_key["alg"] == second_key["alg"] == "webauthn-es256"
    assert account_object in applied[linked]
    assert first_key not in applied[linked]
    assert second_key not in applied[linked]

    # On the device: the account's passkey is still there and still discoverable (a lot key with the account's user
    # handle would have replaced it); the two lot keys are there too, not discoverable.
    credentials = {c["credentialId"]: c for c in await device.credentials()}
    assert credentials[account_credential["credentialId"]]["isResidentCredential"] is True
    lot_credentials = [c for c in credentials.values() if c["credentialId"] != account_credential["credentialId"]]
    assert len(lot_credentials) == 2
    assert not any(c["isResidentCredential"] for c in lot_credentials)
    assert all(c["userHandle"] != account_credential["userHandle"] for c in lot_credentials)

    # The keys page lists them by lot.
    await page.goto(f"{site.url}/account/keys")
    for lot_id in (first, second):
        listed = page.locator("#key-list li", has_text=re.compile(rf"Lot {lot_id}\b"))
        await expect(listed).to_contain_text("passkey for this lot only")

    # A bid on each lot is signed by that lot's own key, and accepted.
    for lot_id, key in ((first, first_key), (second, second_key)):
        await page.goto(f"{site.url}/lots/{lot_id}")
        await expect(page.locator("#bid-form")).to_be_visible(timeout=(OPENS_IN + 5) * 1000 + SCHEDULER_SLACK_MS)
        await page.fill("#f-amount", "100000")
        await page.click("#bid-form button[type=submit]")
        await confirm(page, f"Confirm with your fingerprint or screen lock: bid 100,000{NBSP}som on lot {lot_id}")
        await expect(page.locator(".receipt-fresh h3")).to_have_text(f"Your bid is accepted: 100,000{NBSP}som")
        [bid] = [b for b in await lot_bodies(site, lot_id) if b["kind"] == "bid.placed"]
        assert statements.parse_signed(bid["payload"]["signed"])["key_id"] == statements.key_id(key)
    await context.close()


# WebKit lets one click start one WebAuthn call: the get() after the lot key's create() may be refused
# (NotAllowedError) though the key is made. The page refuses the next `times` get() calls that way.
REFUSE = """([call, times, name]) => {
  const original = navigator.credentials[call].bind(navigator.credentials);
  let left = times;
  navigator.credentials[call] = (options) => {
    if (left > 0) {
      left -= 1;
      return Promise.reject(new DOMException("refused", name));
    }
    return original(options);
  };
}"""


@pytest.mark.usefixtures("only_postgres")
async def test_a_lot_key_made_before_a_refused_signature_signs_the_application_on_a_click_of_its_own(
    site: Site, browser: Browser
) -> None:
    lot_id = await scheduled_lot(site)
    context, page = await logged_in(browser, site, "bidder")
    device = await add_passkey(page, site)
    await page.goto(f"{site.url}/lots/{lot_id}")
    # A device that cannot make another passkey is pointed to the way out.
    await page.evaluate(REFUSE, ["create", 1, "ConstraintError"])
    await page.click("text=Apply to take part")
    await confirm(page)
    ready = page.locator("#participation .passkey-status")
    await expect(ready).to_contain_text(
        f"This device cannot make a new passkey for lot {lot_id}. Tick “Use my existing passkey (links my lots)”"
    )
    assert len(await device.credentials()) == 1

    await page.evaluate(REFUSE, ["get", 2, "NotAllowedError"])
    await page.click("text=Apply to take part")
    await confirm(page)
    await expect(ready).to_contain_text(f"Your passkey for lot {lot_id} is ready: sign the application with it.")
    [lot_credential] = [c for c in await device.credentials() if not c["isResidentCredential"]]

    # Applying again reuses the key made for this lot (refused once more here), rather than making another.
    await page.click("text=Apply to take part")
    await confirm(page)
    await expect(ready).to_contain_text(f"Your passkey for lot {lot_id} is ready")
    assert len(await device.credentials()) == 2

    await page.click("#participation button.lot-key-sign")
    await expect(page.locator("#participation .status")).to_have_text("Awaiting the deposit")
    assert len(await device.credentials()) == 2
    [application] = [b for b in await lot_bodies(site, lot_id) if b["kind"] == "application.submitted"]
    [key] = application["payload"]["keys"]
    async with httpx.AsyncClient(base_url=site.url) as api:
        mine = (await api.get("/api/me/keys", headers=site.world.auth("bidder"))).json()
    [lot_row] = [row for row in mine if row["lot_key"]]
    # CDP gives the credential id in standard base64, the API in base64url.
    made = lot_credential["credentialId"].replace("+", "-").replace("/", "_").rstrip("=")
    assert lot_row["credential_id"].rstrip("=") == made
    assert key["public_key"] == lot_row["public_key"]
    signed = statements.parse_signed(application["payload"]["signed"])
    assert signed["key_id"] == statements.key_id(key)
    # seen_at is the device's time rounded down to 10 s: its offset from the entry's `at` links nothing.
    assert re.fullmatch(r".*:\d0\.000000Z", signed["seen_at"]), signed["seen_at"]
    await context.close()
