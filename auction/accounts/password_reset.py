"""Password reset by e-mail: a single-use, expiring link whose random token is never stored, only its SHA-256.

The caller sends the link (auction.notifications.notify_address) in the same transaction that stores the token, so
a link exists only if its row does. Asking never tells whether an account has the address; completing a reset ends
every signed-in session of the account (a person resetting may be locking out whoever took their password).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import PasswordReset, User
from auction.accounts.passwords import MIN_PASSWORD_LENGTH, hash_api_token, hash_password_off_loop
from auction.accounts.web_sessions import revoke_all_sessions
from auction.clock import Clock, as_utc
from auction.errors import InvalidInput

# The token's SHA-256 hex, the same fast hash as API tokens (both carry 256 random bits).
reset_token_hash = hash_api_token


class PasswordResetService:
    """The caller owns the transaction."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def start(self, email: str, lifetime: timedelta) -> tuple[User, str] | None:
        """A new reset token for the active account with this e-mail, or None when there is none."""
        user = await self.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is None or not user.is_active:
            return None
        now = self.clock.now()
        token = secrets.token_urlsafe(32)
        self.session.add(
            PasswordReset(
                user_id=user.id, token_hash=reset_token_hash(token), created_at=now, expires_at=now + lifetime
            )
        )
        await self.session.flush()
        return user, token

    async def usable(self, token: str) -> PasswordReset | None:
        """The reset a link names, if it is unused and not expired."""
        row = await self.session.scalar(
            select(PasswordReset).where(PasswordReset.token_hash == reset_token_hash(token))
        )
        if row is None or row.used_at is not None or self.clock.now() >= as_utc(row.expires_at):
            return None
        return row

    async def complete(self, token: str, new_password: str) -> User:
        """Set the new password, spend the token (and every other open one of the account), end all sessions."""
        row = await self.usable(token)
        if row is None:
            raise InvalidInput("password_reset.invalid")
        if not MIN_PASSWORD_LENGTH <= len(new_password) <= 200:
            raise InvalidInput("password_reset.password_short", field="password")
        now = self.clock.now()
        # Spent with a guard on used_at: of two requests racing with one link, only one changes the password.
        spent = await self.session.execute(
            update(PasswordReset).where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None)).values(used_at=now)
        )
        if getattr(spent, "rowcount", 0) != 1:
            raise InvalidInput("password_reset.invalid")
        await self.session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == row.user_id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
        user = await self.session.get(User, row.user_id)
        assert user is not None
        user.password_hash = await hash_password_off_loop(new_password)
        await revoke_all_sessions(self.session, user.id, now)
        await self.session.flush()
        return user
