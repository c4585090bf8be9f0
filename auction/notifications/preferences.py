"""Each account's notice choices: which kinds, on which channels, in which language, at which phone or chat."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role, User
from auction.clock import Clock
from auction.errors import InvalidInput
from auction.notifications.kinds import (
    CHANNELS,
    DEFAULT_CHANNELS,
    LANGUAGES,
    NOTICE_KINDS,
    Audience,
    choosable_kinds,
    parse_list,
)
from auction.notifications.models import NotificationPreference

PHONE = re.compile(r"^\+?[0-9]{9,15}$")
TELEGRAM = re.compile(r"^(@[A-Za-z0-9_]{5,32}|-?[0-9]{5,20})$")


@dataclass(frozen=True, slots=True)
class Choices:
    language: str
    channels: list[str]
    kinds: list[str]  # the kinds switched on
    phone: str
    telegram: str
    choosable: list[str]


def audience_of(user: User) -> Audience:
    return Audience.OFFICER if user.role == Role.OFFICER else Audience.BIDDER


class PreferenceService:
    """The caller owns the transaction."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def of(self, user: User) -> Choices:
        row = await self.session.get(NotificationPreference, user.id)
        choosable = choosable_kinds(audience_of(user))
        muted = set(parse_list(row.muted, list(NOTICE_KINDS))) if row is not None else set()
        return Choices(
            language=user.preferred_language,
            channels=parse_list(row.channels, list(CHANNELS)) if row is not None else list(DEFAULT_CHANNELS),
            kinds=[kind for kind in choosable if kind not in muted],
            phone=(row.phone or "") if row is not None else "",
            telegram=(row.telegram or "") if row is not None else "",
            choosable=choosable,
        )

    async def choose(
        self, user: User, *, language: str, channels: list[str], kinds: list[str], phone: str, telegram: str
    ) -> Choices:
        """Keep the account's choices; a channel needs its address (a phone for SMS, a chat for Telegram)."""
        if language not in LANGUAGES:
            raise InvalidInput("account.language_unknown", field="language", languages=", ".join(LANGUAGES))
        phone, telegram = phone.strip().replace(" ", "").replace("-", ""), telegram.strip()
        if phone and not PHONE.match(phone):
            raise InvalidInput("notifications.phone_invalid", field="phone")
        if telegram and not TELEGRAM.match(telegram):
            raise InvalidInput("notifications.telegram_invalid", field="telegram")
        chosen = [channel for channel in CHANNELS if channel in channels]
        if "sms" in chosen and not phone:
            raise InvalidInput("notifications.phone_missing", field="phone")
        if "telegram" in chosen and not telegram:
            raise InvalidInput("notifications.telegram_missing", field="telegram")
        choosable = choosable_kinds(audience_of(user))
        muted = [kind for kind in choosable if kind not in kinds]
        row = await self.session.get(NotificationPreference, user.id)
        if row is None:
            row = NotificationPreference(user_id=user.id, updated_at=self.clock.now())
            self.session.add(row)
        row.channels = ",".join(chosen)
        row.muted = ",".join(muted)
        row.phone = phone or None
        row.telegram = telegram or None
        row.updated_at = self.clock.now()
        user.preferred_language = language
        await self.session.flush()
        return await self.of(user)
