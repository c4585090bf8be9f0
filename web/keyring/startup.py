"""The start-up check at the edge: a process whose keys are not the deployment's never starts serving.

The comparison itself is auction.keyring.rules.key_mismatches; here it is run, before uvicorn starts (the serve
command, which exits with 2) and in every app process's lifespan (a bare uvicorn, a worker).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.keyring.rules import KeysDisagree, host_keys
from auction.keyring.service import check_host_keys, check_host_keys_blocking
from auction.ledger.keys import LedgerKeys
from auction.settings import Settings


def refuse_before_serving(settings: Settings) -> None:
    """Raise KeysDisagree, naming each mismatch, if this host's keys differ from the deployment's published ones."""
    host = host_keys(settings.resolved_secret_key(), settings.ledger_keys())
    problems = check_host_keys_blocking(settings.resolved_database_url, host)
    if problems:
        raise KeysDisagree(problems)


async def refuse_in_lifespan(
    sessions: async_sessionmaker[AsyncSession], secret_key: str, keys: LedgerKeys, now: datetime
) -> None:
    """The same check from inside a starting app: the lifespan fails and the process exits without serving."""
    problems = await check_host_keys(sessions, host_keys(secret_key, keys), now)
    if problems:
        raise KeysDisagree(problems)
