"""Participation, bids, the running auction's state, sealed lots' commission ceremonies and awards."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from auction.db.base import Base, text_enum


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class BidStatus(enum.StrEnum):
    STANDING = "standing"
    REPLACED = "replaced"
    WITHDRAWN = "withdrawn"
    # Witnessed after the close (+ grace): listed in auction.closed `late`, takes no part in the result.
    LATE = "late"


class AwardStatus(enum.StrEnum):
    RESERVE = "reserve"
    AWAITING_SIGNATURE = "awaiting_signature"
    SIGNED = "signed"
    DECLINED = "declined"
    EXPIRED = "expired"


class Application(Base):
    """A bidder's request to take part in one lot; only approved applicants with a confirmed deposit bid."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("lot_id", "bidder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(40))
    status: Mapped[ApplicationStatus] = mapped_column(text_enum(ApplicationStatus))
    # The bank's reference of the deposit and the random salt (32 hex digits) of its public commitment: the ledger's
    # deposit.confirmed carries only SHA-256(salt || reference), so an auditor with the database can open it.
    deposit_reference: Mapped[str | None] = mapped_column(String(100))
    deposit_reference_salt: Mapped[str | None] = mapped_column(String(32))
    deposit_confirmed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime]
    reviewed_at: Mapped[datetime | None]
    # The key objects the bidder may sign with on this lot (docs/keys.md 1.3), and the seq of their last signed
    # entry: the next action must carry last_seq + 1.
    keys: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    last_seq: Mapped[int] = mapped_column(default=0)


class Bid(Base):
    """An accepted bid. Refused attempts leave no row: only a log line."""

    __tablename__ = "bids"
    __table_args__ = (
        UniqueConstraint("bidder_id", "idempotency_key"),
        Index("ix_bids_lot_amount", "lot_id", "amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    pseudonym: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int | None]
    ciphertext: Mapped[str | None] = mapped_column(Text)
    ciphertext_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[BidStatus] = mapped_column(text_enum(BidStatus), default=BidStatus.STANDING)
    placed_at: Mapped[datetime]
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    body_hash: Mapped[str] = mapped_column(String(64))
    receipt: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuctionClock(Base):
    """The running auction of one lot: current price, leader and the (soft-closed) closing time."""

    __tablename__ = "auction_clocks"
    # The scheduler's due closes and run-off ends (migration 0010_due_indexes): closed auctions are left out.
    __table_args__ = (
        Index(
            "ix_auction_clocks_due_close",
            "closes_at",
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
        Index(
            "ix_auction_clocks_due_runoff",
            "runoff_closes_at",
            postgresql_where=text("runoff_closes_at IS NOT NULL"),
            sqlite_where=text("runoff_closes_at IS NOT NULL"),
        ),
    )

    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), primary_key=True, autoincrement=False)
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    latest_close: Mapped[datetime]
    current_price: Mapped[int | None]
    leader: Mapped[str | None] = mapped_column(String(40))
    bid_count: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None]
    # A descending lot's recorded outages, [[outage_from, outage_to], ...] as ledger time strings, in time order:
    # its price does not fall during them (auction.ledger.verifier.dutch_clock). None: none recorded.
    pauses: Mapped[list[list[str]] | None] = mapped_column(JSON)
    # A descending lot whose tick had several contenders: the run-off's tick price and deadline (runoff.opened).
    runoff_price: Mapped[int | None]
    runoff_closes_at: Mapped[datetime | None]


class RunoffOffer(Base):
    """A contender's sealed run-off offer: the ledger shows only its hash until the deadline, the amount and
    nonce wait here and are revealed by `runoff.revealed` (docs/ledger-entries.md)."""

    __tablename__ = "runoff_offers"
    __table_args__ = (UniqueConstraint("lot_id", "bidder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    pseudonym: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int]
    nonce: Mapped[str] = mapped_column(String(100))
    offer_hash: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime]
    body_hash: Mapped[str] = mapped_column(String(64))
    receipt: Mapped[dict[str, Any]] = mapped_column(JSON)


class CommissionCeremony(Base):
    """One run of a sealed lot's key ceremony; a restart discards the run but keeps it, and its messages, on record.

    Only public parts are here: the members' public keys, the dealings (whose shares are encrypted to each member's
    own key), acknowledgements, and at the opening the decryption shares. No secret of any member ever is.
    """

    __tablename__ = "commission_ceremonies"
    # The sealed lots waiting for their opening (migration 0010_due_indexes).
    __table_args__ = (
        Index(
            "ix_commission_ceremonies_waiting",
            "lot_id",
            postgresql_where=text("opened_at IS NULL AND discarded_at IS NULL"),
            sqlite_where=text("opened_at IS NULL AND discarded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    threshold: Mapped[int]
    members: Mapped[list[int]] = mapped_column(JSON)  # user ids, ascending: member j has index position + 1
    started_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime]
    discarded_at: Mapped[datetime | None]
    public_key: Mapped[str | None] = mapped_column(String(64))  # the joint key Y, once the ceremony is complete
    opened_at: Mapped[datetime | None]


class CeremonyMessage(Base):
    """A member's signed message, relayed as posted: kind key | dealing | acknowledgement | share."""

    __tablename__ = "ceremony_messages"
    __table_args__ = (UniqueConstraint("ceremony_id", "kind", "member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ceremony_id: Mapped[int] = mapped_column(ForeignKey("commission_ceremonies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    member: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]


class Award(Base):
    """Who was offered the lot at what price, in order: the winner first, then the runner-up."""

    __tablename__ = "awards"
    __table_args__ = (
        UniqueConstraint("lot_id", "rank"),
        # The scheduler's due expiries (migration 0010_due_indexes).
        Index(
            "ix_awards_due_expiry",
            "sign_deadline",
            postgresql_where=text("status = 'awaiting_signature'"),
            sqlite_where=text("status = 'awaiting_signature'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    rank: Mapped[int]
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    pseudonym: Mapped[str] = mapped_column(String(40))
    price: Mapped[int]
    status: Mapped[AwardStatus] = mapped_column(text_enum(AwardStatus))
    sign_deadline: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class SchedulerPulse(Base):
    """When some app process last proved the platform could take bids; a gap is an outage."""

    __tablename__ = "scheduler_pulse"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # None until the first tick: a platform that never ran has had no outage.
    last_alive: Mapped[datetime | None]
