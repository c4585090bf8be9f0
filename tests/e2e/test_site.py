"""The site in a real browser: an officer publishes a lot in Kyrgyz, the public finds it, a visitor registers.

Screenshots of the main pages go to tests/artifacts/ (not committed) for a person to look at.
"""

from __future__ import annotations

import re
import struct
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, FilePayload, Page, ViewportSize, expect

from tests.e2e.conftest import Site
from tests.kit.world import PASSWORD, lot_terms

pytestmark = pytest.mark.browser

BISHKEK = ZoneInfo("Asia/Bishkek")
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def bishkek_time(days: int, hour: int, *, workday: bool = False) -> str:
    """A ``datetime-local`` value: that many days from now (or the first weekday after, for bidding, which runs on
    working days only), at ``hour`` on a Bishkek wall clock."""
    day = datetime.now(BISHKEK) + timedelta(days=days)
    while workday and day.weekday() >= 5:
        day += timedelta(days=1)
    return day.replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")


def png(width: int = 480, height: int = 288) -> bytes:
    """A real PNG (a field-and-sky gradient), so that thumbnails in the screenshots are pictures."""
    rows = b"".join(
        b"\x00"
        + b"".join(
            bytes((90 + x // 8, 150 + y // 4, 220 - y // 2)) if y < height // 2 else bytes((70 + x // 10, 120, 40))
            for x in range(width)
        )
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


async def seed_other_lots(site: Site) -> None:
    """Naryn's shop lease, published through the API, so that filtering has something to leave out."""
    auth = site.world.auth("officer_naryn")
    body = lot_terms(
        datetime.now(BISHKEK),
        deal="lease",
        kind="building",
        permitted_use="Retail of food",
        title_ru="Торговое помещение на центральной площади",
        title_ky="Борбордук аянттагы соода жайы",
        title_en="Shop premises on the central square",
        registration_number="1-04-06-0012-0345",
        address="Naryn, central square 1",
        starting_price=30_000_00,
        bid_step=1_000_00,
        deposit=3_000_00,
        lease_term_months=36,
        rent_period="month",
    )
    async with httpx.AsyncClient(base_url=site.url) as api:
        created = await api.post("/api/v1/lots", json=body, headers=auth)
        assert created.status_code == 201, created.text
        published = await api.post(f"/api/v1/lots/{created.json()['id']}/publish", headers=auth)
        assert published.status_code == 200, published.text


async def shot(page: Page, artifacts: Path, name: str, site: Site) -> None:
    await page.screenshot(path=str(artifacts / f"{name}-{site.backend}.png"), full_page=True)


async def test_officer_publishes_in_kyrgyz_and_the_public_finds_the_lot(
    site: Site, browser: Browser, artifacts: Path
) -> None:
    await seed_other_lots(site)
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()

    await page.goto(f"{site.url}/login?lang=ky")
    await expect(page.locator("html")).to_have_attribute("lang", "ky")
    await page.fill("#f-email", "officer_tokmok@test.kg")
    await page.fill("#f-password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.wait_for_url(f"{site.url}/officer/")
    await expect(page.locator("h1")).to_have_text("Кызматкердин кабинети")

    await page.click("text=Жаңы лот")
    await page.wait_for_url(f"{site.url}/officer/lots/new")
    await page.fill("#f-title_ky", "Жибек Жолу көчөсүндөгү жер тилкеси")
    await page.fill("#f-title_ru", "Участок на улице Жибек Жолу")
    await page.select_option("#f-kind", "land_plot")
    await page.fill("#f-registration_number", "1-02-03-0004-0005")
    await page.fill("#f-address", "Токмок ш., Жибек Жолу көч., 14")
    await page.fill("#f-description_ky", "Үй куруу үчүн 0,08 га жер. Суу жана электр жанында.")
    await page.fill("#f-starting_price", "850 000")
    await page.fill("#f-bid_step", "900000")  # larger than the price: refused next to the field
    await page.fill("#f-deposit", "85000")
    # The default rules: 20 days' notice, bidding within working hours on a working day.
    await page.fill("#f-council_decision", "Tokmok city kenesh decision No. 14 of 12.03.2026")
    # Where bidders pay the deposit: without it a lot that takes one is not published.
    await page.fill("#f-payment_recipient", "Токмок шаарынын мэриясы")
    await page.fill("#f-payment_bank", "КР Финансы министрлигинин Борбордук казыналыгы")
    await page.fill("#f-payment_bank_code", "440001")
    await page.fill("#f-payment_account", "4402 0111 0100 0001")
    await page.fill("#f-payment_purpose", "Аукционго катышуу үчүн кепилдик акы")
    await page.fill("#f-applications_close_at", bishkek_time(21, 12))
    await page.fill("#f-bidding_opens_at", bishkek_time(22, 10, workday=True))
    await page.fill("#f-bidding_closes_at", bishkek_time(22, 13, workday=True))
    await page.click("#lot-form button[type=submit]")

    problem = page.locator("#f-bid_step-error")
    await expect(problem).to_have_text("Сунуштун кадамы баштапкы баадан чоң болбойт.")
    assert page.url == f"{site.url}/officer/lots/new"  # htmx swapped the form in place (a 422)
    await expect(page.locator("#f-bid_step")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-title_ky")).to_have_value("Жибек Жолу көчөсүндөгү жер тилкеси")
    await shot(page, artifacts, "officer-lot-form-errors", site)

    await page.fill("#f-bid_step", "42500")
    await page.click("#lot-form button[type=submit]")
    await page.wait_for_url(re.compile(r".*/officer/lots/\d+$"))
    lot_path = page.url.removeprefix(f"{site.url}/officer")

    await page.select_option("#f-kind", "photo")
    photo: FilePayload = {"name": "plot.png", "mimeType": "image/png", "buffer": png()}
    await page.set_input_files("#f-file", files=[photo])
    await page.click("form.upload-form button[type=submit]")
    await page.wait_for_url(re.compile(r".*/officer/lots/\d+#files$"))
    await expect(page.locator("#files")).to_contain_text("plot.png")

    await page.click("text=Лотту жарыялоо")
    await expect(page.locator(".page-head .state")).to_have_text("Арыздар кабыл алынууда")
    await shot(page, artifacts, "officer-lot", site)
    await page.goto(f"{site.url}/officer/")
    await shot(page, artifacts, "officer-console", site)

    # The public catalog filters in place: no reload, and the URL follows so that it can be shared.
    await page.goto(f"{site.url}/")
    await expect(page.locator("#results .card")).to_have_count(2)
    await page.evaluate("window.sameDocument = true")
    await page.locator("#f-q").press_sequentially("жибек", delay=40)
    await expect(page.locator("#results .card")).to_have_count(1)
    await expect(page.locator("#results .card-title")).to_have_text("Жибек Жолу көчөсүндөгү жер тилкеси")
    assert await page.evaluate("window.sameDocument") is True
    assert parse_qs(urlsplit(page.url).query) == {"q": ["жибек"]}  # empty filters stay out of the URL
    await page.select_option("#f-deal", "lease")
    await expect(page.locator("#results .empty")).to_be_visible()
    assert parse_qs(urlsplit(page.url).query) == {"q": ["жибек"], "deal": ["lease"]}
    await page.click("text=Чыпкаларды тазалоо")
    await expect(page.locator("#results .card")).to_have_count(2)
    await page.select_option("#f-kind", "land_plot")
    await expect(page.locator("#results .card")).to_have_count(1)
    await expect(page.locator("#results .card-photo")).to_have_attribute(
        "src", re.compile(r"/api/v1/lots/\d+/files/\d+")
    )
    await shot(page, artifacts, "catalog", site)

    await page.click("#results .card-title a")
    await page.wait_for_url(f"{site.url}{lot_path}")
    await expect(page.locator("h1")).to_have_text("Жибек Жолу көчөсүндөгү жер тилкеси")
    await expect(page.locator(".lot-header .state")).to_have_text("Арыздар кабыл алынууда")
    await expect(page.locator(".terms").first).to_contain_text("850\u00a0000\u00a0сом")
    countdown = page.locator(".lot-header .countdown")
    await expect(countdown).to_have_text(re.compile(r"^2[01]\u00a0күн \d\d:\d\d:\d\d$"))
    before = await countdown.inner_text()
    await expect(countdown).not_to_have_text(before, timeout=3000)  # it ticks
    await expect(page.locator("#bidding")).to_contain_text("Соода башталат")
    await shot(page, artifacts, "lot", site)
    await context.close()


async def test_a_visitor_registers_on_a_phone(site: Site, browser: Browser, artifacts: Path) -> None:
    await seed_other_lots(site)
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="ru-RU")
    page = await context.new_page()
    await page.goto(f"{site.url}/")
    # A first visit speaks the browser's language (Accept-Language: ru-RU).
    await expect(page.locator("html")).to_have_attribute("lang", "ru")
    await shot(page, artifacts, "catalog-phone", site)

    # On a phone the menu is folded behind its button (the compact header).
    await page.click("button.nav-toggle")
    await page.click("text=Регистрация")
    await page.fill("#f-email", "aigul@example.kg")
    await page.fill("#f-password", "a long enough secret")
    await page.fill("#f-full_name", "Айгуль Асанова")
    await page.fill("#f-identity_number", "12345")
    await page.click("#register-form button[type=submit]")
    problem = page.locator("#f-identity_number-error")
    await expect(problem).to_contain_text("Персональный номер — 14 цифр")
    await expect(page.locator(".error-summary")).to_be_focused()
    assert page.url == f"{site.url}/register"
    await shot(page, artifacts, "registration-errors", site)

    await page.fill("#f-password", "a long enough secret")  # never sent back by the server
    await page.fill("#f-identity_number", "21506198500077")
    await page.click("#register-form button[type=submit]")
    await page.wait_for_url(f"{site.url}/")
    await expect(page.locator(".who")).to_contain_text("Айгуль Асанова")
    await context.close()
