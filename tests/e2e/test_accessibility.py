"""Every page of the site passes axe-core with no serious or critical violation, in Kyrgyz, on a phone and a desktop.

The pages come from the app's own routes (every GET handler of the website's router), so a new page fails
`test_every_page_is_visited` until it is listed in `visits` (or in `EXCLUDED`, with the reason). One browser, one
context per role, no sleeps: each page is loaded once, checked at a phone's size, then widened to a desktop's and
checked again. axe-core (a pinned npm devDependency, never served to visitors) comes from node_modules as an init
script of the context, so the site's real Content-Security-Policy stays on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from auction.accounts.models import User
from auction.accounts.password_reset import PasswordResetService
from auction.db.engine import transaction
from auction.errors import Conflict
from auction.lots.models import Lot, LotState
from auction.watching.rules import SearchFilters
from auction.watching.service import WatchService
from tests.conftest import BACKENDS
from tests.e2e.conftest import Site
from tests.e2e.test_site import DESKTOP, PHONE
from tests.kit.drive import Drive
from tests.kit.site import site_ledger_keys
from tests.kit.world import PASSWORD, Format, Stage, World
from web.core import PAGES
from web.lib.i18n.negotiation import LANGUAGE_COOKIE

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LANGUAGE = "ky"
# A phone runs every rule; the desktop every rule but colour contrast, the costliest, whose colours do not change
# with the width (site.css changes only the layout at its breakpoints). The layout rules (a table that scrolls
# sideways must be reachable by keyboard, targets large enough) run at both sizes.
EVERY_RULE: dict[str, Any] = {"resultTypes": ["violations"]}
SIZES: tuple[tuple[str, ViewportSize, dict[str, Any]], ...] = (
    ("phone", PHONE, EVERY_RULE),
    ("desktop", DESKTOP, {**EVERY_RULE, "rules": {"color-contrast": {"enabled": False}}}),
)

# GET page routes that render no page of their own, and why they are not checked.
EXCLUDED = {
    "/lots/{lot_id:int}/live": "an event stream (htmx SSE fragments of the lot page, checked there)",
    "/me/bids/{bid_id:int}/proof-link": "an htmx fragment polled into the lot page after a bid",
    "/me/bids/{bid_id:int}/proof": "a plain-text inclusion proof download",
    "/me/bids/{bid_id:int}/receipt": "a JSON receipt download",
    "/officer/lots/{lot_id:int}/files/{file_id:int}": "a lot document download",
    "/ledger/lots": "a redirect to /ledger/lots/{n} (its refusal page is visited as /ledger/lots?lot=x)",
    "/lots/live": "the event stream the open lot tabs share (htmx SSE fragments of the lot pages, checked there)",
    "/ledger/achyk-verify.pyz": "the offline verifier's download (a Python zipapp, linked from /ledger/verifier)",
    "/statistics.csv": "a CSV download (the statistics page's table by year)",
}

# Run by the page: axe-core's serious and critical violations, one line each.
RUN_AXE = """async (options) => {
  const result = await axe.run(document, options);
  const found = [];
  for (const rule of result.violations) {
    for (const node of rule.nodes) {
      if (node.impact === "serious" || node.impact === "critical") {
        const why = (node.failureSummary.split("\\n")[1] || "").trim();
        found.push(`${rule.id} (${node.impact}) at ${node.target.join(" ")}: ${why}`);
      }
    }
  }
  return found;
}"""


def page_routes() -> set[str]:
    """Every GET route of the website's router (web.core.PAGES; the JSON API and static files are elsewhere)."""
    return {
        route.path
        for route in PAGES.routes
        for handler in getattr(route, "route_handlers", ())
        if "GET" in handler.http_methods
    }


Action = Callable[[Page], Awaitable[None]]


@dataclass(frozen=True)
class Visit:
    """One page to check: where to go, which route it covers, its status, and what to do there first (send a form)."""

    path: str
    route: str
    status: int = 200
    action: Action | None = None


# The lots the pages show: each format at each stage it has (an open or descending lot is decided by the tick that
# closes it, so its "closed" is its "awarded"), built through the services beside the running site.
LOT_STAGES: tuple[tuple[Format, Stage], ...] = (
    ("open", "draft"),
    ("open", "published"),
    ("open", "applications"),
    ("open", "bidding"),
    ("open", "awarded"),
    ("sealed", "draft"),
    ("sealed", "published"),
    ("sealed", "bidding"),
    ("sealed", "closed"),
    ("sealed", "awarded"),
    ("descending", "published"),
    ("descending", "bidding"),
    ("descending", "awarded"),
)
Lots = dict[str, int]  # "format-stage" -> lot id


async def build_lots(world: World) -> Lots:
    """Each lot of LOT_STAGES; a one-minute soft close keeps the drive through each close short."""
    lots: Lots = {}
    for fmt, stage in LOT_STAGES:
        if (fmt, stage) == ("sealed", "awarded"):
            lots["sealed-awarded"] = await opened_sealed_lot(world)
        else:
            lots[f"{fmt}-{stage}"] = await world.lot(stage, fmt, soft_close_minutes=1)
    return lots


async def opened_sealed_lot(world: World) -> int:
    """A sealed lot whose commission posted its shares: the site's own jobs may open it first, or the officer does."""
    drive = Drive(world)
    lot_id = await world.lot("closed", "sealed", soft_close_minutes=1)
    try:
        await drive.open_sealed(lot_id)
    except Conflict:
        assert (await drive.lot(lot_id)).state == LotState.AWARDED
    return lot_id


async def watching_and_reset(world: World, lots: Lots) -> str:
    """The bidder watches two lots and saved a search (so their pages list something); the token of a usable
    password-reset link of an anonymous visitor who forgot theirs."""
    async with transaction(world.sessions) as session:
        bidder = await session.get(User, world.user_ids["bidder2"])
        assert bidder is not None
        watching = WatchService(session, world.clock)
        for name in ("open-published", "sealed-bidding"):
            lot = await session.get(Lot, lots[name])
            assert lot is not None
            await watching.watch(bidder, lot)
        search = SearchFilters(municipality_id=world.municipality["tokmok"], deal="lease", max_price=2_000_000)
        await watching.save_search(bidder, "Токмоктогу ижара", search)
        started = await PasswordResetService(session, world.clock).start("bidder@test.kg", timedelta(days=3650))
        assert started is not None
        return started[1]


async def send_form(page: Page, form: str, values: dict[str, str]) -> None:
    """Fill and send a form that the server refuses, then wait until its problems are on the page."""
    for selector, value in values.items():
        await page.fill(selector, value)
    await page.click(f"{form} button[type=submit]")
    await page.wait_for_selector(".error-summary, .field-error, [aria-invalid=true]", state="visible", timeout=10_000)


async def wrong_login(page: Page) -> None:
    await send_form(page, "form.form", {"#f-email": "nobody@test.kg", "#f-password": "not the password"})


async def bad_registration(page: Page) -> None:
    await send_form(page, "#register-form", {"#f-email": "aigul@example.kg", "#f-identity_number": "12345"})


async def bad_lot(page: Page) -> None:
    await send_form(page, "#lot-form", {"#f-title_ky": "Жер тилкеси", "#f-starting_price": "0"})


async def bad_account(page: Page) -> None:
    # An e-mail address that already has an account.
    await send_form(page, "form[action='/admin/accounts']", {"#f-full_name": "Aibek", "#f-email": "admin@test.kg"})


def visits(lots: Lots, *, unit: int, reset_token: str) -> dict[str, list[Visit]]:
    """Who checks which page: anonymous visitors, a bidder (the winner of the decided lots), an officer, a commission
    member, the administrator and an inspector. Public lot pages in every format and stage; a bidder's, an officer's
    and a member's pages where what they see differs. ``reset_token``: a usable password-reset link's token."""
    lot = "/lots/{lot_id:int}"
    officer_lot = "/officer/lots/{lot_id:int}"
    decided, sealed = lots["open-awarded"], lots["sealed-closed"]
    return {
        "anonymous": [
            Visit("/", "/"),
            Visit("/?q=zzzz", "/"),  # nothing found
            *(Visit(f"/lots/{lots[f'{f}-{s}']}", lot) for f, s in LOT_STAGES if s != "draft"),
            Visit(f"/lots/{decided}/versions", "/lots/{lot_id:int}/versions"),
            Visit(f"/lots/{decided}/protocol", "/lots/{lot_id:int}/protocol"),
            Visit("/login", "/login"),
            Visit("/login", "/login", action=wrong_login),
            Visit("/register", "/register"),
            Visit("/register", "/register", action=bad_registration),
            Visit("/ledger", "/ledger"),
            Visit("/ledger/entries", "/ledger/entries"),
            Visit(f"/ledger/lots/{decided}", "/ledger/lots/{lot_id:int}"),
            Visit("/ledger/verify", "/ledger/verify"),
            Visit("/ledger/lots?lot=x", "/ledger/lots", status=422),
            Visit("/lots/999999", lot, status=404),
            Visit("/help", "/help"),
            Visit("/calendar", "/calendar"),
            Visit("/municipalities/tokmok", "/municipalities/{reference:str}"),
            Visit("/statistics", "/statistics"),
            Visit("/statistics/tokmok", "/statistics/{reference:str}"),
            Visit("/red-flags", "/red-flags"),
            Visit("/red-flags/tokmok", "/red-flags/{reference:str}"),
            Visit("/red-flags/atlantis", "/red-flags/{reference:str}", status=404),
            Visit("/ledger/verifier", "/ledger/verifier"),
            Visit("/account/password-reset", "/account/password-reset"),
            Visit(f"/account/password-reset/{reset_token}", "/account/password-reset/{token:str}"),
        ],
        "bidder2": [
            *(
                Visit(f"/lots/{lots[name]}", lot)
                for name in ("open-published", "open-bidding", "sealed-bidding", "descending-bidding", "open-awarded")
            ),
            Visit("/me/applications", "/me/applications"),
            Visit("/me/bids", "/me/bids"),
            Visit("/account/keys", "/account/keys"),
            Visit("/account/sessions", "/account/sessions"),
            Visit("/account/profile", "/account/profile"),
            Visit("/me/watchlist", "/me/watchlist"),
            Visit("/me/searches", "/me/searches"),
            Visit("/officer/", "/officer", status=403),
        ],
        "officer_tokmok": [
            Visit("/officer/", "/officer"),
            Visit("/officer/lots/new", "/officer/lots/new"),
            Visit("/officer/lots/new", "/officer/lots/new", action=bad_lot),
            *(
                Visit(f"/officer/lots/{lots[name]}", officer_lot)
                for name in (
                    "open-draft",
                    "sealed-draft",
                    "open-published",
                    "sealed-bidding",
                    "sealed-closed",
                    "descending-awarded",
                )
            ),
            Visit(f"/officer/lots/{lots['open-draft']}/edit", "/officer/lots/{lot_id:int}/edit"),
            Visit(f"/officer/lots/{lots['sealed-draft']}/commission", "/officer/lots/{lot_id:int}/commission"),
            *(
                Visit(f"/officer/lots/{lots[name]}/auction", "/officer/lots/{lot_id:int}/auction")
                for name in ("open-applications", "descending-bidding", "sealed-closed", "open-awarded")
            ),
            Visit(f"/officer/lots/{decided}/protocol", "/officer/lots/{lot_id:int}/protocol"),
            Visit(f"/officer/lots/{decided}/contract", "/officer/lots/{lot_id:int}/contract"),
            Visit("/officer/arrears", "/officer/arrears"),
        ],
        "officer2_tokmok": [
            Visit(f"/commission/lots/{lots['sealed-published']}/ceremony", "/commission/lots/{lot_id:int}/ceremony"),
            Visit(f"/commission/lots/{sealed}/opening", "/commission/lots/{lot_id:int}/opening"),
        ],
        "admin": [
            Visit("/admin/", "/admin"),
            Visit(f"/admin/units/{unit}", "/admin/units/{unit_id:int}"),
            Visit("/admin/accounts", "/admin/accounts"),
            Visit("/admin/accounts", "/admin/accounts", action=bad_account),
        ],
        "inspector": [
            Visit("/inspect/admin-log", "/inspect/admin-log"),
            Visit("/inspection", "/inspection"),
        ],
    }


def test_every_page_is_visited() -> None:
    """A new page is checked by axe, or excluded above with a reason: none is skipped silently."""
    routes = page_routes()
    lots = {f"{f}-{s}": 1 for f, s in LOT_STAGES}
    planned = {v.route for role in visits(lots, unit=1, reset_token="t").values() for v in role}
    missing = routes - planned - set(EXCLUDED)
    assert not missing, f"pages no accessibility check visits (add them to visits() or EXCLUDED): {sorted(missing)}"
    assert set(EXCLUDED) <= routes, f"EXCLUDED names routes the site no longer has: {set(EXCLUDED) - routes}"
    assert planned <= routes, f"visits() names routes the site no longer has: {planned - routes}"


async def role_context(browser: Browser, site: Site, who: str) -> tuple[BrowserContext, Page]:
    """A context of its own for `who` (logged in unless anonymous), reading Kyrgyz, with axe in every page.

    Reduced motion: a page is checked as it rests, not halfway through a fade (the site honours the setting).
    """
    context = await browser.new_context(viewport=DESKTOP, reduced_motion="reduce")
    await context.add_cookies([{"name": LANGUAGE_COOKIE, "value": LANGUAGE, "url": site.url}])
    await context.add_init_script(path=AXE)
    page = await context.new_page()
    if who != "anonymous":
        await page.goto(f"{site.url}/login")
        await page.fill("#f-email", f"{who}@test.kg")
        await page.fill("#f-password", PASSWORD)
        await page.click("form.form button[type=submit]")
        await page.wait_for_url(lambda url: "/login" not in url)
    return context, page


async def check(page: Page, site: Site, who: str, visit: Visit) -> list[str]:
    """The page's problems: a wrong status or language, and each serious or critical axe violation at each size."""
    response = await page.goto(f"{site.url}{visit.path}")
    assert response is not None, visit.path
    status = response.status
    if visit.action is not None:
        await visit.action(page)
        status = visit.status  # the refusal may come back as an htmx swap, seen by the page, not by goto
    where = f"{who} {visit.path}{' (form sent)' if visit.action else ''}"
    problems = [f"{where}: HTTP {status}, expected {visit.status}"] if status != visit.status else []
    if (lang := await page.get_attribute("html", "lang")) != LANGUAGE:
        problems.append(f"{where}: <html lang={lang!r}>, not {LANGUAGE!r}")
    for size, viewport, options in SIZES:
        await page.set_viewport_size(viewport)
        found: list[str] = await page.evaluate(RUN_AXE, options)
        problems.extend(f"{where} [{size}]: {line}" for line in found)
    return problems


@pytest.fixture
def first_backend_only(backend: str) -> None:
    """Pages look the same on either database: checked on the first backend only, skipped before a site starts."""
    if backend != BACKENDS[0]:
        pytest.skip(f"accessibility is checked on the {BACKENDS[0]} backend only")


async def test_no_serious_or_critical_violation_on_any_page(
    first_backend_only: None, site: Site, browser: Browser, tmp_path: Path
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: scripts/bootstrap installs it (npm ci)")
    world = site.world
    # The lots are built beside the served site, so their ledger entries are signed with the site's own keys.
    world.keys = site_ledger_keys(tmp_path / "data")
    lots = await build_lots(world)
    reset_token = await watching_and_reset(world, lots)
    problems: list[str] = []
    for who, pages in visits(lots, unit=world.municipality["tokmok"], reset_token=reset_token).items():
        context, page = await role_context(browser, site, who)
        try:
            for visit in pages:
                problems.extend(await check(page, site, who, visit))
        finally:
            await context.close()
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems)
