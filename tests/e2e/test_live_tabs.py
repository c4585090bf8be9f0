"""Many tabs of live lots in one browser: they share one event stream (web/static/js/live-tabs.js), so the site
stays reachable past the six connections a browser keeps per host over HTTP/1.1, every tab shows each bid, a hidden
tab stops asking for its lot and catches up when shown, and another tab takes over when the leading one closes.
A browser without Web Locks keeps a stream per tab, closed while the tab is hidden.

With one stream per tab (before), the seventh tab's own page never loads: this test then fails at its ``goto``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Browser, Page, Request, expect

from tests.e2e.conftest import Site
from tests.e2e.test_site import DESKTOP
from tests.kit.site import SiteAuction

pytestmark = pytest.mark.browser

TABS = 8  # more than the six connections per host a browser keeps over HTTP/1.1
UPDATE_MS = 10_000  # a bid reaches every tab within the stream's polling (0.5 s) and a relay: "a few seconds"
OPEN_SECONDS = 30.0


@pytest.fixture
def only_postgres(backend: str) -> None:
    """Asked for before the site, so that the other backend skips without starting one."""
    if backend != "postgres":
        pytest.skip("the browser's connections do not depend on the database: one backend is enough")


def ahead(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def lots_asked(request: Request) -> list[int] | None:
    """The lots a request for the shared stream asks for; None for any other request."""
    if "/lots/live?" not in request.url:
        return None
    return sorted(int(lot) for lot in re.findall(r"[?&]lot=(\d+)", request.url))


async def hide(page: Page, hidden: bool) -> None:
    """What the browser does when the tab goes to the background (or comes back): headless tabs are never hidden."""
    await page.evaluate(
        """hidden => {
            Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
            Object.defineProperty(document, "visibilityState", {
                configurable: true, get: () => (hidden ? "hidden" : "visible") });
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )


async def test_eight_tabs_of_two_live_lots_share_one_stream_and_every_tab_shows_each_bid(
    only_postgres: None, site: Site, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as api:
        first, second = SiteAuction(api, site.world), SiteAuction(api, site.world)
        for auction in (first, second):
            await auction.create(
                applications_close_at=ahead(4), bidding_opens_at=ahead(5), bidding_closes_at=ahead(900)
            )
            await auction.admit("bidder")
        await first.until_open(OPEN_SECONDS)
        await second.until_open(OPEN_SECONDS)

        context = await browser.new_context(viewport=DESKTOP)
        asked: list[tuple[Page, list[int]]] = []
        single: list[str] = []

        def seen(request: Request) -> None:
            lots = lots_asked(request)
            if lots is not None:
                asked.append((request.frame.page, lots))
            elif re.search(r"/lots/\d+/live", request.url):
                single.append(request.url)

        context.on("request", seen)
        tabs: list[Page] = []
        for number in range(TABS):
            tab = await context.new_page()
            # The page itself must load: with a stream per tab, the seventh waits for a free connection for ever.
            await tab.goto(f"{site.url}/lots/{(first, second)[number % 2].lot_id}?lang=en", timeout=20_000)
            tabs.append(tab)
        of_first, of_second = tabs[0::2], tabs[1::2]
        both = sorted([first.lot_id, second.lot_id])
        for tab in tabs:
            await expect(tab.locator("#live-price")).to_have_text("No bids yet")

        # Another page of the site loads as usual next to them.
        other = await context.new_page()
        catalog = await other.goto(f"{site.url}/?lang=en", timeout=20_000)
        assert catalog is not None
        assert catalog.ok
        await other.close()

        placed = await first.bid("bidder")
        assert placed.status_code == 201, placed.text
        for tab in of_first:
            await expect(tab.locator("#live-price")).to_have_text("100,000\u00a0som", timeout=UPDATE_MS)
        for tab in of_second:
            await expect(tab.locator("#live-price")).to_have_text("No bids yet")

        # The second lot's tabs go to the background: the shared stream stops asking for that lot...
        async with context.expect_event("request", lambda request: lots_asked(request) == [first.lot_id]):
            for tab in of_second:
                await hide(tab, True)
        placed = await second.bid("bidder")
        assert placed.status_code == 201, placed.text
        # ... and a tab shown again catches up at once, by asking for it again.
        async with context.expect_event("request", lambda request: lots_asked(request) == both):
            await hide(of_second[0], False)
        await expect(of_second[0].locator("#live-price")).to_have_text("100,000\u00a0som", timeout=UPDATE_MS)

        # The leading tab closes: another takes over the stream, and the remaining tabs still see every bid.
        leader = asked[-1][0]
        assert all(page is leader for page, _ in asked), "one tab alone holds the stream"
        async with context.expect_event("request", lambda request: lots_asked(request) is not None):
            await leader.close()
        placed = await first.bid("bidder")
        assert placed.status_code == 201, placed.text
        for tab in of_first:
            if tab is not leader:
                await expect(tab.locator("#live-price")).to_have_text("105,000\u00a0som", timeout=UPDATE_MS)
        assert single == [], "no tab opened a stream of its own"
        await context.close()

        # A browser without Web Locks keeps a stream per tab, as before, but only while the tab is shown.
        plain = await browser.new_context(viewport=DESKTOP)
        await plain.add_init_script("delete Navigator.prototype.locks;")
        tab = await plain.new_page()
        own = re.compile(rf"/lots/{second.lot_id}/live\?")
        async with plain.expect_event("request", lambda request: bool(own.search(request.url))):
            await tab.goto(f"{site.url}/lots/{second.lot_id}?lang=en")
        async with plain.expect_event("requestfailed", lambda request: bool(own.search(request.url))):
            await hide(tab, True)  # closed: the request is cut off
        async with plain.expect_event("request", lambda request: bool(own.search(request.url))):
            await hide(tab, False)
        placed = await second.bid("bidder")
        assert placed.status_code == 201, placed.text
        await expect(tab.locator("#live-price")).to_have_text("105,000\u00a0som", timeout=UPDATE_MS)
        await plain.close()
