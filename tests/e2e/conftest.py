"""A real site for the browser: ``auction serve`` on a free port over a fresh database, and Debian's chromium."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock, SystemClock
from auction.settings import Settings
from tests.kit.site import DRILL_RULES, start_site
from tests.kit.world import World, build_world

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_INSTALLED = CHROMIUM.exists()


@dataclass(frozen=True)
class Site:
    url: str
    world: World
    backend: str


@pytest.fixture
def site_settings() -> dict[str, str]:
    """The served site's own settings (ACHYK_… variables) beyond the kit's; a test module overrides this fixture."""
    return {}


@pytest.fixture
async def site(
    backend: str,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    site_settings: dict[str, str],
    tmp_path: Path,
) -> AsyncIterator[Site]:
    """The site as deployed: a separate process, its own data directory, the pilot and one account per role."""
    # The server keeps real time; the world's accounts are stamped with it too. The lots are made through
    # the server's API, so the world's own ledger keys sign nothing here.
    world = await build_world(sessions, FrozenClock(SystemClock().now()), settings.ledger_keys())
    # Browser tests run auctions within seconds, whatever the hour: Tokmok trades under drill rules (recorded in the
    # ledger like any rules); Naryn keeps the defaults.
    await world.set_rules("tokmok", DRILL_RULES)
    world.drill = True
    try:
        served = await asyncio.to_thread(start_site, database_url, tmp_path, site_settings)
    except RuntimeError as failure:
        pytest.fail(str(failure))
    try:
        yield Site(served.url, world, backend)
    finally:
        await asyncio.to_thread(served.stop)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM_INSTALLED:
        pytest.skip("/usr/bin/chromium is missing: scripts/test installs it (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()
