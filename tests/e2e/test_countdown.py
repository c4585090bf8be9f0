"""countdown.js in chromium: a live update that moves the close moves every closing time and countdown on the page
(the header's, the schedule's, the live panel's), not only the panel it swapped in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

pytestmark = pytest.mark.browser

COUNTDOWN_JS = Path(__file__).parents[2] / "web" / "static" / "js" / "countdown.js"
NOW = "2026-06-23T08:59:00.000Z"
CLOSE = "2026-06-23T09:00:00.000000Z"
EXTENDED = "2026-06-23T09:05:00.000000Z"

PAGE = f"""<!doctype html><html><body data-server-now="{NOW}" data-days-label="d">
<header><time id="header-time" datetime="{CLOSE}" data-lot-close>15:00</time>
  <span id="header-countdown" class="countdown" data-lot-close data-deadline="{CLOSE}"></span></header>
<dl><dd><time id="schedule-time" datetime="{CLOSE}" data-lot-close>15:00</time></dd></dl>
<span id="other" class="countdown" data-deadline="{CLOSE}"></span>
<div id="live"></div>
</body></html>"""

# What the server pushes after a bid in the soft-close window: the live state with the extended close.
SWAPPED = f"""<div class="live-state" data-server-now="{NOW}" data-closes-at="{EXTENDED}" data-closes-text="15:05">
  <time datetime="{EXTENDED}" data-lot-close>15:05</time>
  <span id="live-countdown" class="countdown" data-lot-close data-deadline="{EXTENDED}"></span></div>"""


async def test_a_live_extension_moves_every_countdown_on_the_page(browser: Browser) -> None:
    page = await browser.new_page()
    await page.set_content(PAGE)
    await page.add_script_tag(content=COUNTDOWN_JS.read_text())
    # Ticking by the page's server time: a minute or less left to the terms' close.
    await expect(page.locator("#header-countdown")).to_have_text(re.compile(r"^00:0(0:\d\d|1:00)$"))
    # htmx's SSE extension swaps the fragment in and fires htmx:afterSwap on the region.
    await page.evaluate(
        """(html) => {
            const live = document.getElementById("live");
            live.innerHTML = html;
            live.dispatchEvent(new CustomEvent("htmx:afterSwap", {bubbles: true, detail: {target: live}}));
        }""",
        SWAPPED,
    )
    for countdown in ("#header-countdown", "#live-countdown"):
        await expect(page.locator(countdown)).to_have_attribute("data-deadline", EXTENDED)
        await expect(page.locator(countdown)).to_have_text(re.compile(r"^00:0(5:\d\d|6:00)$"))
    for moment in ("#header-time", "#schedule-time"):
        await expect(page.locator(moment)).to_have_attribute("datetime", EXTENDED)
        await expect(page.locator(moment)).to_have_text("15:05")
    # A countdown to another moment (not the lot's close) is left alone.
    await expect(page.locator("#other")).to_have_attribute("data-deadline", CLOSE)
    await page.close()
