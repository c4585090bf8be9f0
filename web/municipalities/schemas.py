"""What the catalog's reference API answers: the municipal hierarchy used by filters and forms."""

from __future__ import annotations

from pydantic import BaseModel, Field

from auction.municipalities.models import Municipality, MunicipalityLevel


class LocalizedName(BaseModel):
    ky: str
    ru: str
    en: str


class MunicipalityOut(BaseModel):
    id: int
    code: str
    level: MunicipalityLevel
    parent_id: int | None = Field(description="The region or district it belongs to; null for a region.")
    name: LocalizedName

    @classmethod
    def of(cls, municipality: Municipality) -> MunicipalityOut:
        return cls(
            id=municipality.id,
            code=municipality.code,
            level=municipality.level,
            parent_id=municipality.parent_id,
            name=LocalizedName(ky=municipality.name_ky, ru=municipality.name_ru, en=municipality.name_en),
        )
