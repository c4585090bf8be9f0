"""Leases: which one process of a deployment runs a background duty now (the integrator, the scheduler's scans).

A row per duty in ``ledger_lease`` with its holder and expiry; the holder renews it, and once a crashed holder's
term runs out any other process takes it. A lease only saves work: every action a leader takes is made
exactly-once by its own row locks, so two overlapping leaders are safe, merely wasteful.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock
from auction.db.engine import transaction
from auction.ledger.models import IntegratorLease

INTEGRATOR_LEASE = 1
SCHEDULER_LEASE = 2  # added by migration 0010_due_indexes


def process_holder() -> str:
    """A name unique to this process (host, pid and a nonce: a pid may be reused by a restarted worker)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, lease_id: int, term_seconds: float
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.lease_id = lease_id
        self.term = timedelta(seconds=term_seconds)
        self.holder = process_holder()

    async def hold(self) -> bool:
        """Take or renew the lease; True while this process holds it."""
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            result = await session.execute(
                update(IntegratorLease)
                .where(
                    IntegratorLease.id == self.lease_id,
                    or_(IntegratorLease.holder == self.holder, IntegratorLease.expires_at < now),
                )
                .values(holder=self.holder, expires_at=now + self.term)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release(self) -> None:
        """Give the lease up at a clean stop, so that another process need not wait out its term."""
        async with transaction(self.sessions) as session:
            await session.execute(
                update(IntegratorLease)
                .where(IntegratorLease.id == self.lease_id, IntegratorLease.holder == self.holder)
                .values(expires_at=self.clock.now() - timedelta(seconds=1))
            )
