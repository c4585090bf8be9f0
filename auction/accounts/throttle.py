"""Counters in the database, so that limits hold across workers and hosts (see throttle_rules for the policy).

Each hit is one atomic upsert in a short transaction of its own: it is kept even when the request that made it is
refused and rolled back, and two processes hitting one bucket at once both count. Hits are taken before the
request's own transaction begins (on SQLite it holds the one write lock from its start); giving a hit back is done
in the request's transaction, so that it happens only if the success that earns it is kept.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import ThrottleCounter
from auction.accounts.throttle_rules import Bucket, retry_after
from auction.clock import Clock


class Throttle:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def _now(self) -> int:
        return math.floor(self.clock.now().timestamp())

    async def take(self, bucket: Bucket) -> int | None:
        """Count one hit; over the limit, the seconds to wait before the bucket allows another (else None)."""
        hits, window_ends = await self.hit(bucket)
        if hits > bucket.limit.allowed:
            return retry_after(window_ends, self._now())
        return None

    async def hit(self, bucket: Bucket) -> tuple[int, int]:
        """The bucket's hits in its window after this one, and when that window ends (epoch seconds)."""
        now = self._now()
        table = ThrottleCounter.__table__
        async with self.sessions() as session, session.begin():
            dialect = session.get_bind().dialect.name
            insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
            fresh = insert(table).values(
                scope=bucket.limit.scope,
                key=bucket.stored_key,
                hits=1,
                window_ends=now + bucket.limit.window_seconds,
            )
            expired = table.c.window_ends <= now
            statement = fresh.on_conflict_do_update(
                index_elements=[table.c.scope, table.c.key],
                set_={
                    "hits": case((expired, 1), else_=table.c.hits + 1),
                    "window_ends": case((expired, fresh.excluded.window_ends), else_=table.c.window_ends),
                },
            ).returning(table.c.hits, table.c.window_ends)
            hits, window_ends = (await session.execute(statement)).one()
            if hits == 1:
                # A new window: a cheap moment to forget every bucket whose window is over.
                await session.execute(delete(ThrottleCounter).where(ThrottleCounter.window_ends <= now))
        return int(hits), int(window_ends)

    @staticmethod
    async def give_back(session: AsyncSession, bucket: Bucket) -> None:
        """Undo one hit in ``session``'s transaction (an owner's success: it counts only if that is kept)."""
        await session.execute(
            update(ThrottleCounter).where(_is(bucket), ThrottleCounter.hits > 0).values(hits=ThrottleCounter.hits - 1)
        )

    @staticmethod
    async def clear(session: AsyncSession, bucket: Bucket) -> None:
        """Forget a bucket's hits in ``session``'s transaction."""
        await session.execute(delete(ThrottleCounter).where(_is(bucket)))


def _is(bucket: Bucket) -> ColumnElement[bool]:
    return and_(ThrottleCounter.scope == bucket.limit.scope, ThrottleCounter.key == bucket.stored_key)
