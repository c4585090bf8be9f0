"""Queueing notices in the caller's transaction (the transactional outbox).

A notice is a row written with the event it tells about: if the transaction rolls back, nothing is sent; if the
same event is told twice (a retried request, a second worker), its ``dedupe_key`` makes the second write a no-op.
The sender (auction/notifications/delivery.py) reads the rows only once they are committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role, User
from auction.notifications.kinds import CHANNELS, DEFAULT_CHANNELS, LANGUAGES, NOTICE_KINDS, parse_list
from auction.notifications.messages import language_of
from auction.notifications.models import NotificationPreference, OutboxMessage, OutboxStatus

MAX_DEDUPE_KEY = 190  # the column holds 200; officer fan-out appends ":u<id>"


async def notify(
    session: AsyncSession, *, account_id: int, kind: str, params: Mapping[str, str | int], dedupe_key: str
) -> None:
    """Queue notice ``kind`` for an account, in ``session``'s transaction, on each channel it chose.

    Nothing is queued if the account switched this kind off, is inactive, or has no address on a channel.
    ``dedupe_key`` names the event (e.g. ``outbid:<lot>:<bid id>:<account>``): queueing it again does nothing.
    """
    notice = _known(kind, dedupe_key)
    user = await session.get(User, account_id)
    if user is None or not user.is_active:
        return
    preference = await session.get(NotificationPreference, account_id)
    channels = list(DEFAULT_CHANNELS)
    if preference is not None:
        if notice.optional and kind in parse_list(preference.muted, list(NOTICE_KINDS)):
            return
        channels = parse_list(preference.channels, list(CHANNELS)) or list(DEFAULT_CHANNELS)
    if not notice.optional and "email" not in channels:
        channels.append("email")
    addresses = {
        "email": user.email,
        "sms": preference.phone if preference is not None else None,
        "telegram": preference.telegram if preference is not None else None,
    }
    for channel in channels:
        address = addresses.get(channel)
        if address:
            await _queue(
                session, dedupe_key, channel, address, user.id, language_of(user.preferred_language), kind, params
            )


async def notify_address(
    session: AsyncSession,
    *,
    address: str,
    language: str,
    kind: str,
    params: Mapping[str, str | int],
    dedupe_key: str,
) -> None:
    """Queue an e-mail notice to a bare address (a password reset), in ``session``'s transaction."""
    _known(kind, dedupe_key)
    await _queue(session, dedupe_key, "email", address, None, language_of(language), kind, params)


async def notify_officers(
    session: AsyncSession, *, municipality_id: int, kind: str, params: Mapping[str, str | int], dedupe_key: str
) -> None:
    """``notify`` every active officer of a municipality (each with their own choices and language)."""
    officers = await session.scalars(
        select(User.id)
        .where(User.role == Role.OFFICER, User.municipality_id == municipality_id, User.is_active)
        .order_by(User.id)
    )
    for officer_id in list(officers):
        await notify(session, account_id=officer_id, kind=kind, params=params, dedupe_key=f"{dedupe_key}:u{officer_id}")


class HasTitles(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def title_ky(self) -> str | None: ...
    @property
    def title_ru(self) -> str | None: ...
    @property
    def title_en(self) -> str | None: ...


def lot_params(lot: HasTitles, **more: str | int) -> dict[str, str | int]:
    """The params naming a lot (its id, for the link, and its titles, so each reader gets their language's)."""
    params: dict[str, str | int] = {"lot_id": lot.id}
    for language in LANGUAGES:
        title = getattr(lot, f"title_{language}")
        if title:
            params[f"lot_title_{language}"] = title
    params.update(more)
    return params


def _known(kind: str, dedupe_key: str) -> Any:
    notice = NOTICE_KINDS.get(kind)
    if notice is None:
        raise ValueError(f"unknown notice kind {kind!r}: add it to auction.notifications.kinds.NOTICE_KINDS")
    if not dedupe_key or len(dedupe_key) > MAX_DEDUPE_KEY:
        raise ValueError("a notice needs a dedupe_key of 1 to 190 characters")
    return notice


async def _queue(
    session: AsyncSession,
    dedupe_key: str,
    channel: str,
    address: str,
    user_id: int | None,
    language: str,
    kind: str,
    params: Mapping[str, str | int],
) -> None:
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(OutboxMessage.__table__)
        .values(
            dedupe_key=dedupe_key,
            channel=channel,
            user_id=user_id,
            address=address,
            language=language,
            kind=kind,
            params=dict(params),
            status=OutboxStatus.PENDING.value,
            attempts=0,
            # Informational only: when a row is due is next_attempt_at (NULL: at once), read on the sender's clock.
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key", "channel"])
    )
    await session.execute(statement)
