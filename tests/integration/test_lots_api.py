"""The lots API end to end on a real database: create, validate, publish, cancel, browse."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.lots.models import Lot, LotFile, LotVersion
from tests.kit.world import World, lot_terms

Client = AsyncTestClient[Litestar]


async def count(sessions: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def create_lot(
    client: Client, world: World, clock: FrozenClock, who: str = "officer_tokmok", **overrides: Any
) -> dict[str, Any]:
    response = await client.post("/api/v1/lots", json=lot_terms(clock.now(), **overrides), headers=world.auth(who))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_officer_creates_a_draft_in_their_municipality(client: Client, world: World, clock: FrozenClock) -> None:
    lot = await create_lot(client, world, clock)
    assert lot["state"] == "draft"
    assert lot["municipality_id"] == world.municipality["tokmok"]
    assert lot["region"]["en"] == "Chui Region"
    # A draft is invisible to the public catalog and to anonymous detail requests.
    assert (await client.get(f"/api/v1/lots/{lot['id']}")).status_code == 404
    assert (await client.get("/api/v1/lots")).json()["items"] == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starting_price": -1}, "starting_price"),
        ({"starting_price": 10**20}, "starting_price"),
        ({"starting_price": "a lot"}, "starting_price"),
        ({"starting_price": 100.5}, "starting_price"),
        ({"bid_step": 200_000_00}, "bid_step"),
        ({"deposit": 200_000_00}, "deposit"),
        ({"valuation": -1}, "valuation"),
        ({"surprise": 1}, "surprise"),
        ({"registration_number": "12345"}, "registration_number"),
        ({"title_en": None, "title_ru": None}, "title_ky"),
        ({"deal": "lease"}, "lease_term_months"),
        ({"format": "descending"}, "floor_price"),
        ({"applications_close_at": "2020-01-01T00:00:00Z"}, "applications_close_at"),
        ({"applications_close_at": "2026-06-01T10:00:00"}, "applications_close_at"),
        ({"kind": "spaceship"}, "kind"),
    ],
)
async def test_bad_terms_are_refused_with_the_field_and_nothing_is_written(
    client: Client,
    world: World,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    overrides: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(
        "/api/v1/lots", json=lot_terms(clock.now(), **overrides), headers=world.auth("officer_tokmok")
    )
    assert response.status_code in {400, 422}, response.text
    body = response.json()
    assert body["message"]
    assert any(field in problem["field"] for problem in body["problems"]), body
    assert await count(sessions, Lot) == 0


async def test_schedule_out_of_order_is_refused(client: Client, world: World, clock: FrozenClock) -> None:
    now = clock.now()
    response = await client.post(
        "/api/v1/lots",
        json=lot_terms(now, bidding_closes_at=(now + timedelta(days=7, hours=12)).isoformat()),
        headers=world.auth("officer_tokmok"),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "lot.terms_invalid"
    assert [(p["field"], p["code"]) for p in response.json()["problems"]] == [
        ("bidding_closes_at", "terms.bidding_closes_before_opening")
    ]


async def test_publish_then_illegal_transitions_name_the_current_state(
    client: Client, world: World, clock: FrozenClock
) -> None:
    lot = await create_lot(client, world, clock)
    auth = world.auth("officer_tokmok")
    published = await client.post(f"/api/v1/lots/{lot['id']}/publish", headers=auth)
    assert published.status_code == 200, published.text
    assert published.json()["state"] == "published"
    again = await client.post(f"/api/v1/lots/{lot['id']}/publish", headers=auth)
    assert again.status_code == 409
    assert "The lot is published" in again.json()["message"]
    one_step = await client.post(f"/api/v1/lots/{lot['id']}/cancel", json={"reason": "Flooded site"}, headers=auth)
    assert (one_step.status_code, one_step.json()["code"]) == (409, "cancel.needs_second_official")
    asked = await client.post(f"/api/v1/lots/{lot['id']}/cancellation", json={"reason": "Flooded site"}, headers=auth)
    assert asked.status_code == 201, asked.text
    assert asked.json()["reason"] == "Flooded site"
    second = world.auth("officer2_tokmok")
    cancelled = await client.post(f"/api/v1/lots/{lot['id']}/cancellation/confirm", headers=second)
    assert cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "Flooded site"
    after = await client.post(f"/api/v1/lots/{lot['id']}/cancel", json={"reason": "Flooded again"}, headers=auth)
    assert after.status_code == 409
    assert "cancelled" in after.json()["message"]


async def test_publishing_a_draft_whose_schedule_has_passed_is_refused(
    client: Client, world: World, clock: FrozenClock
) -> None:
    lot = await create_lot(client, world, clock)
    clock.advance(timedelta(days=10))
    response = await client.post(f"/api/v1/lots/{lot['id']}/publish", headers=world.auth("officer_tokmok"))
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "applications_close_at"


async def test_amending_a_published_lot_records_a_new_version(
    client: Client, world: World, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lot = await create_lot(client, world, clock)
    auth = world.auth("officer_tokmok")
    await client.post(f"/api/v1/lots/{lot['id']}/publish", headers=auth)
    changed = lot_terms(clock.now(), starting_price=120_000_00)
    no_reason = await client.put(f"/api/v1/lots/{lot['id']}", json=changed, headers=auth)
    assert no_reason.status_code == 422
    assert no_reason.json()["problems"][0]["field"] == "reason"
    amended = await client.put(
        f"/api/v1/lots/{lot['id']}", json={**changed, "reason": "Valuation updated"}, headers=auth
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["version"] == 2
    versions = (await client.get(f"/api/v1/lots/{lot['id']}/versions")).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["terms"]["starting_price"] == 100_000_00
    assert versions[1]["terms"]["starting_price"] == 120_000_00
    assert versions[1]["reason"] == "Valuation updated"
    unchanged = await client.put(
        f"/api/v1/lots/{lot['id']}", json={**changed, "reason": "Nothing really"}, headers=auth
    )
    assert unchanged.status_code == 422
    assert await count(sessions, LotVersion) == 2


async def test_catalog_pages_by_keyset_without_gaps_or_repeats(
    client: Client, world: World, clock: FrozenClock
) -> None:
    auth = world.auth("officer_tokmok")
    ids = []
    for number in range(7):
        lot = await create_lot(client, world, clock, title_en=f"Plot {number}")
        await client.post(f"/api/v1/lots/{lot['id']}/publish", headers=auth)
        ids.append(lot["id"])
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/lots", params=params)).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
    assert pages == 3
    bad = await client.get("/api/v1/lots", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["field"] == "cursor"


async def test_catalog_filters(client: Client, world: World, clock: FrozenClock) -> None:
    tokmok, naryn = world.auth("officer_tokmok"), world.auth("officer_naryn")
    specs: list[tuple[dict[str, str], dict[str, Any]]] = [
        (tokmok, {"title_en": "Cheap plot", "starting_price": 50_000_00, "deposit": 5_000_00}),
        (
            tokmok,
            {
                "title_en": "Shop premises",
                "kind": "building",
                "deal": "lease",
                "lease_term_months": 24,
                "rent_period": "month",
                "permitted_use": "Retail",
                "registration_number": "1-02-05-0110-0042",
            },
        ),
        (
            naryn,
            {
                "title_en": "Naryn bus",
                "kind": "vehicle",
                "registration_number": "01KG123ABC",
                "format": "descending",
                "floor_price": 50_000_00,
                "price_drop_interval_seconds": 60,
            },
        ),
    ]
    for auth, overrides in specs:
        response = await client.post("/api/v1/lots", json=lot_terms(clock.now(), **overrides), headers=auth)
        assert response.status_code == 201, response.text
        published = await client.post(f"/api/v1/lots/{response.json()['id']}/publish", headers=auth)
        assert published.status_code == 200, published.text

    async def titles(**params: Any) -> set[str]:
        response = await client.get("/api/v1/lots", params=params)
        assert response.status_code == 200, response.text
        return {item["title"]["en"] for item in response.json()["items"]}

    chui = world.municipality["chui"]
    assert await titles(region=chui) == {"Cheap plot", "Shop premises"}
    assert await titles(municipality=world.municipality["naryn"]) == {"Naryn bus"}
    assert await titles(kind="vehicle") == {"Naryn bus"}
    assert await titles(deal="lease") == {"Shop premises"}
    assert await titles(format="descending") == {"Naryn bus"}
    assert await titles(max_price=60_000_00) == {"Cheap plot"}
    assert await titles(min_price=60_000_00) == {"Shop premises", "Naryn bus"}
    assert await titles(q="SHOP") == {"Shop premises"}
    assert await titles(status="cancelled") == set()
    assert (await client.get("/api/v1/lots", params={"min_price": 5, "max_price": 1})).status_code == 422
    assert (await client.get("/api/v1/lots", params={"kind": "castle"})).status_code in {400, 422}


async def test_uploads_are_checked_and_hashed(
    client: Client, world: World, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lot = await create_lot(client, world, clock)
    auth = world.auth("officer_tokmok")
    pdf = b"%PDF-1.7\n" + b"x" * 100
    ok = await client.post(
        f"/api/v1/lots/{lot['id']}/files",
        files={"file": ("plan.pdf", pdf, "application/pdf")},
        data={"kind": "document"},
        headers=auth,
    )
    assert ok.status_code == 201, ok.text
    import hashlib

    assert ok.json()["sha256"] == hashlib.sha256(pdf).hexdigest()
    download = await client.get(ok.json()["url"], headers=auth)
    assert download.content == pdf
    refused = [
        ({"file": ("plan.exe", b"MZ\x90\x00", "application/x-msdownload")}, "document"),
        ({"file": ("fake.pdf", b"<html>not a pdf</html>", "application/pdf")}, "document"),
        ({"file": ("big.pdf", b"%PDF-" + b"x" * 70_000, "application/pdf")}, "document"),
        ({"file": ("photo.pdf", pdf, "application/pdf")}, "photo"),
    ]
    for files, kind in refused:
        response = await client.post(f"/api/v1/lots/{lot['id']}/files", files=files, data={"kind": kind}, headers=auth)
        assert response.status_code == 422, response.text
        assert response.json()["problems"][0]["field"] == "file"
    assert await count(sessions, LotFile) == 1
