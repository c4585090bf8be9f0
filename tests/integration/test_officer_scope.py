"""Who may write what: every role against every lot write endpoint (the officer-scope matrix)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from auction.clock import FrozenClock
from tests.kit.world import World, lot_terms

Client = AsyncTestClient[Litestar]
Call = Callable[[Client, int, dict[str, str], FrozenClock], Awaitable[Any]]

PDF = b"%PDF-1.7\n%test\n"


async def _create(client: Client, lot_id: int, headers: dict[str, str], clock: FrozenClock) -> Any:
    del lot_id
    return await client.post("/api/v1/lots", json=lot_terms(clock.now()), headers=headers)


async def _amend(client: Client, lot_id: int, headers: dict[str, str], clock: FrozenClock) -> Any:
    body = lot_terms(clock.now(), title_en="Renamed")
    return await client.put(f"/api/v1/lots/{lot_id}", json=body, headers=headers)


async def _publish(client: Client, lot_id: int, headers: dict[str, str], clock: FrozenClock) -> Any:
    return await client.post(f"/api/v1/lots/{lot_id}/publish", headers=headers)


async def _cancel(client: Client, lot_id: int, headers: dict[str, str], clock: FrozenClock) -> Any:
    return await client.post(f"/api/v1/lots/{lot_id}/cancel", json={"reason": "Withdrawn by council"}, headers=headers)


async def _upload(client: Client, lot_id: int, headers: dict[str, str], clock: FrozenClock) -> Any:
    return await client.post(
        f"/api/v1/lots/{lot_id}/files", files={"file": ("a.pdf", PDF, "application/pdf")}, headers=headers
    )


ENDPOINTS: dict[str, tuple[Call, int]] = {
    "create": (_create, 201),
    "amend": (_amend, 200),
    "publish": (_publish, 200),
    "cancel": (_cancel, 200),
    "upload": (_upload, 201),
}
# The lot, a draft, belongs to Tokmok: only Tokmok's officer and an admin may touch it. To Naryn's officer the draft
# does not exist (404, as on every read of it); other roles are refused for their role (403).
EXPECTED_STATUS = {
    "officer_tokmok": "ok",
    "admin": "ok",
    "officer_naryn": 404,
    "inspector": 403,
    "bidder": 403,
    "anonymous": 401,
}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("who", sorted(EXPECTED_STATUS))
async def test_write_matrix(client: Client, world: World, clock: FrozenClock, endpoint: str, who: str) -> None:
    owner = world.auth("officer_tokmok")
    draft = await client.post("/api/v1/lots", json=lot_terms(clock.now()), headers=owner)
    lot_id = draft.json()["id"]
    headers = {} if who == "anonymous" else world.auth(who)
    if endpoint == "create" and who == "admin":
        # An admin belongs to no municipality, so must say which one the lot is for.
        call: Call = lambda c, i, h, k: c.post(  # noqa: E731
            "/api/v1/lots", json=lot_terms(k.now(), municipality_id=world.municipality["tokmok"]), headers=h
        )
    else:
        call = ENDPOINTS[endpoint][0]
    response = await call(client, lot_id, headers, clock)
    expected = EXPECTED_STATUS[who]
    if endpoint == "create" and who == "officer_naryn":
        # Creating writes into the officer's own municipality, never into Tokmok.
        assert response.status_code == 201, response.text
        assert response.json()["municipality_id"] == world.municipality["naryn"]
    elif expected == "ok":
        assert response.status_code == ENDPOINTS[endpoint][1], response.text
    else:
        assert response.status_code == expected, response.text
        assert response.json()["message"]
        after = await client.get(f"/api/v1/lots/{lot_id}", headers=owner)
        assert after.json()["state"] == "draft"
        assert after.json()["title"]["en"] == "Land plot on Lenin street"
        assert after.json()["files"] == []


async def test_officer_creating_for_another_municipality_is_refused(
    client: Client, world: World, clock: FrozenClock
) -> None:
    response = await client.post(
        "/api/v1/lots",
        json=lot_terms(clock.now(), municipality_id=world.municipality["naryn"]),
        headers=world.auth("officer_tokmok"),
    )
    assert response.status_code == 403
    assert "own municipality" in response.json()["message"]


async def test_unknown_token_is_refused(client: Client, world: World, clock: FrozenClock) -> None:
    response = await client.post(
        "/api/v1/lots", json=lot_terms(clock.now()), headers={"Authorization": "Bearer achyk_forged"}
    )
    assert response.status_code == 401
    assert "unknown or revoked" in response.json()["message"]
