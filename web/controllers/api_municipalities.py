"""The municipal hierarchy, for filters and forms."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from auction.municipalities.service import MunicipalityService
from web.controllers.catalog_schemas import MunicipalityOut
from web.error_schemas import api_errors


class MunicipalityApi(Controller):
    path = "/api/v1/municipalities"
    tags = ["municipalities"]  # noqa: RUF012

    @get("/", summary="All municipalities with their parent", responses=api_errors())
    async def all(self, db_session: NamedDependency[AsyncSession]) -> list[MunicipalityOut]:
        return [MunicipalityOut.of(m) for m in await MunicipalityService(db_session).all()]
