"""A bidder's passkey in the test browser: chromium's virtual WebAuthn authenticator, driven over CDP.

The authenticator is a real one as far as the page, the browser and the server can tell (CTAP2, built in, with user
verification), so registration and every signature go through the very code a phone would run; only the
fingerprint is simulated.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, CDPSession, Page, expect

from tests.e2e.conftest import Site
from tests.kit.world import PASSWORD


@dataclass(frozen=True)
class Authenticator:
    """One virtual authenticator attached to one page, and the CDP session that drives it."""

    cdp: CDPSession
    id: str

    async def credentials(self) -> list[dict[str, Any]]:
        answer = await self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})
        credentials: list[dict[str, Any]] = answer["credentials"]
        return credentials

    async def user_verifies(self, verified: bool) -> None:
        """Whether the next fingerprint matches."""
        await self.cdp.send("WebAuthn.setUserVerified", {"authenticatorId": self.id, "isUserVerified": verified})


async def authenticator(page: Page) -> Authenticator:
    """A platform authenticator on `page` that holds passkeys and verifies its user at once."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable", {"enableUI": False})
    added = await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return Authenticator(cdp, added["authenticatorId"])


async def add_passkey(page: Page, site: Site, label: str = "My phone") -> Authenticator:
    """Give the page an authenticator and register a passkey on it through /account/keys, as a bidder does."""
    device = await authenticator(page)
    await page.goto(f"{site.url}/account/keys")
    label_field = page.locator("#add-passkey").locator("xpath=ancestor::*[self::form or self::section][1]")
    named = label_field.locator("input[name=label]")
    if await named.count():
        await named.fill(label)
    await page.click("#add-passkey")
    await expect(page.locator("#passkey-status")).to_contain_text("Passkey added")
    assert len(await device.credentials()) == 1
    return device


async def confirm(page: Page, says: str | re.Pattern[str] | None = None) -> None:
    """Read the confirmation (when `says` is given, it must say that) and go on to the fingerprint."""
    dialog = page.locator("#passkey-confirm")
    await expect(dialog).to_be_visible()
    if says is not None:
        await expect(page.locator("#passkey-confirm-text")).to_have_text(says)
    await page.click("#passkey-continue")


async def apply_with_passkey(page: Page, site: Site, lot_id: int) -> str:
    """Apply on the lot page, confirming with the passkey; returns the bidder's pseudonym on the lot."""
    await page.goto(f"{site.url}/lots/{lot_id}")
    await page.click("text=Apply to take part")
    await confirm(page, f"Confirm with your fingerprint or screen lock: apply to take part in lot {lot_id}")
    await expect(page.locator("#participation .status")).to_have_text("Awaiting the deposit")
    return await page.locator("#participation code[data-pseudonym]").inner_text()


async def approve(site: Site, lot_id: int, who: str) -> None:
    """The officer confirms `who`'s deposit on the lot through the API."""
    async with httpx.AsyncClient(base_url=site.url) as api:
        mine = await api.get("/api/v1/me/applications", headers=site.world.auth(who))
        assert mine.status_code == 200, mine.text
        [application] = [a for a in mine.json() if a["lot_id"] == lot_id]
        confirmed = await api.post(
            f"/api/v1/applications/{application['id']}/confirm-deposit",
            json={"bank_reference": f"KICB-{who}"},
            headers=site.world.auth("officer_tokmok"),
        )
        assert confirmed.status_code == 200, confirmed.text


async def lot_bodies(site: Site, lot_id: int) -> list[dict[str, Any]]:
    """Every body of the lot's chain, integrated or not yet, in chain order."""
    async with httpx.AsyncClient(base_url=site.url) as api:
        chain = await api.get(f"/api/v1/ledger/lots/{lot_id}/entries")
        assert chain.status_code == 200, chain.text
    answer = chain.json()
    bodies = [json.loads(entry["leaf"])["body"] for entry in answer["integrated"]]
    bodies += [json.loads(entry["body"]) for entry in answer["pending"]]
    return sorted(bodies, key=lambda body: int(body["lot_seq"]))


async def bidder_with_passkey(browser: Browser, site: Site, who: str) -> tuple[BrowserContext, Page]:
    """`who` logged in on a page of their own, with a passkey added on its authenticator."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{site.url}/login?lang=en")
    await page.fill("#f-email", f"{who}@test.kg")
    await page.fill("#f-password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.wait_for_load_state()
    await add_passkey(page, site)
    return context, page
