"""Lots put up for sale or lease, their recorded versions and their attached files."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from auction.db.base import Base, text_enum

# The terms the ledger records and the inspector's replay judges are defined once, with the rules, in the
# verifier; re-exported here (PEP 484's "import X as X") because they are the lot's own vocabulary too.
from auction.ledger.verifier.auction_rules import AuctionFormat as AuctionFormat  # noqa: PLC0414
from auction.ledger.verifier.auction_rules import Deal as Deal  # noqa: PLC0414
from auction.ledger.verifier.auction_rules import SingleParticipantRule as SingleParticipantRule  # noqa: PLC0414


class LotState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    BIDDING = "bidding"
    CLOSED = "closed"
    AWARDED = "awarded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PropertyKind(enum.StrEnum):
    LAND_PLOT = "land_plot"
    BUILDING = "building"
    VEHICLE = "vehicle"
    EQUIPMENT = "equipment"
    OTHER = "other"
    # What municipalities lease most: part of a building (an office, a shop), a place for a kiosk or pavilion,
    # a market or street-trade pitch, and a place for an advertising structure.
    PREMISES = "premises"
    KIOSK_PLACE = "kiosk_place"
    PITCH = "pitch"
    ADVERTISING_SPACE = "advertising_space"


class RentPeriod(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class FileKind(enum.StrEnum):
    DOCUMENT = "document"
    PHOTO = "photo"
    # The signed order that allows cancelling an auction in its last hours; its SHA-256 goes into lot.cancelled.
    ORDER = "order"


class Lot(Base):
    __tablename__ = "lots"
    __table_args__ = (
        Index("ix_lots_state_id", "state", "id"),
        # The catalog's keyset orders (auction.lots.catalog_order): by price, and by close; a price range too.
        Index("ix_lots_starting_price_id", "starting_price", "id"),
        Index("ix_lots_bidding_closes_at_id", "bidding_closes_at", "id"),
        # The catalog's text search is LIKE '%word%' over search_text: on PostgreSQL a trigram index answers it
        # (pg_trgm); SQLite scans, which its embedded, small catalogs afford.
        Index(
            "ix_lots_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # The scheduler's due openings (migration 0010_due_indexes): a probe, not a scan of every lot.
        Index(
            "ix_lots_due_opening",
            "bidding_opens_at",
            postgresql_where=text("state = 'published'"),
            sqlite_where=text("state = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    state: Mapped[LotState] = mapped_column(text_enum(LotState), default=LotState.DRAFT)
    version: Mapped[int] = mapped_column(default=1)
    deal: Mapped[Deal] = mapped_column(text_enum(Deal))
    kind: Mapped[PropertyKind] = mapped_column(text_enum(PropertyKind))
    format: Mapped[AuctionFormat] = mapped_column(text_enum(AuctionFormat))
    title_ky: Mapped[str | None] = mapped_column(String(200))
    title_ru: Mapped[str | None] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    description_ky: Mapped[str | None] = mapped_column(Text)
    description_ru: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    # Lower-cased concatenation of titles, descriptions and address, for portable text search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(300))
    area_sqm: Mapped[Any | None] = mapped_column(Numeric(14, 2))
    registration_number: Mapped[str | None] = mapped_column(String(64))
    starting_price: Mapped[int]
    bid_step: Mapped[int]
    deposit: Mapped[int]
    # The appraised value from the independent appraisal report (a sale: the property's market value; a lease: the
    # market rent per rent period), for the statistics and red flags that compare a result with it. Null when not
    # recorded (lots created before it was).
    valuation: Mapped[int | None]
    lease_term_months: Mapped[int | None]
    rent_period: Mapped[RentPeriod | None] = mapped_column(text_enum(RentPeriod))
    applications_close_at: Mapped[datetime]
    bidding_opens_at: Mapped[datetime]
    bidding_closes_at: Mapped[datetime]
    soft_close_minutes: Mapped[int] = mapped_column(default=5)
    max_extension_minutes: Mapped[int] = mapped_column(default=60)
    floor_price: Mapped[int | None]
    price_drop_interval_seconds: Mapped[int | None]
    single_participant_rule: Mapped[SingleParticipantRule] = mapped_column(
        text_enum(SingleParticipantRule), default=SingleParticipantRule.FAIL
    )
    # The council (kenesh) decision that put the property up: number, date and body, as the protocol cites it.
    council_decision: Mapped[str | None] = mapped_column(String(300))
    # A lease's rent rises by this percent each year of the term (none: fixed rent).
    indexation_percent: Mapped[int | None]
    # A lease's permitted use: what the tenant may use the property for ("retail of food", "car park").
    permitted_use: Mapped[str | None] = mapped_column(String(300))
    # A lease whose present tenant, having honoured their lease, may have a preferential right (docs/rules.md).
    sitting_tenant: Mapped[bool] = mapped_column(default=False)
    # The council decision that allows a lease term beyond the municipality's cap: number, date and body.
    lease_extension_decision: Mapped[str | None] = mapped_column(String(300))
    # Where bidders pay the deposit (auction/lots/payment.py): required to publish a lot that takes one.
    payment_recipient: Mapped[str | None] = mapped_column(String(200))
    payment_bank: Mapped[str | None] = mapped_column(String(200))
    payment_account: Mapped[str | None] = mapped_column(String(34))
    payment_bank_code: Mapped[str | None] = mapped_column(String(6))
    payment_purpose: Mapped[str | None] = mapped_column(String(300))
    repeat_of_lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]

    @hybrid_property
    def is_public(self) -> bool:
        """Whether the public may see the lot: once published it stays public whatever becomes of it (its
        cancellation or failure is public record too); a draft, and a draft cancelled before it was ever
        published, never were. The one rule every read path applies, in Python and in SQL alike."""
        return self.published_at is not None

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls) -> ColumnElement[bool]:
        return cls.published_at.is_not(None)


class LotVersion(Base):
    """Every published version of a lot's terms, so that no amendment is silent."""

    __tablename__ = "lot_versions"
    __table_args__ = (UniqueConstraint("lot_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    version: Mapped[int]
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    reopened_applications: Mapped[bool] = mapped_column(default=False)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class LotFile(Base):
    """A document or photo of a lot; its bytes live in the database so every host serves the same file."""

    __tablename__ = "lot_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    kind: Mapped[FileKind] = mapped_column(text_enum(FileKind))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]
    # The document that replaced this one (its ledger entry `lot.document` names this one's hash in `replaces`).
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("lot_files.id"))


class CancellationRequest(Base):
    """An officer's pending request to cancel a live lot, waiting for a second official to confirm it.

    One per lot at a time. It holds the state the lot was in when asked: once the lot moves on (bidding opens,
    the auction closes, it is decided) the request no longer describes what would be cancelled, and is cleared.
    """

    __tablename__ = "cancellation_requests"

    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), primary_key=True)
    lot_state: Mapped[LotState] = mapped_column(text_enum(LotState))
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    # The recorded order, when the cancellation falls in the lockout before the close (all four or none).
    order_number: Mapped[str | None] = mapped_column(String(200))
    order_date: Mapped[str | None] = mapped_column(String(10))
    order_issued_by: Mapped[str | None] = mapped_column(String(200))
    order_file_id: Mapped[int | None] = mapped_column(ForeignKey("lot_files.id"))
