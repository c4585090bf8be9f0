"""The confirmation before a binding action, on a phone: a bid typed with an extra zero is shown back in figures and
in words, with a warning that must be confirmed on its own; until it is, nothing is signed and nothing is sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import Site
from tests.e2e.passkeys import add_passkey, apply_with_passkey, approve
from tests.e2e.test_bidding import SCHEDULER_SLACK_MS, scheduled_lot, seconds_ahead
from tests.e2e.test_passkeys import posts_to
from tests.e2e.test_site import PHONE, shot
from tests.kit.world import PASSWORD

pytestmark = pytest.mark.browser

NBSP = "\u00a0"
# Seconds from the lot's creation to its opening: time to log in, add a passkey, apply and be approved.
OPENS_IN = 14


@pytest.fixture(autouse=True)
def _one_backend(backend: str) -> None:
    # What is tested happens in the browser before anything reaches a database: one backend keeps the suite's time.
    if backend != "sqlite":
        pytest.skip("the confirmation dialog is the same on either database; it runs on SQLite")


async def test_a_ten_times_bid_is_shown_in_words_and_signed_only_after_its_second_confirmation(
    site: Site, browser: Browser, artifacts: Path
) -> None:
    # Starting price 100 000 som, bid step 5 000 som (tests/kit/world.py).
    lot_id = await scheduled_lot(
        site,
        applications_close_at=seconds_ahead(OPENS_IN - 1),
        bidding_opens_at=seconds_ahead(OPENS_IN),
        bidding_closes_at=seconds_ahead(600),
    )
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(f"{site.url}/login?lang=en")
    await page.fill("#f-email", "bidder@test.kg")
    await page.fill("#f-password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.wait_for_load_state()
    device = await add_passkey(page, site)
    await apply_with_passkey(page, site, lot_id)
    await approve(site, lot_id, "bidder")

    # The bidder reads the lot in Kyrgyz and types 1 000 000 for 100 000: ten times the starting price.
    await page.goto(f"{site.url}/lots/{lot_id}?lang=ky")
    sent = posts_to(page, f"/lots/{lot_id}/bids")
    await expect(page.locator("#bid-form")).to_be_visible(timeout=(OPENS_IN + 5) * 1000 + SCHEDULER_SLACK_MS)
    # The application made a passkey for this lot alone (docs/keys.md 1.3): it is the one that signs here.
    [before] = [c for c in await device.credentials() if not c["isResidentCredential"]]
    await page.fill("#f-amount", "1000000")
    await page.click("#bid-form button[type=submit]")

    dialog = page.locator("#passkey-confirm")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#passkey-confirm-amount")).to_have_text(
        f"Сунушуңуз: 1{NBSP}000{NBSP}000{NBSP}сом — бир миллион сом"
    )
    warning = page.locator("#passkey-confirm-warning")
    await expect(warning).to_be_visible()
    await expect(warning).to_contain_text(f"баштапкы баадан (100{NBSP}000{NBSP}сом) 10 эсе көп")
    go_on = page.locator("#passkey-continue")
    await expect(go_on).to_be_disabled()
    await shot(page, artifacts, "confirm-far-above-phone", site)

    # Enter on the dialog goes nowhere either: nothing is signed, nothing is sent.
    await page.keyboard.press("Enter")
    await expect(dialog).to_be_visible()
    [still] = [c for c in await device.credentials() if c["credentialId"] == before["credentialId"]]
    assert still["signCount"] == before["signCount"]
    assert sent == []

    # The explicit second confirmation; then the passkey signs once, and the bid is exactly the amount shown.
    await page.check("#passkey-confirm-high")
    await expect(go_on).to_be_enabled()
    await go_on.click()
    await expect(page.locator(".receipt-fresh h3")).to_contain_text(f"1{NBSP}000{NBSP}000{NBSP}сом")
    [after] = [c for c in await device.credentials() if c["credentialId"] == before["credentialId"]]
    assert after["signCount"] > before["signCount"]
    assert len(sent) == 1
    await context.close()
