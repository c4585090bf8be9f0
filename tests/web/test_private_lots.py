"""A lot that was never published stays private, also once it is cancelled: a draft cancelled before publication is
not found on the lot page, the API, its documents, the catalog, search and the live panel, exactly like a draft.
Those who manage it (its municipality's officers, administrators) still read it where they read drafts."""

from __future__ import annotations

import httpx

from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, create_lot, log_in

PDF = b"%PDF-1.7\n" + b"x" * 100
# A word of the private lots' titles that no other lot has: search for it, and look for it in every listing.
MARKER = "Zirkonwhisper"


async def cancelled_draft(client: Client, world: World, **terms: str) -> tuple[int, int]:
    """A draft with a document, cancelled before it was ever published: its id and its document's."""
    lot_id = await create_lot(client, world, publish=False, title_en=f"{MARKER} plot", **terms)
    auth = world.auth("officer_tokmok")
    uploaded = await client.post(
        f"/api/v1/lots/{lot_id}/files",
        files={"file": ("plan.pdf", PDF, "application/pdf")},
        data={"kind": "document"},
        headers=auth,
    )
    assert uploaded.status_code == 201, uploaded.text
    cancelled = await client.post(f"/api/v1/lots/{lot_id}/cancel", json={"reason": "Withdrawn."}, headers=auth)
    assert cancelled.status_code in (200, 201), cancelled.text
    return lot_id, int(uploaded.json()["id"])


def listed(response: httpx.Response) -> list[int]:
    """The lots a catalog page links to, or a page of the API lists."""
    assert response.status_code == 200, response.text
    if "json" in response.headers["content-type"]:
        return [int(lot["id"]) for lot in response.json()["items"]]
    return [int(str(link["href"]).removeprefix("/lots/")) for link in Page(response.text).all('a[href^="/lots/"]')]


async def test_a_draft_cancelled_before_publication_is_not_found_by_anyone_but_its_managers(
    client: Client, world: World
) -> None:
    lot_id, file_id = await cancelled_draft(client, world)
    public = await create_lot(client, world)  # a published lot shows that the listings do list lots
    await world.bidder("bidder3")
    details = [
        f"/lots/{lot_id}",
        f"/lots/{lot_id}/versions",
        f"/lots/{lot_id}/live",
        f"/api/v1/lots/{lot_id}",
        f"/api/v1/lots/{lot_id}/versions",
        f"/api/v1/lots/{lot_id}/files/{file_id}",
        f"/api/v1/lots/{lot_id}/auction",
    ]
    listings = [
        "/",
        "/?status=cancelled",
        f"/?q={MARKER}",
        f"/?q={MARKER}&status=cancelled",
        "/api/v1/lots",
        "/api/v1/lots?status=cancelled",
        f"/api/v1/lots?q={MARKER}",
        f"/api/v1/lots?q={MARKER}&status=cancelled",
    ]
    shown = []
    for who in (None, "bidder3", "officer_naryn", "inspector"):
        headers = world.auth(who) if who else {}
        for path in details:
            if (await client.get(path, headers=headers)).status_code != 404:
                shown.append(f"{who or 'anonymous'}: {path}")
        for path in listings:
            if lot_id in listed(await client.get(path, headers=headers)):
                shown.append(f"{who or 'anonymous'}: {path}")
    assert shown == []
    assert listed(await client.get("/api/v1/lots?status=published")) == [public]
    assert public in listed(await client.get("/"))

    # Its managers still read it where they read drafts: the API, the document, the console.
    for who in ("officer_tokmok", "admin"):
        for path in (f"/api/v1/lots/{lot_id}", f"/api/v1/lots/{lot_id}/files/{file_id}"):
            response = await client.get(path, headers=world.auth(who))
            assert response.status_code == 200, (who, path, response.text)
        assert listed(await client.get("/api/v1/lots?status=cancelled", headers=world.auth(who))) == [lot_id]
    await log_in(client, "officer_tokmok")
    assert f'href="/officer/lots/{lot_id}"' in (await client.get("/officer")).text
    assert (await client.get(f"/lots/{lot_id}")).status_code == 200
    # The public catalog is the public's, whoever looks at it.
    assert listed(await client.get("/?status=cancelled")) == []
