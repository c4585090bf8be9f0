"""Logging the platform's witnesses: one `witness.policy` entry whenever the configuration changes.

As with the release scripts (auction/ledger/release.py): several processes start at once, so a transaction-scoped
PostgreSQL advisory lock makes "is this configuration already the last one logged?" and the write one step.
"""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock
from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.keys import LedgerKeys
from auction.ledger.platform_chain import last_platform_payload
from auction.ledger.verifier.witness_policy import WITNESS_POLICY_ACTOR, WITNESS_POLICY_KIND, witness_policy_problem
from auction.ledger.verifier.witnessing import TrustPolicy
from auction.ledger.witness_config import WitnessConfig

WITNESS_POLICY_LOCK = zlib.crc32(WITNESS_POLICY_KIND.encode())
CHECK_WITH_OWNERS = (
    "# The platform's own configuration. Before you rely on it, check each key with its owner through a channel you "
    "trust: the log keys with the municipality, each witness key with that witness."
)


def policy_text(policy: TrustPolicy) -> str:
    """achyk-trust-policy/v1 text with a comment telling inspectors to check every key (parse_policy skips it)."""
    header, rest = policy.text().split("\n", 1)
    return f"{header}\n{CHECK_WITH_OWNERS}\n{rest}"


async def last_witness_policy(session: AsyncSession) -> dict[str, Any] | None:
    """The payload of the newest witness.policy body on the platform chain, integrated or still pending."""
    return await last_platform_payload(session, WITNESS_POLICY_KIND)


async def record_witness_policy(
    sessions: async_sessionmaker[AsyncSession],
    keys: LedgerKeys,
    clock: Clock,
    config: WitnessConfig,
    *,
    max_merge_delay_seconds: int = 60,
) -> Admitted | None:
    """Log the configured witnesses unless the last logged policy is the same; None if so.

    A platform that never had witnesses logs nothing; one whose witnesses were all removed logs quorum 0.
    """
    payload = config.payload()
    problem = witness_policy_problem(WITNESS_POLICY_ACTOR, payload)
    if problem is not None:
        raise ValueError(f"cannot log this witness policy: {problem}")
    async with sessions() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WITNESS_POLICY_LOCK})
        last = await last_witness_policy(session)
        if last == payload or (last is None and not config.witnesses):
            return None
        writer = LedgerWriter(session, keys, clock, max_merge_delay_seconds=max_merge_delay_seconds)
        return await writer.record(WITNESS_POLICY_KIND, None, WITNESS_POLICY_ACTOR, payload)
