"""What an account follows: lots on its watchlist, saved catalog searches, and the alerts recorded for both.

An alert row is written in the transaction of the change it reports (a lot published, a watched lot's state
changed), unique per what it reports, so that a retry or a republication never records it twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from auction.db.base import Base


class Watch(Base):
    """A lot on an account's watchlist."""

    __tablename__ = "watches"
    __table_args__ = (UniqueConstraint("account_id", "lot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    created_at: Mapped[datetime]


class SavedSearch(Base):
    """The catalog's filters an account saved, to be told when a lot that matches them is published.

    ``filters`` is `auction.watching.rules.SearchFilters` as JSON (money in tyiyn, enums by value).
    """

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class SearchMatch(Base):
    """A published lot that matched a saved search: one row per (search, lot), whatever is retried."""

    __tablename__ = "search_matches"
    __table_args__ = (UniqueConstraint("saved_search_id", "lot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    saved_search_id: Mapped[int] = mapped_column(ForeignKey("saved_searches.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    created_at: Mapped[datetime]


class WatchEvent(Base):
    """A change of a watched lot recorded for one watcher, unique by its dedupe key (see alerts.watch_dedupe_key)."""

    __tablename__ = "watch_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
