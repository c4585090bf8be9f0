"""GET /api/v1/health: one answer for load balancers and monitors, public like the ledger it summarises."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from auction.clock import Clock
from auction.ledger.keys import LedgerKeys
from auction.ledger.rotation import vkey_of
from auction.ledger.witness_config import WitnessConfig
from auction.operations.health import HealthLimits, assess, read_health
from auction.operations.release import release_version
from auction.settings import Settings
from web.lib.error_schemas import api_errors
from web.operations.schemas import HealthOut


class HealthApi(Controller):
    path = "/api/v1/health"
    tags = ["operations"]  # noqa: RUF012

    @get(
        "/",
        summary="The platform's health: ledger backlog, witnesses, scheduler, this host's signing key",
        description=(
            "Always 200 while the database answers; alert on `status` = `degraded` and on hosts whose "
            "`ledger_vkey` differ. A database outage answers 503 like every other route."
        ),
        responses=api_errors(),
    )
    async def health(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
        ledger_keys: NamedDependency[LedgerKeys],
        witness_config: NamedDependency[WitnessConfig],
    ) -> HealthOut:
        reading = await read_health(db_session, clock.now())
        limits = HealthLimits(
            max_merge_delay_seconds=settings.ledger_max_merge_delay_seconds,
            witness_grace_seconds=witness_config.grace_seconds if witness_config.enabled else None,
        )
        return HealthOut.of(
            reading, assess(reading, limits), ledger_vkey=vkey_of(ledger_keys), release=release_version()
        )
