"""The municipal hierarchy, for filters and forms."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency

from auction.municipalities.service import MunicipalityService


class MunicipalityApi(Controller):
    path = "/api/v1/municipalities"
    tags = ["municipalities"]  # noqa: RUF012

    @get("/", summary="All municipalities with their parent")
    async def all(self, municipality_service: NamedDependency[MunicipalityService]) -> list[dict[str, Any]]:
        return [
            {
                "id": m.id,
                "code": m.code,
                "level": m.level,
                "parent_id": m.parent_id,
                "name": {"ky": m.name_ky, "ru": m.name_ru, "en": m.name_en},
            }
            for m in await municipality_service.all()
        ]
