"""What the red-flag pages and API share: the service as a dependency over the statistics' service and its cache."""

from __future__ import annotations

from litestar.di import NamedDependency

from auction.redflags.service import RedFlagService
from auction.statistics.service import StatisticsService

PROOF_API = "/api/v1/ledger/proof/inclusion"


def provide_red_flags(statistics_service: NamedDependency[StatisticsService]) -> RedFlagService:
    return RedFlagService(statistics_service)
