"""The outbox of notices waiting to be sent, and each account's choices of what it gets and where."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from auction.db.base import Base, text_enum


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    # Given up: the last attempt failed and no more are due, or the channel is not configured here.
    FAILED = "failed"


class OutboxMessage(Base):
    """One notice for one recipient on one channel, written in the transaction of the event it tells about.

    It is the job queue too: any process's sender claims a due row for a short lease (an UPDATE that only one
    claimant wins), sends it, and marks it sent. (dedupe_key, channel) is unique, so one event queues one notice.
    """

    __tablename__ = "notification_outbox"
    __table_args__ = (UniqueConstraint("dedupe_key", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The e-mail address, phone number or Telegram chat id, as it was when the notice was queued.
    address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(text_enum(OutboxStatus), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    # Due when NULL or past; a failed attempt sets it later (backoff).
    next_attempt_at: Mapped[datetime | None]
    # A sender holds the row until then; a sender that died lets it go when the lease ends.
    claimed_until: Mapped[datetime | None]
    claim: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))


class NotificationPreference(Base):
    """What an account chose; an account without a row gets every notice of its audience by e-mail."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, autoincrement=False)
    # Comma-separated channel names (auction.notifications.kinds.CHANNELS) and notice kinds switched off.
    channels: Mapped[str] = mapped_column(String(100), default="email")
    muted: Mapped[str] = mapped_column(String(1000), default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    telegram: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]
