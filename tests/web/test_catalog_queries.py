"""A catalog page costs the same number of queries whatever its size: what a card shows is read for the whole page
at once (places, first photos, running closes), never lot by lot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from auction.bidding.models import AuctionClock
from auction.db.engine import transaction
from auction.lots.models import AuctionFormat, Deal, FileKind, Lot, LotFile, LotState, PropertyKind, RentPeriod
from auction.municipalities.models import Municipality
from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, log_in
from web.catalog.views import PAGE_SIZE

HTMX = {"HX-Request": "true"}


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements the app sends while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def add_lots(sessions: async_sessionmaker[AsyncSession], world: World, count: int) -> None:
    """``count`` public lots spread over every place, kind and state, half with a photo, the bidding ones running."""
    now = world.clock.now()
    async with transaction(sessions) as session:
        places = list(await session.scalars(select(Municipality.id).order_by(Municipality.id)))
        officer = world.user_ids["officer_tokmok"]
        states = [LotState.PUBLISHED, LotState.BIDDING, LotState.CLOSED, LotState.AWARDED, LotState.FAILED]
        lots = []
        for n in range(count):
            lease = n % 2 == 1
            lots.append(
                Lot(
                    municipality_id=places[n % len(places)],
                    state=states[n % len(states)],
                    deal=Deal.LEASE if lease else Deal.SALE,
                    kind=list(PropertyKind)[n % len(PropertyKind)],
                    format=AuctionFormat.OPEN_ASCENDING,
                    title_en=f"Lot {n}",
                    title_ru=f"Лот {n}",
                    search_text=f"lot {n} лот {n}",
                    address=f"{n} Lenin street",
                    starting_price=100_000_00 + n,
                    bid_step=1_000_00,
                    deposit=0,
                    rent_period=RentPeriod.MONTH if lease else None,
                    lease_term_months=12 if lease else None,
                    area_sqm=50 if lease else None,
                    applications_close_at=now + timedelta(days=1),
                    bidding_opens_at=now + timedelta(days=2),
                    bidding_closes_at=now + timedelta(days=2, hours=3),
                    created_by_id=officer,
                    created_at=now,
                    updated_at=now,
                    published_at=now,
                )
            )
        session.add_all(lots)
        await session.flush()
        for n, lot in enumerate(lots):
            if n % 2 == 0:
                session.add(
                    LotFile(
                        lot_id=lot.id,
                        kind=FileKind.PHOTO,
                        filename="p.jpg",
                        content_type="image/jpeg",
                        size=3,
                        sha256="0" * 64,
                        content=b"\xff\xd8\xff",
                        uploaded_by_id=officer,
                        uploaded_at=now,
                    )
                )
            if lot.state == LotState.BIDDING:
                closes = now + timedelta(hours=3)
                session.add(AuctionClock(lot_id=lot.id, opened_at=now, closes_at=closes, latest_close=closes))


async def queries_of(client: Client, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    engine: AsyncEngine = client.app.state.engine
    with counted(engine) as statements:
        response = await client.get(path, headers=headers or {})
    assert response.status_code == 200, response.text
    return len(statements), response.text


async def test_a_page_costs_the_same_queries_for_5_lots_as_for_50(client: Client, world: World) -> None:
    await log_in(client, "bidder")  # a visitor with a session and an account: their reads are counted too
    asked = {
        "page": ("/", None),
        "fragment": ("/?deal=lease", HTMX),
        # The place of the first round's running auction (add_lots deals lots out over the places in id order).
        "region": (f"/?region={sorted(world.municipality.values())[1]}", HTMX),
        "api": ("/api/v1/lots?limit=50", None),
    }
    await add_lots(world.sessions, world, 5)
    few = {name: await queries_of(client, path, headers) for name, (path, headers) in asked.items()}
    await add_lots(world.sessions, world, 45)
    many = {name: await queries_of(client, path, headers) for name, (path, headers) in asked.items()}

    # The second round really shows bigger pages, with lots of many places, photos and running auctions.
    assert len(Page(few["page"][1]).all("ul.cards > li")) == 5
    assert len(Page(many["page"][1]).all("ul.cards > li")) == PAGE_SIZE
    assert len(json.loads(few["api"][1])["items"]) == 5
    assert len(json.loads(many["api"][1])["items"]) == 50
    assert {name: count for name, (count, _) in many.items()} == {name: count for name, (count, _) in few.items()}
