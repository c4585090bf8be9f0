"""The main pages under the site's Content-Security-Policy in a real browser: every script runs (the import map
included, allowed by its hash), nothing is refused, and the served site sends no ``Server`` banner."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import BrowserContext, ConsoleMessage, Page, expect

from tests.e2e.conftest import Site
from tests.e2e.test_bidding import SCHEDULER_SLACK_MS, logged_in, scheduled_lot
from tests.e2e.test_lot_key import sealed_lot_bidding

pytestmark = pytest.mark.browser

# Every violation is reported to the page as an event; the console line alone could change wording.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


class Watch:
    """The CSP violations of one browser context's pages, from their events and their consoles."""

    def __init__(self) -> None:
        self.console: list[str] = []

    async def attach(self, context: BrowserContext, *pages: Page) -> None:
        await context.add_init_script(RECORD_VIOLATIONS)
        for page in pages:
            page.on("console", self._record)
        context.on("page", lambda page: page.on("console", self._record))

    def _record(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    async def visit(self, page: Page, url: str) -> list[str]:
        """Open `url` and say what the policy blocked there (nothing, for a page of ours)."""
        response = await page.goto(url)
        assert response is not None
        assert "script-src 'self'" in (await response.all_headers())["content-security-policy"], url
        await page.wait_for_load_state("networkidle")
        # The deferred scripts ran: htmx is there, so are its settings from the page.
        assert await page.evaluate("() => typeof htmx === 'object' && htmx.config.allowEval === false"), url
        blocked: list[str] = await page.evaluate("() => window.__cspViolations")
        return blocked + self.console


@pytest.fixture
def only_postgres(backend: str) -> None:
    """Asked for before the site, so that the other backend skips without starting one."""
    if backend != "postgres":
        pytest.skip("the pages and their headers do not depend on the database: one backend is enough")


@pytest.mark.usefixtures("only_postgres")
async def test_the_main_pages_run_their_scripts_and_break_no_rule_of_the_policy(
    site: Site, browser: PlaywrightBrowser
) -> None:
    async with httpx.AsyncClient(base_url=site.url) as http:
        served = await http.get("/")
    assert "server" not in served.headers

    # The sealing page (a sealed lot keyed by its commission, bidding open) and the bidder's keys page.
    sealed = await sealed_lot_bidding(site, browser)
    bidder = Watch()
    await bidder.attach(sealed.bidder, sealed.page)
    assert await bidder.visit(sealed.page, f"{site.url}/lots/{sealed.id}") == []
    # bidding.js checked the lot key's publication in the ledger before it shows the form.
    await expect(sealed.page.locator("#sealed-form")).to_be_visible(timeout=SCHEDULER_SLACK_MS)
    assert await bidder.visit(sealed.page, f"{site.url}/account/keys") == []
    await expect(sealed.page.locator("#key-list li.key").first).to_be_visible()

    # An open lot's page, the inspector's verifier and the officer's console.
    open_lot = await scheduled_lot(site)
    assert await bidder.visit(sealed.page, f"{site.url}/lots/{open_lot}") == []
    assert await bidder.visit(sealed.page, f"{site.url}/ledger/verify") == []

    context, officer_page = await logged_in(browser, site, "officer_tokmok")
    officer = Watch()
    await officer.attach(context, officer_page)
    assert await officer.visit(officer_page, f"{site.url}/officer/") == []
    assert await officer.visit(officer_page, f"{site.url}/officer/lots/{open_lot}") == []

    # The watch sees what the policy stops: an inline script put in by someone else never runs.
    await officer_page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.head.append(s); }"
    )
    assert await officer_page.evaluate("() => window.ran") is None
    assert await officer_page.evaluate("() => window.__cspViolations") == ["script-src-elem blocked inline"]
    await context.close()
    await sealed.bidder.close()
