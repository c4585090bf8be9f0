"""One Alembic history that creates exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from auction.db.base import on_this_database
from auction.db.engine import make_engine
from auction.db.migrate import current_heads, current_revision
from auction.db.models import Base

# Alembic reads the schema through connections of its own.
pytestmark = pytest.mark.own_database


async def test_migrated_database_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url, pool=False)

    def diff(connection: Connection) -> list[object]:
        # What the models declare for one database only (a trigram index) is compared on that database only.
        opts = {"compare_type": True, "include_object": on_this_database(connection.dialect.name)}
        context = MigrationContext.configure(connection, opts=opts)
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    await engine.dispose()
    assert differences == []


async def test_database_is_at_the_single_head(database_url: str) -> None:
    heads = current_heads()
    assert len(heads) == 1
    assert await current_revision(database_url) == heads[0]
