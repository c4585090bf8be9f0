"""Lag-tolerant reads go to ACHYK_REPLICA_DATABASE_URL; writes and decisions stay on the primary (web.lib.replica).

The replica here is a second database whose lots differ from the primary's: what a page shows proves which database
it read, without waiting on replication. The replica's engine refuses writes, as a hot standby would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from auction.clock import FrozenClock
from auction.db.engine import make_engine, make_sessionmaker
from auction.settings import Settings
from tests.conftest import PG_ADMIN_DSN, TemplateCopies, _pg_url
from tests.kit.world import World, build_world
from tests.web.conftest import create_lot

PRIMARY_TITLE = "Земельный участок на улице Ленина"  # lot_terms' own
REPLICA_TITLE = "Сад, который есть только на реплике"

pytestmark = pytest.mark.own_database


@pytest.fixture
async def replica_url(backend: str, template_copies: TemplateCopies | None) -> AsyncIterator[str]:
    """A second migrated database standing in for the replica."""
    if backend != "postgres" or template_copies is None:
        pytest.skip("a streaming replica is PostgreSQL's")
    name = await template_copies.take()
    yield _pg_url(PG_ADMIN_DSN, name)
    template_copies.drop(name)


async def test_catalog_and_ledger_read_the_replica_while_writes_go_to_the_primary(
    settings: Settings, clock: FrozenClock, world: World, replica_url: str
) -> None:
    from web.app import create_app

    # The replica's own content, written through an app on it as the primary would have written it.
    engine = make_engine(replica_url)
    try:
        replica_world = await build_world(make_sessionmaker(engine), clock, settings.ledger_keys())
        async with AsyncTestClient(
            app=create_app(settings.model_copy(update={"database_url": replica_url}), clock)
        ) as on_replica:
            replica_lot = await create_lot(
                on_replica, replica_world, title_ru=REPLICA_TITLE, title_en="Replica orchard"
            )
    finally:
        await engine.dispose()

    site = create_app(settings.model_copy(update={"replica_database_url": replica_url}), clock)
    async with AsyncTestClient(app=site) as client:
        # A write (an officer's new lot) goes to the primary: the primary's lot API shows it.
        primary_lot = await create_lot(client, world)
        shown = await client.get(f"/api/v1/lots/{primary_lot}")
        assert (shown.status_code, shown.json()["title"]["ru"]) == (200, PRIMARY_TITLE)

        catalog = (await client.get("/")).text
        assert REPLICA_TITLE in catalog
        assert PRIMARY_TITLE not in catalog

        browsed = (await client.get("/api/v1/lots")).json()["items"]
        assert [(lot["id"], lot["title"]["ru"]) for lot in browsed] == [(replica_lot, REPLICA_TITLE)]

        # The ledger desk's API: the replica's chain of its lot (the same id names the primary's lot, whose chain
        # would say the Lenin street plot).
        chain = await client.get(f"/api/v1/ledger/lots/{replica_lot}/entries")
        assert chain.status_code == 200
        assert REPLICA_TITLE in chain.text
        assert PRIMARY_TITLE not in chain.text


async def test_the_replica_engine_refuses_writes(replica_url: str) -> None:
    engine = make_engine(replica_url, read_only=True)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError, match="read-only transaction"):
                await connection.execute(text("CREATE TABLE written_on_the_replica (id int)"))
    finally:
        await engine.dispose()
