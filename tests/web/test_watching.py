"""Watching over HTTP: the watch button and the watchlist, the catalog's "save this search" and the searches page,
the JSON API as /schema documents it, and one account's searches hidden from another."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.watching.models import SearchMatch
from tests.integration.test_api_documented import DocumentedAnswers
from tests.kit.page import Page
from tests.kit.world import World
from tests.openapi_support import OpenApiDocument
from tests.web.conftest import Client, create_lot, csrf_of, log_in

LEASE: dict[str, Any] = {
    "deal": "lease",
    "kind": "premises",
    "registration_number": "1-04-06-0012-0345-1",
    "lease_term_months": 36,
    "rent_period": "month",
    "permitted_use": "Retail of food",
    "title_en": "Shop premises in Naryn",
}


async def test_watch_a_lot_and_save_a_search_by_page_and_by_api(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """One world for both (each test of the app costs a database of its own): the pages, then the API."""
    answers = DocumentedAnswers(OpenApiDocument(client.app.openapi_schema.to_schema()))
    client.event_hooks["response"].append(answers)
    lot_id = await create_lot(client, world, title_en="Land plot by the river")
    naryn = world.municipality["naryn"]
    catalog = f"/?municipality={naryn}&deal=lease&max_price=20000"
    # A visitor is asked to log in first, and comes back to the same filters.
    anonymous = Page((await client.get(catalog)).text)
    assert not anonymous.has("form[action='/me/searches']")
    back = parse_qs(urlsplit(anonymous.value("#save-search a", "href")).query)["next"]
    assert parse_qs(urlsplit(back[0]).query) == {
        "municipality": [str(naryn)],
        "deal": ["lease"],
        "max_price": ["20000"],
    }
    assert Page((await client.get(f"/lots/{lot_id}")).text).has(f"#watch a[href='/login?next=/lots/{lot_id}%23watch']")

    await log_in(client, "bidder")
    token = await csrf_of(client, f"/lots/{lot_id}")
    watched = await client.post(
        f"/lots/{lot_id}/watch", data={"watch": "1", "_csrf_token": token}, follow_redirects=False
    )
    assert (watched.status_code, watched.headers["location"]) == (303, f"/lots/{lot_id}#watch")
    button = Page((await client.get(f"/lots/{lot_id}?lang=en")).text).one("#watch button")
    assert (button.get_text(strip=True), button.get("aria-pressed")) == ("Stop watching", "true")
    watchlist = Page((await client.get("/me/watchlist?lang=en")).text)
    assert watchlist.text(f"#watched-{lot_id} td a") == "Land plot by the river"
    assert watchlist.has(f"#watched-{lot_id} .state.state-published")
    assert watchlist.has(f"#watched-{lot_id} form[action='/lots/{lot_id}/watch'] input[name=watch][value='0']")

    # The catalog's filters, carried by the form under the results, saved under a name made from them.
    form = Page((await client.get(catalog)).text).one("form[action='/me/searches']")
    fields = {str(field["name"]): str(field.get("value", "")) for field in form.select("input[type=hidden]")}
    assert {name: fields[name] for name in ("municipality", "deal", "max_price")} == {
        "municipality": str(naryn),
        "deal": "lease",
        "max_price": "20000",
    }
    saved = await client.post("/me/searches", data={**fields, "name": ""}, follow_redirects=False)
    assert (saved.status_code, saved.headers["location"]) == (303, "/me/searches")
    searches = Page((await client.get("/me/searches?lang=ky")).text)
    assert searches.text("h1") == "Менин сакталган издөөлөрүм"
    name = searches.value("li.panel input[name=name]")
    assert name == "Lease · Naryn City · up to 20 000.00 som"  # named in the language it was saved in
    link = urlsplit(searches.value("li.panel a", "href"))
    assert parse_qs(link.query) == {"municipality": [str(naryn)], "deal": ["lease"], "max_price": ["20000"]}

    # A matching lease is published in Naryn: the search's match is recorded; a dearer one is not told.
    cheap = await create_lot(client, world, who="officer_naryn", starting_price=18_000_00, **LEASE)
    await create_lot(client, world, who="officer_naryn", starting_price=25_000_00, **LEASE)
    async with sessions() as session:
        assert list(await session.scalars(select(SearchMatch.lot_id))) == [cheap]

    # The API: each account's own, as /schema documents it.
    draft_id = await create_lot(client, world, publish=False)
    mine, theirs = world.auth("bidder"), world.auth("bidder2")
    assert (await client.delete(f"/api/v1/me/watchlist/{lot_id}", headers=mine)).status_code == 200
    mine, theirs = world.auth("bidder"), world.auth("bidder2")

    assert (await client.get("/api/v1/me/watchlist")).status_code == 401
    assert (await client.put(f"/api/v1/me/watchlist/{lot_id}", headers=mine)).json() == {
        "lot_id": lot_id,
        "watching": True,
    }
    assert (await client.put(f"/api/v1/me/watchlist/{draft_id}", headers=mine)).status_code == 404
    listed = (await client.get("/api/v1/me/watchlist", headers=mine)).json()
    lot = (await client.get(f"/api/v1/lots/{lot_id}")).json()
    assert [(row["lot_id"], row["state"], row["closes_at"]) for row in listed] == [
        (lot_id, "published", lot["bidding_closes_at"])
    ]
    assert (await client.get("/api/v1/me/watchlist", headers=theirs)).json() == []

    body = {"name": "Leases in Naryn", "filters": {"municipality_id": world.municipality["naryn"], "deal": "lease"}}
    created = await client.post("/api/v1/me/searches", json=body, headers=mine)
    assert created.status_code == 201, created.text
    search_id = created.json()["id"]
    for refused in (
        {"name": "All", "filters": {}},
        {"name": "Drafts", "filters": {"status": "draft"}},
        {"name": "Upside down", "filters": {"min_price": 2, "max_price": 1}},
    ):
        assert (await client.post("/api/v1/me/searches", json=refused, headers=mine)).status_code == 422
    # Another account neither sees, renames nor deletes it: for them it does not exist.
    assert (await client.get("/api/v1/me/searches", headers=theirs)).json() == []
    url = f"/api/v1/me/searches/{search_id}"
    assert (await client.patch(url, json={"name": "Mine now"}, headers=theirs)).status_code == 404
    assert (await client.delete(url, headers=theirs)).status_code == 404
    renamed = await client.patch(url, json={"name": "Naryn leases"}, headers=mine)
    assert renamed.json()["name"] == "Naryn leases"
    assert (await client.delete(url, headers=mine)).status_code == 204
    left = (await client.get("/api/v1/me/searches", headers=mine)).json()
    assert [search["name"] for search in left] == [name]  # the one saved from the catalog
    assert (await client.delete(f"/api/v1/me/watchlist/{lot_id}", headers=mine)).json()["watching"] is False
    assert answers.problems == []
