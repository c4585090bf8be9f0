"""The public catalog: one endpoint for the page and for htmx's results fragment, filters, keyset pages."""

from __future__ import annotations

import pytest

from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, create_lot

HTMX = {"HX-Request": "true"}


def lot_links(html: str) -> list[int]:
    """The lots the cards link to, in the order shown."""
    return [
        int(str(link["href"]).removeprefix("/lots/")) for link in Page(html).all('h2.card-title > a[href^="/lots/"]')
    ]


async def test_htmx_filter_request_gets_only_the_results_fragment(client: Client, world: World) -> None:
    lot_id = await create_lot(client, world)
    page = await client.get("/")
    assert page.status_code == 200
    assert page.text.startswith("<!doctype html>")  # the doctype is no element: it is read from the markup
    html = Page(page.text)
    assert html.has("html > body main")
    filters = html.one('form[hx-get="/"]')
    assert filters.get("hx-push-url") == "true"
    assert html.value("#results.results", "aria-live") == "polite"

    fragment = await client.get("/?q=lenin", headers=HTMX)
    assert fragment.status_code == 200
    assert not Page(fragment.text).has("html, body, form")
    assert lot_links(fragment.text) == [lot_id]
    # The language links are swapped out of band so that they keep the new filters.
    switch = Page(fragment.text).one("#language-switch.languages")
    assert (switch.get("aria-label"), switch.get("hx-swap-oob")) == ("Язык", "true")
    assert switch.select_one('a[href="/?q=lenin&lang=ky"]') is not None
    assert "HX-Request" in fragment.headers["vary"]


async def test_history_restore_gets_the_whole_page(client: Client, world: World) -> None:
    restored = await client.get("/?q=lenin", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert restored.text.startswith("<!doctype html>")  # the doctype is no element: it is read from the markup
    assert Page(restored.text).has("html > body main form.filters")


async def test_filters_narrow_the_list_and_refill_the_form(client: Client, world: World) -> None:
    land = await create_lot(client, world)
    shop = await create_lot(
        client,
        world,
        who="officer_naryn",
        deal="lease",
        kind="building",
        permitted_use="Retail",
        title_en="Shop premises",
        title_ru="Торговое помещение",
        registration_number="1-04-06-0012-0345",
        starting_price=30_000_00,
        bid_step=1_000_00,
        deposit=3_000_00,
        lease_term_months=36,
        rent_period="month",
    )
    draft = await create_lot(client, world, publish=False)
    everything = lot_links((await client.get("/")).text)
    assert everything == [shop, land]
    assert draft not in everything

    naryn = world.municipality["naryn"]
    cases = {
        "kind=building": [shop],
        "deal=sale": [land],
        "format=open_ascending": [shop, land],
        "format=descending": [],
        f"municipality={naryn}": [shop],
        f"region={world.municipality['chui']}": [land],
        "min_price=50000": [land],
        "max_price=30000": [shop],
        "min_price=29999.99&max_price=30000.00": [shop],
        "q=торговое": [shop],
        "status=published": [shop, land],
        "status=cancelled": [],
    }
    for query, expected in cases.items():
        response = await client.get(f"/?{query}", headers=HTMX)
        assert lot_links(response.text) == expected, query
    page = await client.get(f"/?kind=building&min_price=100&municipality={naryn}")
    form = Page(page.text)
    assert form.value("select[name=kind] option[selected]") == "building"
    assert form.value("select[name=municipality] option[selected]") == str(naryn)
    assert form.value("input[name=min_price][type=text]") == "100"


async def test_empty_result_says_so(client: Client, world: World) -> None:
    await create_lot(client, world)
    response = await client.get("/?q=nothing-like-this&lang=en", headers=HTMX)
    assert "No lots match these filters." in Page(response.text).text()
    assert Page(response.text).text('a[href="/"]') == "Show all lots"


async def test_bad_filter_values_are_shown_next_to_their_field(client: Client, world: World) -> None:
    await create_lot(client, world)
    response = await client.get("/?min_price=cheap&max_price=10&kind=castle&lang=en")
    assert response.status_code == 200
    page = Page(response.text)
    min_price = page.one("input#f-min_price")
    assert (min_price.get("value"), min_price.get("aria-describedby")) == ("cheap", "f-min_price-error")
    assert page.field_error("min_price") == "Enter an amount in som, such as 1250 or 1250.50."
    assert page.field_error("kind") == "Choose one of the options."
    # The valid filter still applies: nothing costs at most 10 som.
    assert lot_links(response.text) == []


@pytest.mark.parametrize("query", ["min_price=200000&max_price=100", "status=draft"])
async def test_contradictory_or_private_filters_are_refused_politely(client: Client, world: World, query: str) -> None:
    await create_lot(client, world)
    response = await client.get(f"/?{query}&lang=en")
    assert response.status_code == 200
    assert Page(response.text).texts(".field-error") != []


async def test_keyset_pages_follow_the_cursor(client: Client, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.catalog.views.PAGE_SIZE", 2)
    ids = [await create_lot(client, world) for _ in range(3)]
    first = await client.get("/?deal=sale&lang=en")
    assert lot_links(first.text) == [ids[2], ids[1]]
    url = Page(first.text).value('a[rel="next"]', "href")
    assert "deal=sale" in url
    assert "cursor=" in url
    second = await client.get(url, headers=HTMX)
    assert lot_links(second.text) == [ids[0]]
    assert not Page(second.text).has('a[rel="next"]')
    assert "First page" in Page(second.text).texts("a")


async def test_forged_cursor_is_reported_not_crashed(client: Client, world: World) -> None:
    response = await client.get("/?cursor=bm9wZQ&lang=en")
    assert response.status_code == 200
    assert "The page cursor is not one this catalog gave out." in Page(response.text).text("main")


async def test_cards_show_price_photo_and_countdown_by_the_server_clock(client: Client, world: World) -> None:
    lot_id = await create_lot(client, world, publish=False)
    photo = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    uploaded = await client.post(
        f"/api/v1/lots/{lot_id}/files",
        files={"file": ("front.png", photo, "image/png")},
        data={"kind": "photo"},
        headers=world.auth("officer_tokmok"),
    )
    assert uploaded.status_code == 201, uploaded.text
    await client.post(f"/api/v1/lots/{lot_id}/publish", headers=world.auth("officer_tokmok"))
    page = Page((await client.get("/?lang=en")).text)
    card = f'article.card:has(h2.card-title > a[href="/lots/{lot_id}"])'
    assert page.value(f"{card} img.card-photo", "src") == f"/api/v1/lots/{lot_id}/files/{uploaded.json()['id']}"
    assert page.text(f"{card} p.price strong") == "100,000\u00a0som"
    # The server's now (the test clock: 2026-06-01 06:00 UTC) drives the countdown, 21 days before the deadline.
    assert page.value("body", "data-server-now") == "2026-06-01T06:00:00Z"
    countdown = page.one(f"{card} p.deadline span.countdown")
    assert (countdown.get("data-deadline"), countdown.get_text()) == ("2026-06-22T06:00:00Z", "21\u00a0d 00:00:00")
