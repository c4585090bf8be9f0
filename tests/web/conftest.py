"""Fixtures of the website tests: the pilot world, and logging in through the real form with its CSRF token."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.settings import Settings
from tests.kit.page import Page
from tests.kit.world import PASSWORD, World, lot_terms

if TYPE_CHECKING:
    from tests.web.auction_support import Auctioneer

Client = AsyncTestClient[Litestar]


def csrf_token(html: str) -> str:
    return Page(html).csrf_token()


async def csrf_of(client: Client, path: str = "/login") -> str:
    return csrf_token((await client.get(path)).text)


async def log_in(client: Client, who: str) -> None:
    """Log in as one of the world's accounts (e.g. "officer_tokmok") through the login form."""
    token = await csrf_of(client)
    response = await client.post(
        "/login",
        data={"email": f"{who}@test.kg", "password": PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


async def create_lot(
    client: Client, world: World, *, publish: bool = True, who: str = "officer_tokmok", **terms: Any
) -> int:
    """A lot made through the API (the pages under test only read it); published unless asked not to."""
    auth = world.auth(who)
    now: datetime = client.app.state.clock.now()
    created = await client.post("/api/v1/lots", json=lot_terms(now, **terms), headers=auth)
    assert created.status_code == 201, created.text
    lot_id: int = created.json()["id"]
    if publish:
        published = await client.post(f"/api/v1/lots/{lot_id}/publish", headers=auth)
        assert published.status_code == 200, published.text
    return lot_id


async def lot_json(client: Client, world: World, lot_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/v1/lots/{lot_id}", headers=world.auth("admin"))  # sees drafts too
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def field_error(html: str, field: str) -> str:
    """The inline problem shown next to a form field, or "" when there is none."""
    return Page(html).field_error(field)


@pytest.fixture
async def auctioneer(
    client: Client,
    world: World,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> Auctioneer:
    """Drives auctions through the website and the API, as the web tests' people would."""
    from tests.web.auction_support import Auctioneer  # it builds on this module's helpers

    return Auctioneer(client, world, clock, sessions, settings)
