"""After the award: contracts with their payment schedules, payments recorded against them, deposit refunds and
the instalment count an officer chose for a sale."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from auction.db.base import Base


class InstalmentPlan(Base):
    """How many instalments a sale's winner will pay in: chosen by an officer before the signature (default 1)."""

    __tablename__ = "instalment_plans"

    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), primary_key=True, autoincrement=False)
    instalments: Mapped[int]
    chosen_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    chosen_at: Mapped[datetime]


class Contract(Base):
    """The contract a signed award concludes, with its schedule exactly as `contract.concluded` records it."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), unique=True)
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(40))
    deal: Mapped[str] = mapped_column(String(10))
    price: Mapped[int]
    deposit_credited: Mapped[int]
    instalments: Mapped[int | None]
    signed_on: Mapped[date]
    concluded_at: Mapped[datetime]
    # [{number, due_on, amount}], as in the ledger entry.
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class ContractPayment(Base):
    """A payment an officer saw arrive, against one line of the schedule; the ledger holds only a commitment to
    the bank reference, the salt and reference stay here."""

    __tablename__ = "contract_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[int]
    amount: Mapped[int]
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(String(100))
    reference_salt: Mapped[str] = mapped_column(String(32))
    reference_commitment: Mapped[str] = mapped_column(String(64))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]


class DepositRefund(Base):
    """A deposit paid back to a bidder who did not win; one per application at most."""

    __tablename__ = "deposit_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    pseudonym: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int]
    reference: Mapped[str] = mapped_column(String(100))
    reference_salt: Mapped[str] = mapped_column(String(32))
    reference_commitment: Mapped[str] = mapped_column(String(64))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
