"""Municipalities: region > district or city > aiyl okmotu."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from auction.db.base import Base, text_enum
from auction.ledger.verifier.municipal_rules import DEFAULT_RULES, MunicipalRules, parse_rules


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
    # The state classifier code of the administrative unit (SOATE), when known.
    classifier_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Whether the unit owns property it may put up (regions above it may only group it).
    owns_property: Mapped[bool] = mapped_column(default=True)
    # The municipality's rules (MunicipalRules.payload()); null: the defaults of the law. Changed only through
    # MunicipalityService.set_rules, which records the change in the ledger.
    rules: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Where bidders pay deposits and winners pay: recipient, bank, account, as shown on every lot.
    payment_details: Mapped[str | None] = mapped_column(Text)
    # How citizens reach the office that puts up its property (the public contact page /municipalities/<code>).
    contact_address: Mapped[str | None] = mapped_column(String(300))
    contact_phone: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    office_hours: Mapped[str | None] = mapped_column(String(300))
    responsible_officer: Mapped[str | None] = mapped_column(String(200))

    def rules_in_force(self) -> MunicipalRules:
        return DEFAULT_RULES if self.rules is None else parse_rules(self.rules)

    def name(self, language: str) -> str:
        return {"ky": self.name_ky, "ru": self.name_ru}.get(language, self.name_en)
