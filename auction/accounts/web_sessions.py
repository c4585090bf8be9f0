"""Signed-in browser sessions kept in the database: started at login, checked on every request, revoked at logout.

The database is the only thing the app's processes and hosts share, so a session started on one host works on the
others, and a revocation anywhere ends it everywhere. Time comes from the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import WebSession
from auction.accounts.session_rules import SessionLimits, device_of, is_live, needs_touch, session_token_hash
from auction.clock import Clock

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class SessionView:
    """One live session as its owner sees it in the list."""

    id: int
    device: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


async def revoke_all_sessions(session: AsyncSession, user_id: int, now: datetime) -> int:
    """End every unrevoked session of the account as of ``now``; the number of sessions ended."""
    result = await session.execute(
        update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None)).values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class WebSessionService:
    """Starts, resumes and revokes sessions; the caller owns the transaction."""

    def __init__(self, session: AsyncSession, clock: Clock, limits: SessionLimits) -> None:
        self.session = session
        self.clock = clock
        self.limits = limits

    async def start(self, user_id: int, user_agent: str) -> tuple[str, WebSession]:
        """A new session with a fresh random id (never one the browser brought: no fixation); returns the id for
        the cookie and the row. The account's sessions that can no longer be used are purged here, lazily (only
        its own rows, so that concurrent logins of different people never lock each other's)."""
        now = self.clock.now()
        await self.purge(user_id)
        token = secrets.token_urlsafe(32)
        row = WebSession(
            token_hash=session_token_hash(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + self.limits.lifetime,
            revoked_at=None,
            user_agent=device_of(user_agent),
        )
        self.session.add(row)
        await self.session.flush()
        return token, row

    async def resume(self, token: str) -> WebSession | None:
        """The live session of a cookie's id, its last use noted; None when unknown, revoked, expired or idle."""
        row = await self.session.scalar(select(WebSession).where(WebSession.token_hash == session_token_hash(token)))
        now = self.clock.now()
        if row is None or not is_live(
            now=now,
            expires_at=row.expires_at,
            last_seen_at=row.last_seen_at,
            revoked_at=row.revoked_at,
            idle=self.limits.idle,
        ):
            return None
        if needs_touch(now=now, last_seen_at=row.last_seen_at):
            row.last_seen_at = now
        return row

    async def revoke(self, session_id: int) -> None:
        await self.session.execute(
            update(WebSession)
            .where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=self.clock.now())
        )

    async def revoke_all(self, user_id: int) -> int:
        """Sign the account out everywhere (this browser too); the number of sessions ended."""
        return await revoke_all_sessions(self.session, user_id, self.clock.now())

    async def live_of(self, user_id: int, current_id: int | None = None) -> list[SessionView]:
        """The account's usable sessions, most recently used first."""
        now = self.clock.now()
        rows = await self.session.scalars(
            select(WebSession)
            .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None), WebSession.expires_at > now)
            .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
        )
        return [
            SessionView(row.id, row.user_agent, row.created_at, row.last_seen_at, row.id == current_id)
            for row in rows
            if is_live(
                now=now,
                expires_at=row.expires_at,
                last_seen_at=row.last_seen_at,
                revoked_at=row.revoked_at,
                idle=self.limits.idle,
            )
        ]

    async def purge(self, user_id: int | None = None) -> int:
        """Delete rows no request can use any more (revoked, past their end, or idle past the limit): of one
        account, or of everyone; the number deleted."""
        now = self.clock.now()
        dead = or_(
            WebSession.revoked_at.is_not(None),
            WebSession.expires_at <= now,
            WebSession.last_seen_at <= now - self.limits.idle,
        )
        statement = delete(WebSession).where(dead)
        if user_id is not None:
            statement = statement.where(WebSession.user_id == user_id)
        result = await self.session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)


async def purge_sessions_regularly(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    limits: SessionLimits,
    stop: asyncio.Event,
    every_seconds: float = PURGE_EVERY_SECONDS,
) -> None:
    """The background job that clears dead sessions of accounts that never log in again (any host may run it:
    deleting a dead row twice is harmless)."""
    while not stop.is_set():
        try:
            async with sessions() as session, session.begin():
                await WebSessionService(session, clock, limits).purge()
        except Exception:
            log.exception("purging dead sessions failed; trying again later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)
