"""The statistics page on a 360 px phone in chromium: the charts are drawn from the tables (as many bars as the
table has figures), fit the screen, and the page runs under the Content-Security-Policy without a violation."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from playwright.async_api import Browser, ViewportSize

from tests.conftest import BACKENDS
from tests.e2e.conftest import Site
from tests.e2e.test_content_security_policy import Watch

pytestmark = pytest.mark.browser

NARROW: ViewportSize = {"width": 360, "height": 740}


@pytest.fixture
def one_backend(backend: str) -> None:
    """Drawing charts does not depend on the database: the first backend only (before the site starts)."""
    if backend != BACKENDS[0]:
        pytest.skip("the charts do not depend on the database")


async def test_charts_drawn_from_the_tables_on_a_narrow_phone(one_backend: None, site: Site, browser: Browser) -> None:
    await site.world.lot("published")
    await site.world.lot("published")
    context = await browser.new_context(viewport=NARROW, is_mobile=True, has_touch=True)
    page = await context.new_page()
    watch = Watch()
    await watch.attach(context, page)
    # The site's integrator signs a checkpoint over the world's entries within moments; a checkpoint may cover the
    # first lot before the second, so wait until the signed figures count both.
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(base_url=site.url) as api:
        while (await api.get("/api/v1/statistics")).json()["total"]["published"] < 2:
            assert time.monotonic() < deadline, "no signed checkpoint covered both lots"
            await asyncio.sleep(0.5)
    blocked = await watch.visit(page, f"{site.url}/statistics?lang=ky")
    assert await page.locator("#outcomes-table").count() == 1
    assert blocked == []
    chart = page.locator('[data-chart="outcomes"]')
    await chart.locator("svg .ct-bar").first.wait_for(state="attached")
    # Five outcomes stacked for the one year; only "still open" has lots: its bar alone has a length.
    assert await chart.locator("svg .ct-series").count() == 5
    drawn = await chart.locator("svg .ct-bar").evaluate_all(
        "bars => bars.map(bar => Number(bar.getAttribute('ct:value')))"
    )
    assert drawn == [0, 0, 0, 0, 2]
    assert await chart.get_attribute("aria-hidden") == "true"
    box = await chart.bounding_box()
    assert box is not None
    assert box["x"] > 0
    assert box["x"] + box["width"] <= NARROW["width"]
    assert box["height"] > 100
    assert await page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    assert watch.console == []
    await context.close()
