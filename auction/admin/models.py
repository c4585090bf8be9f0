"""The administrative action log: who did what to the platform's set-up, and when."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from auction.db.base import Base, text_enum


class AdminActionKind(enum.StrEnum):
    """What an administrator did; the words inspectors filter and read by."""

    UNITS_IMPORTED = "units.imported"
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_DEACTIVATED = "account.deactivated"
    ACCOUNT_REACTIVATED = "account.reactivated"
    RULES_SET = "municipality.rules_set"
    PAYMENT_DETAILS_SET = "municipality.payment_details_set"
    OWNS_PROPERTY_SET = "municipality.owns_property_set"
    CONTACTS_SET = "municipality.contacts_set"


class AdminAction(Base):
    """One administrative action, written in the same transaction as the change it records, so neither exists
    without the other."""

    __tablename__ = "admin_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The administrator's account; null: the operator at the server's command line, who has no account yet
    # (the first administrator is made that way) or acted without naming one.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime]
    action: Mapped[AdminActionKind] = mapped_column(text_enum(AdminActionKind, 64))
    # What was acted on, as people name it: a unit's code, an account's e-mail, the imported file's name.
    target: Mapped[str] = mapped_column(String(300))
    # What changed, including the channel ("via": "console" or "cli"); never a password.
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
