"""A phone (390x844) in chromium: the winner finds the result and the "sign" action on the first screen of a long
lot page, and the site's header stays compact, its menu folded behind an accessible button."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.conftest import BACKENDS
from tests.e2e.conftest import Site
from tests.e2e.test_site import PHONE
from tests.kit.site import SiteAuction
from tests.kit.world import PASSWORD

pytestmark = pytest.mark.browser

# A description long enough to make the lot page thousands of pixels tall on a phone.
LONG_DESCRIPTION = "\n\n".join(
    f"Paragraph {number}: the plot lies on the edge of the town, with water, power and a paved road at its border."
    for number in range(60)
)


@pytest.fixture
def one_backend(backend: str) -> None:
    """The layout is the same on every database: run on the first backend only (before the site starts)."""
    if backend != BACKENDS[0]:
        pytest.skip("the page layout does not depend on the database")


def ahead(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def awarded_lot(site: Site) -> int:
    """A lot with a long description, bid on once by "bidder" (two admitted), closed and awarded by the server."""
    async with httpx.AsyncClient(base_url=site.url) as api:
        auction = SiteAuction(api, site.world)
        lot_id = await auction.create(
            description_en=LONG_DESCRIPTION,
            applications_close_at=ahead(3),
            bidding_opens_at=ahead(3.5),
            bidding_closes_at=ahead(7),
            soft_close_minutes=1,
            max_extension_minutes=0,
        )
        await auction.admit("bidder")
        await auction.admit("bidder2")
        await auction.until_open(20)
        placed = await auction.bid("bidder")
        assert placed.status_code == 201, placed.text
        deadline = time.monotonic() + 30
        while (await auction.state())["state"] != "awarded":
            assert time.monotonic() < deadline, await auction.state()
            await asyncio.sleep(0.25)
    return lot_id


async def test_on_a_phone_the_winner_signs_from_the_first_screen_under_a_compact_header(
    one_backend: None, site: Site, browser: Browser
) -> None:
    lot_id = await awarded_lot(site)
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(f"{site.url}/login?lang=en")
    await page.fill("#f-email", "bidder@test.kg")
    await page.fill("#f-password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.wait_for_load_state()
    await page.goto(f"{site.url}/lots/{lot_id}?lang=en")

    assert await page.evaluate("document.documentElement.scrollHeight") > 3 * PHONE["height"]
    sign = page.get_by_role("button", name="Sign for the lot")
    await expect(sign).to_have_text("Sign for the lot")
    box = await sign.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= PHONE["height"], box  # on the first screen, with no scrolling
    result = await page.locator("#results .awards").bounding_box()
    assert result is not None
    assert result["y"] < PHONE["height"], result

    header = await page.locator("header.site-header").bounding_box()
    assert header is not None
    assert header["height"] < 120, header
    menu = page.locator("button.nav-toggle")
    await expect(menu).to_have_attribute("aria-expanded", "false")
    await expect(page.locator("#main-nav")).to_be_hidden()
    await menu.click()
    await expect(menu).to_have_attribute("aria-expanded", "true")
    await expect(page.locator("#main-nav").get_by_text("My bids and receipts")).to_be_visible()
    await context.close()
