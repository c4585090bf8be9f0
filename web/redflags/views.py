"""What the red-flag pages and API share: the service as a dependency over the statistics' service and its cache."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide

from auction.redflags.service import RedFlagService
from auction.statistics.service import StatisticsService
from web.statistics.views import STATISTICS_READS

PROOF_API = "/api/v1/ledger/proof/inclusion"


def provide_red_flags(statistics_service: NamedDependency[StatisticsService]) -> RedFlagService:
    return RedFlagService(statistics_service)


# The red-flag pages' and API's dependencies: lag-tolerant public reads (the replica when one is configured).
RED_FLAG_READS = {**STATISTICS_READS, "red_flags": Provide(provide_red_flags, sync_to_thread=False)}
