"""Every row of every table, to prove that a refused request left the database exactly as it found it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.db.models import Base

# Rows are kept as their repr: JSON columns hold dicts, which a set of tuples could not hold.
Rows = dict[str, list[str]]


async def all_rows(sessions: async_sessionmaker[AsyncSession]) -> Rows:
    """Each table's rows in primary-key order, for every table the models map."""
    rows: Rows = {}
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            rows[table.name] = [repr(tuple(row)) for row in (await session.execute(query)).all()]
    return rows


def changed_tables(before: Rows, after: Rows) -> dict[str, str]:
    """The tables whose rows differ, each with how many rows appeared and disappeared (a changed row is both)."""
    changes = {}
    for name in sorted(before.keys() | after.keys()):
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            changes[name] = f"{len(new - old)} rows new or changed, {len(old - new)} gone or changed"
    return changes
