"""The catalog's orders (closing soon, price, newest) with its filters and keyset pages, the API's same sort and
cursor, and the calendar of upcoming auctions by day in Bishkek."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.kit.page import Page
from tests.kit.world import World, kit_schedule
from tests.web.conftest import Client, create_lot

HTMX = {"HX-Request": "true"}
DAYS = {
    "en": ["June 23, 2026", "June 24, 2026"],
    "ru": ["23 июня 2026 г.", "24 июня 2026 г."],
    "ky": ["2026-ж., 23-июнь", "2026-ж., 24-июнь"],
}


def lot_links(html: str, selector: str = "h2.card-title > a") -> list[int]:
    return [int(str(link["href"]).removeprefix("/lots/")) for link in Page(html).all(f'{selector}[href^="/lots/"]')]


async def priced_lots(client: Client, world: World) -> tuple[list[int], int]:
    """Three sales at 300, 100 and 200 thousand som closing 3, 1 and 2 hours after opening, and a lease that opens
    the next day."""
    _, opens, _ = kit_schedule(client.app.state.clock.now())
    sales = [
        await create_lot(
            client,
            world,
            starting_price=price * 1000_00,
            bidding_closes_at=(opens + timedelta(hours=hours)).isoformat(),
        )
        for price, hours in ((300, 3), (100, 1), (200, 2))
    ]
    lease = await create_lot(
        client,
        world,
        bidding_opens_at=(opens + timedelta(days=1)).isoformat(),
        bidding_closes_at=(opens + timedelta(days=1, hours=3)).isoformat(),
        deal="lease",
        kind="building",
        permitted_use="Retail",
        lease_term_months=12,
        rent_period="month",
        starting_price=50_000_00,
    )
    return sales, lease


async def test_the_catalog_sorts_and_pages_within_its_filters_and_a_calendar_lists_the_auctions_by_day(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("web.catalog.views.PAGE_SIZE", 2)
    (dear, cheap, middle), lease = await priced_lots(client, world)

    first = await client.get("/?deal=sale&sort=price_low&lang=en")
    page = Page(first.text)
    assert lot_links(first.text) == [cheap, middle]
    assert page.value("#f-sort option[selected]") == "price_low"
    url = page.value('a[rel="next"]', "href")
    assert "deal=sale" in url
    assert "sort=price_low" in url
    second = await client.get(url, headers=HTMX)
    assert lot_links(second.text) == [dear]  # the lease stays filtered out, the order goes on

    assert lot_links((await client.get("/?deal=sale&sort=price_high&lang=en")).text) == [dear, middle]
    soon = await client.get("/?deal=sale&sort=closing_soon&lang=en")
    assert lot_links(soon.text) == [cheap, middle]
    assert lot_links((await client.get(Page(soon.text).value('a[rel="next"]', "href"))).text) == [dear]
    assert lot_links((await client.get("/?sort=newest&lang=en")).text) == [lease, middle]
    # A cursor of another order is refused politely, not misread.
    other = await client.get(url.replace("sort=price_low", "sort=closing_soon"))
    assert "The page cursor is not one this catalog gave out." in Page(other.text).text("main")

    api = await client.get("/api/v1/lots", params={"deal": "sale", "sort": "closing_soon", "limit": 2})
    assert [item["id"] for item in api.json()["items"]] == [cheap, middle]
    cursor = api.json()["next_cursor"]
    rest = await client.get(
        "/api/v1/lots", params={"deal": "sale", "sort": "closing_soon", "limit": 2, "cursor": cursor}
    )
    assert [item["id"] for item in rest.json()["items"]] == [dear]
    assert rest.json()["next_cursor"] is None
    refused = await client.get("/api/v1/lots", params={"sort": "price_low", "cursor": cursor})
    assert refused.status_code == 422
    assert refused.json()["code"] == "catalog.cursor_invalid"

    # The calendar, linked from the catalog: by the day bidding opens in Bishkek, in each language.
    for language, days in DAYS.items():
        catalog = Page((await client.get(f"/?lang={language}")).text)
        assert catalog.has('a[href="/calendar"]')
        page = Page((await client.get(f"/calendar?lang={language}")).text)
        sections = page.all("section.calendar-day")
        # Each day lists its auctions by opening time (all three sales open at noon: then by lot number).
        assert [lot_links(str(day), "li.calendar-lot > a") for day in sections] == [[dear, cheap, middle], [lease]]
        assert [str(day.select_one("h2 time")["datetime"]) for day in sections] == ["2026-06-23", "2026-06-24"]  # type: ignore[index]
        assert page.texts("section.calendar-day h2") == days
