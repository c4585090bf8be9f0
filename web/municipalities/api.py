"""The municipal hierarchy, for filters and forms."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from auction.municipalities.service import MunicipalityService
from web.lib.error_schemas import api_errors
from web.lib.replica import REPLICA_READS
from web.municipalities.schemas import MunicipalityOut


class MunicipalityApi(Controller):
    # Lag-tolerant public reads: from the replica when one is configured (web.lib.replica).
    dependencies = REPLICA_READS
    path = "/api/v1/municipalities"
    tags = ["municipalities"]  # noqa: RUF012

    @get("/", summary="All municipalities with their parent", responses=api_errors())
    async def all(self, municipality_service: NamedDependency[MunicipalityService]) -> list[MunicipalityOut]:
        return [MunicipalityOut.of(m) for m in await municipality_service.all()]
