"""The sender: takes due notices from the outbox and sends them, in any number of processes at once.

Claiming is one UPDATE that only one process can win (the row must still be unclaimed or its lease over), so two
senders never send the same row; the claim is committed before the network call, which therefore holds no lock.
A sent row is marked sent with its claim. The one window for a duplicate: a process that dies (or whose lease
runs out) after the server accepted the message and before the mark is committed; the row is sent again when its
lease ends. A failure is retried with exponential backoff up to ``max_attempts``, then the row is marked failed.

Why the outbox is its own queue rather than a pgqueuer or procrastinate job: the notice must be written in the
caller's SQLAlchemy transaction (so a rolled-back bid sends nothing) on PostgreSQL and on the embedded SQLite alike.
A queue library would need a second table outside Alembic, PostgreSQL only, fed from the same transaction through
the raw driver connection; the outbox row already is a durable job, and claiming it with a conditional UPDATE gives
the same guarantees (any process queues, any sends, none twice) with one code path for both databases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock
from auction.notifications.channels import Channel, Outgoing
from auction.notifications.messages import render
from auction.notifications.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    base_url: str
    batch_size: int = 20
    lease_seconds: float = 120.0
    max_attempts: int = 8
    first_retry_seconds: float = 30.0
    poll_seconds: float = 2.0


def backoff(attempts: int, first_retry_seconds: float) -> timedelta:
    """Wait before the next attempt after ``attempts`` failures: doubling, at most six hours."""
    return timedelta(seconds=min(first_retry_seconds * 2 ** max(attempts - 1, 0), 6 * 3600))


class Sender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        channels: Mapping[str, Channel],
        policy: DeliveryPolicy,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = channels
        self.policy = policy

    async def send_due(self) -> int:
        """Send one batch of due notices; the number sent."""
        now = self.clock.now()
        async with self.sessions() as session:
            ids = list(
                await session.scalars(
                    select(OutboxMessage.id)
                    .where(
                        OutboxMessage.status == OutboxStatus.PENDING,
                        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
                        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
                    )
                    .order_by(OutboxMessage.id)
                    .limit(self.policy.batch_size)
                )
            )
        sent = 0
        for outbox_id in ids:
            row = await self._claim(outbox_id)
            if row is not None and await self._deliver(row):
                sent += 1
        return sent

    async def _claim(self, outbox_id: int) -> OutboxMessage | None:
        now = self.clock.now()
        claim = secrets.token_hex(16)
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == outbox_id,
                    OutboxMessage.status == OutboxStatus.PENDING,
                    or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
                )
                .values(claimed_until=now + timedelta(seconds=self.policy.lease_seconds), claim=claim)
            )
            if getattr(result, "rowcount", 0) != 1:
                return None  # another sender won it
            row = await session.get(OutboxMessage, outbox_id)
            assert row is not None
            session.expunge(row)
        return row

    async def _deliver(self, row: OutboxMessage) -> bool:
        channel = self.channels.get(row.channel)
        if channel is None:
            unknown = LookupError(f"the {row.channel} channel is not configured on this host")
            await self._failed(row, unknown, permanent=True)
            return False
        try:
            message = render(row.kind, row.params, row.language, self.policy.base_url)
        except (KeyError, ValueError) as exc:  # a message that cannot be rendered never will be
            await self._failed(row, exc, permanent=True)
            return False
        try:
            await channel.send(Outgoing(row.id, row.kind, row.address, message))
        except Exception as exc:  # any failure of a channel is retried later
            await self._failed(row, exc, permanent=False)
            return False
        await self._finish(row, status=OutboxStatus.SENT, sent_at=self.clock.now(), claimed_until=None)
        return True

    async def _failed(self, row: OutboxMessage, exc: Exception, *, permanent: bool) -> None:
        attempts = row.attempts + 1
        give_up = permanent or attempts >= self.policy.max_attempts
        log.warning("notice %s (%s to %s) failed, attempt %s: %r", row.id, row.kind, row.channel, attempts, exc)
        await self._finish(
            row,
            status=OutboxStatus.FAILED if give_up else OutboxStatus.PENDING,
            attempts=attempts,
            next_attempt_at=self.clock.now() + backoff(attempts, self.policy.first_retry_seconds),
            claimed_until=None,
            last_error=repr(exc)[:300],
        )

    async def _finish(self, row: OutboxMessage, **values: object) -> None:
        async with self.sessions() as session, session.begin():
            # Only with our claim: a sender whose lease ran out must not overwrite the row's next holder.
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, OutboxMessage.claim == row.claim)
                .values(**values)
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Send due notices until ``stop``; a database outage is logged and waited out."""
        while not stop.is_set():
            try:
                sent = await self.send_due()
            except Exception:
                log.exception("the notice sender failed; trying again")
                sent = 0
            if sent:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.policy.poll_seconds)
