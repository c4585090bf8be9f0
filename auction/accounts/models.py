"""Users, their roles and API tokens, and the failed-login record that throttles guessing."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from auction.db.base import Base, text_enum


class Role(enum.StrEnum):
    BIDDER = "bidder"
    OFFICER = "officer"
    INSPECTOR = "inspector"
    ADMIN = "admin"


# Who reads the administrative action log and links bidders across lots (the inspection key's page and API).
INSPECTOR_ROLES = frozenset({Role.INSPECTOR, Role.ADMIN})


class BidderKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    LEGAL_ENTITY = "legal_entity"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(text_enum(Role))
    # Officers act for exactly one municipality; other roles have none.
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"), index=True)
    bidder_kind: Mapped[BidderKind | None] = mapped_column(text_enum(BidderKind))
    # 14-digit personal number (PIN) or the legal entity's tax number (INN): one bidder account per number, so the
    # index is unique; officers, inspectors and administrators have none (NULLs never clash).
    identity_number: Mapped[str | None] = mapped_column(String(14), unique=True, index=True)
    preferred_language: Mapped[str] = mapped_column(String(2), default="ru")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token for programmatic clients; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser: the cookie carries a random id, only its SHA-256 is stored, so a copy of this table
    lets nobody sign in; revoking the row ends the session on every host at once."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(String(100))


class PasswordReset(Base):
    """A password-reset link sent by e-mail: only the SHA-256 of its random token is kept; used once, then spent."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class BidderKey(Base):
    """A public key a bidder signs their actions with (docs/keys.md section 1); the private part never comes here.

    Revoking keeps the row: ledger entries signed by the key stay verifiable, and the key id stays taken.
    """

    __tablename__ = "bidder_keys"
    __table_args__ = (UniqueConstraint("user_id", "key_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(32))
    alg: Mapped[str] = mapped_column(String(20))
    public_key: Mapped[str] = mapped_column(String(100))
    rp_id: Mapped[str | None] = mapped_column(String(253))
    # A passkey's WebAuthn credential id (base64url), so the browser can ask for exactly this credential.
    credential_id: Mapped[str | None] = mapped_column(String(1400))
    label: Mapped[str] = mapped_column(String(100))
    # A passkey made for one lot (docs/keys.md 1.3): not discoverable, outside the account's limit of keys.
    lot_key: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PasskeyChallenge(Base):
    """The challenge of one passkey registration under way; used once, then deleted."""

    __tablename__ = "passkey_challenges"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, autoincrement=False)
    challenge: Mapped[str] = mapped_column(String(100))
    # The ceremony makes a lot key: fixed when the options are given, so the verification cannot be talked out of it.
    lot_key: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]


class ThrottleCounter(Base):
    """How many hits one bucket (a kind of limit and a hashed key) took in its current window.

    Kept in the database so every worker and host counts together; one row per bucket, raised by one atomic upsert
    per hit. The window is a plain epoch second: the upsert compares it with SQL on both engines.
    """

    __tablename__ = "throttle_counters"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    # SHA-256 of what is counted (an e-mail and an address, say): the table holds no personal data in clear.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hits: Mapped[int]
    window_ends: Mapped[int] = mapped_column(index=True)
