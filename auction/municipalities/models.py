"""Municipalities: region > district or city > aiyl okmotu."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from auction.db.base import Base, text_enum


class MunicipalityLevel(enum.StrEnum):
    REGION = "region"
    DISTRICT = "district"
    CITY = "city"
    AIYL_OKMOTU = "aiyl_okmotu"


class Municipality(Base):
    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    level: Mapped[MunicipalityLevel] = mapped_column(text_enum(MunicipalityLevel))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"), index=True)
    name_ky: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    # A per-municipality cap on lease terms, required by the lease rules of the pilots.
    max_lease_months: Mapped[int] = mapped_column(default=49 * 12)
    # How far a repeat auction may cut the starting price, in percent.
    max_repeat_reduction_pct: Mapped[int] = mapped_column(default=50)

    def name(self, language: str) -> str:
        return {"ky": self.name_ky, "ru": self.name_ru}.get(language, self.name_en)
