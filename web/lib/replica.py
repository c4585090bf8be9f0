"""Lag-tolerant reads from a streaming replica (``ACHYK_REPLICA_DATABASE_URL``), or from the primary without one.

What may read here: pages and API routes that only show what is public and decide nothing (the catalog, the ledger
desk and its API, the lots list, a municipality's page). A replica runs a moment behind the primary, which such a
reader cannot tell from having asked a moment earlier. Everything that writes or decides (bids, applications,
awards, sessions, CSRF, login, the rate limits) keeps the request's own session on the primary.

A route opts in by naming its dependencies from here instead of the app's, e.g.
``@get(..., dependencies=REPLICA_READS)`` or ``dependencies = REPLICA_READS`` on a read-only controller: its
``lot_service``, ``ledger_reader`` and ``municipality_service`` then read through ``read_session``. The replica's
engine refuses every write (``make_engine(read_only=True)``), so a write slipped into such a route fails loudly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.bidding.participation import Applications
from auction.db.engine import make_engine, make_sessionmaker
from auction.ledger.queries import LedgerReader
from auction.lots.service import LotService
from auction.municipalities.service import MunicipalityService
from auction.settings import Settings
from web.lib.deps import ledger_writer_on

REPLICA_SESSIONS = "replica_sessions"


@asynccontextmanager
async def replica_engine(app: Litestar) -> AsyncIterator[None]:
    """A lifespan part: one read-only engine per process on the replica, when one is configured."""
    settings: Settings = app.state.settings
    if not settings.replica_database_url:
        app.state[REPLICA_SESSIONS] = None
        yield
        return
    engine = make_engine(settings.replica_database_url, read_only=True)
    app.state[REPLICA_SESSIONS] = make_sessionmaker(engine)
    try:
        yield
    finally:
        await engine.dispose()


async def provide_read_session(state: State, db_session: NamedDependency[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """The replica's session for this request, or the request's own (primary) session when there is no replica."""
    sessions: async_sessionmaker[AsyncSession] | None = state.get(REPLICA_SESSIONS)
    if sessions is None:
        yield db_session
        return
    async with sessions() as session:
        # Closing it rolls the read-only transaction back: nothing read here is ever committed.
        yield session


# The per-deployment constants (clock, settings, keys, witnesses) come from the app's state, not as dependencies:
# Litestar resolves sibling dependencies in a task group per request, which costs more than these routes' SQL.


def provide_read_lot_service(read_session: NamedDependency[AsyncSession], state: State) -> LotService:
    # Its ledger writer is on the read session too: a write through it is refused by the replica's engine.
    ledger = ledger_writer_on(read_session, state)
    return LotService(read_session, state.clock, ledger, applications=Applications(read_session))


def provide_read_ledger_reader(read_session: NamedDependency[AsyncSession], state: State) -> LedgerReader:
    return LedgerReader(read_session, state.ledger_keys, state.witness_config)


def provide_read_municipality_service(read_session: NamedDependency[AsyncSession]) -> MunicipalityService:
    return MunicipalityService(read_session)


REPLICA_READS: dict[str, Provide] = {
    "read_session": Provide(provide_read_session),
    "lot_service": Provide(provide_read_lot_service, sync_to_thread=False),
    "ledger_reader": Provide(provide_read_ledger_reader, sync_to_thread=False),
    "municipality_service": Provide(provide_read_municipality_service, sync_to_thread=False),
}
