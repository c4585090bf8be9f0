"""Account use cases: registration, login with a database-backed throttle, API tokens."""

from __future__ import annotations

import math
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import ApiToken, Role, User
from auction.accounts.passwords import check_password, hash_api_token, hash_password_off_loop, new_api_token
from auction.accounts.rules import identity_problem
from auction.accounts.schemas import Registration
from auction.accounts.throttle import Throttle
from auction.accounts.throttle_rules import LoginLimits, login_failure_buckets
from auction.clock import BISHKEK, Clock
from auction.errors import Conflict, InvalidInput, NotAuthenticated, TooManyAttempts

LANGUAGES = ("ky", "ru", "en")
# A person's age and a birth date's "future" are judged by the calendar where the municipalities are.


def remember_language(user: User, language: str) -> None:
    """Keep the language a user chose on their account; the caller's transaction commits it."""
    if language not in LANGUAGES:
        raise InvalidInput("account.language_unknown", field="language", languages=", ".join(LANGUAGES))
    user.preferred_language = language


class AccountService:
    """Creates users and checks who they are; the caller owns the transaction."""

    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        *,
        throttle: Throttle | None = None,
        max_failures: int = 5,
        max_unknown_device_failures: int = 20,
        lockout_seconds: int = 900,
    ) -> None:
        self.session = session
        self.clock = clock
        self.throttle = throttle
        self.login_limits = LoginLimits(max_failures, max_unknown_device_failures, lockout_seconds)

    async def register_bidder(self, data: Registration) -> User:
        """A new bidder account; one per personal or tax number, whoever tries to register it again."""
        problem = identity_problem(data.bidder_kind, data.identity_number, self.today())
        if problem:
            raise InvalidInput.of(problem)
        # Someone registering twice hears about their e-mail first: "log in" is the answer they need.
        if await self._email_taken(data.email):
            raise Conflict("account.email_taken", field="email")
        if await self._identity_taken(data.identity_number):
            raise self._identity_refusal()
        return await self.create_user(
            email=data.email,
            password=data.password,
            full_name=data.full_name,
            role=Role.BIDDER,
            bidder_kind=data.bidder_kind,
            identity_number=data.identity_number,
            preferred_language=data.preferred_language,
        )

    def today(self) -> date:
        """The registration day in Bishkek."""
        return self.clock.now().astimezone(BISHKEK).date()

    async def create_user(
        self,
        *,
        email: str,
        password: str,
        full_name: str,
        role: Role,
        municipality_id: int | None = None,
        **extra: object,
    ) -> User:
        if (role == Role.OFFICER) != (municipality_id is not None):
            raise InvalidInput("account.officer_municipality")
        if await self._email_taken(email):
            raise Conflict("account.email_taken", field="email")
        user = User(
            email=email.lower(),
            password_hash=await hash_password_off_loop(password),
            full_name=full_name,
            role=role,
            municipality_id=municipality_id,
            created_at=self.clock.now(),
            **extra,
        )
        # The checks above read before writing, so two registrations at once can both pass them; the unique
        # indexes decide, and the loser is refused as if it had come second (a savepoint keeps the session usable).
        try:
            async with self.session.begin_nested():
                self.session.add(user)
        except IntegrityError:
            identity = extra.get("identity_number")
            if isinstance(identity, str) and await self._identity_taken(identity):
                raise self._identity_refusal() from None
            if await self._email_taken(email):
                raise Conflict("account.email_taken", field="email") from None
            raise
        return user

    async def _email_taken(self, email: str) -> bool:
        return await self.session.scalar(select(User.id).where(User.email == email.lower())) is not None

    async def _identity_taken(self, number: str) -> bool:
        return await self.session.scalar(select(User.id).where(User.identity_number == number)) is not None

    @staticmethod
    def _identity_refusal() -> Conflict:
        # The refusal says the number is taken, and nothing about whose account holds it.
        return Conflict("account.identity_taken", field="identity_number")

    async def authenticate(self, email: str, password: str, *, source: str, device: str | None = None) -> User:
        """The user with these credentials, from the client address ``source`` and the device ``device`` (an id
        whose token was verified for this e-mail, or None); refuses after too many recent failures (see
        auction.accounts.throttle_rules for whose failures count against whom)."""
        if self.throttle is None:
            raise RuntimeError("authenticate needs the login throttle")
        email = email.lower()
        # Each bucket is counted before the password is checked, so parallel guesses cannot all slip under the
        # limit; an owner's success gives its hit back.
        buckets = login_failure_buckets(self.login_limits, email, source, device)
        for bucket in buckets:
            wait = await self.throttle.take(bucket)
            if wait is not None:
                raise TooManyAttempts("account.login_throttled", retry_after=wait, minutes=math.ceil(wait / 60))
        user = await self.session.scalar(select(User).where(User.email == email))
        known = user is not None and user.is_active
        # An unknown or closed account still costs one argon2 verification: the answer's timing says nothing.
        matches = await check_password(user.password_hash if user is not None and known else None, password)
        if user is None or not known or not matches:
            raise NotAuthenticated("account.login_wrong")
        for bucket in buckets:
            if bucket.limit.scope == "login.account":
                await Throttle.give_back(self.session, bucket)  # other devices' failures stay counted
            else:
                await Throttle.clear(self.session, bucket)
        return user

    async def issue_token(self, user: User, name: str) -> str:
        token, token_hash = new_api_token()
        self.session.add(ApiToken(user_id=user.id, name=name, token_hash=token_hash, created_at=self.clock.now()))
        await self.session.flush()
        return token

    async def user_for_token(self, token: str) -> User | None:
        return await self.session.scalar(
            select(User)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == hash_api_token(token), ApiToken.revoked_at.is_(None), User.is_active)
        )

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def officers_of(self, municipality_id: int) -> list[User]:
        """The active officers of a municipality, by name: who may sit on a commission of its lots."""
        rows = await self.session.scalars(
            select(User)
            .where(User.role == Role.OFFICER, User.municipality_id == municipality_id, User.is_active.is_(True))
            .order_by(User.full_name, User.id)
        )
        return list(rows)
