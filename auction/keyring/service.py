"""The deployment's keys in the database: the first host makes and seals them, every host reads the same set,
and each host's keys are checked against what the deployment published before it serves.

Every write is INSERT ... ON CONFLICT DO NOTHING followed by a read of the row: hosts starting at the same instant
all end up with whichever row was committed first, never with one of their own.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import SystemClock
from auction.db.engine import opened, transaction
from auction.keyring.models import DeploymentKey
from auction.keyring.rules import (
    FINGERPRINT_PREFIX,
    LEDGER_VKEY,
    PSEUDONYM_KEY,
    SEALED_PREFIX,
    SESSION_SECRET,
    SHARED_SECRETS,
    HostKeys,
    PublishedKeys,
    decode_key_encryption_key,
    fingerprint,
    key_mismatches,
    seal,
    unseal,
)
from auction.ledger.keys import new_seed
from auction.ledger.models import PLATFORM_CHAIN, LedgerEntry, PendingEntry, SignedCheckpoint
from auction.ledger.rotation import ROTATION_KIND
from auction.ledger.verifier.entry import parse_body, parse_leaf

T = TypeVar("T")
_NONCE_BYTES = 12


def new_session_secret() -> str:
    return _generated(SESSION_SECRET)


def _generated(name: str) -> str:
    # The session secret is free text in configuration; the ledger's keys are 32-byte seeds in base64.
    return secrets.token_urlsafe(48) if name == SESSION_SECRET else new_seed()


async def _insert_first(session: AsyncSession, purpose: str, value: bytes, now: datetime) -> bytes:
    """Write ``value`` for ``purpose`` unless a row is there already; the value that is there afterwards."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(DeploymentKey)
        .values(purpose=purpose, value=value, created_at=now)
        .on_conflict_do_nothing(index_elements=["purpose"])
    )
    won = await session.scalar(select(DeploymentKey.value).where(DeploymentKey.purpose == purpose))
    assert won is not None  # written above or by whoever was first
    return won


async def shared_secrets(
    sessions: async_sessionmaker[AsyncSession], key_encryption_key: bytes, now: datetime
) -> dict[str, str]:
    """The deployment's session secret and ledger seeds from the database, made and sealed by the first host."""
    opened_secrets: dict[str, str] = {}
    async with transaction(sessions) as session:
        for name in SHARED_SECRETS:
            purpose = SEALED_PREFIX + name
            fresh = seal(key_encryption_key, purpose, _generated(name), os.urandom(_NONCE_BYTES))
            opened_secrets[name] = unseal(
                key_encryption_key, purpose, await _insert_first(session, purpose, fresh, now)
            )
    return opened_secrets


async def replace_sealed(
    session: AsyncSession, key_encryption_key: bytes, name: str, value: str, now: datetime
) -> None:
    """Seal ``value`` as the deployment's ``name`` (a rotation), keeping the old one under a retired purpose."""
    purpose = SEALED_PREFIX + name
    old = await session.scalar(select(DeploymentKey.value).where(DeploymentKey.purpose == purpose).with_for_update())
    if old is None:
        raise ValueError(f"the database holds no {name} to replace")
    retired = f"{purpose}.retired-{int(now.timestamp())}"
    session.add(
        DeploymentKey(
            purpose=retired,
            value=seal(key_encryption_key, retired, unseal(key_encryption_key, purpose, old), os.urandom(_NONCE_BYTES)),
            created_at=now,
        )
    )
    await session.execute(
        update(DeploymentKey)
        .where(DeploymentKey.purpose == purpose)
        .values(value=seal(key_encryption_key, purpose, value, os.urandom(_NONCE_BYTES)), created_at=now)
    )


async def renew_session_secret(
    session: AsyncSession, secret: str, key_encryption_key: bytes | None, now: datetime
) -> None:
    """Make ``secret`` the deployment's session secret (sealed in the database when it lives there) and publish its
    fingerprint, so that the start-up check expects it from now on. Every session made before ends."""
    if key_encryption_key is not None:
        await replace_sealed(session, key_encryption_key, SESSION_SECRET, secret, now)
    purpose, value = FINGERPRINT_PREFIX + SESSION_SECRET, fingerprint(secret).encode()
    changed = await session.execute(
        update(DeploymentKey).where(DeploymentKey.purpose == purpose).values(value=value, created_at=now)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        await _insert_first(session, purpose, value, now)


async def _latest_rotation(session: AsyncSession) -> str | None:
    """The key the newest key.rotated entry (integrated or still pending) switched to."""
    integrated = await session.scalar(
        select(LedgerEntry.leaf)
        .where(LedgerEntry.chain_key == PLATFORM_CHAIN, LedgerEntry.kind == ROTATION_KIND)
        .order_by(LedgerEntry.lot_seq.desc())
        .limit(1)
    )
    pending = await session.scalar(
        select(PendingEntry.body)
        .where(PendingEntry.chain_key == PLATFORM_CHAIN, PendingEntry.kind == ROTATION_KIND)
        .order_by(PendingEntry.lot_seq.desc())
        .limit(1)
    )
    bodies = [parse_leaf(integrated).body] if integrated is not None else []
    if pending is not None:
        bodies.append(parse_body(pending))
    if not bodies:
        return None
    return str(max(bodies, key=lambda body: body.lot_seq).payload["new_vkey"])


async def _published(session: AsyncSession) -> PublishedKeys:
    rows = dict(
        (
            await session.execute(
                select(DeploymentKey.purpose, DeploymentKey.value).where(
                    DeploymentKey.purpose.in_(
                        [LEDGER_VKEY, FINGERPRINT_PREFIX + SESSION_SECRET, FINGERPRINT_PREFIX + PSEUDONYM_KEY]
                    )
                )
            )
        ).all()
    )

    def text(purpose: str) -> str | None:
        value = rows.get(purpose)
        return None if value is None else bytes(value).decode()

    first_checkpoint = await session.scalar(select(SignedCheckpoint.note).order_by(SignedCheckpoint.id).limit(1))
    return PublishedKeys(
        rotated_to=await _latest_rotation(session),
        first_vkey=text(LEDGER_VKEY),
        first_checkpoint=first_checkpoint,
        session_fingerprint=text(FINGERPRINT_PREFIX + SESSION_SECRET),
        pseudonym_fingerprint=text(FINGERPRINT_PREFIX + PSEUDONYM_KEY),
    )


async def check_host_keys(sessions: async_sessionmaker[AsyncSession], host: HostKeys, now: datetime) -> list[str]:
    """Why this host's keys are not the deployment's (empty if they are); the first host to agree publishes them.

    A host that disagrees publishes nothing, so a wrong host started first on an older database cannot make its
    keys the expected ones.
    """
    async with transaction(sessions) as session:
        problems = key_mismatches(host, await _published(session))
        if problems:
            return problems
        await _insert_first(session, LEDGER_VKEY, host.ledger_vkey.encode(), now)
        await _insert_first(session, FINGERPRINT_PREFIX + SESSION_SECRET, host.session_fingerprint.encode(), now)
        await _insert_first(session, FINGERPRINT_PREFIX + PSEUDONYM_KEY, host.pseudonym_fingerprint.encode(), now)
        # Another host may have published first, between the read and the inserts.
        return key_mismatches(host, await _published(session))


def shared_secrets_blocking(database_url: str, key_encryption_key: str) -> dict[str, str]:
    """`shared_secrets` for synchronous callers (settings are resolved while the app is being built)."""
    key = decode_key_encryption_key(key_encryption_key)

    async def run() -> dict[str, str]:
        async with opened(database_url) as sessions:
            return await shared_secrets(sessions, key, SystemClock().now())

    return run_blocking(run)


def check_host_keys_blocking(database_url: str, host: HostKeys) -> list[str]:
    """`check_host_keys` for the serve command, before it starts serving."""

    async def run() -> list[str]:
        async with opened(database_url) as sessions:
            return await check_host_keys(sessions, host, SystemClock().now())

    return run_blocking(run)


def run_blocking(work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` to completion on an event loop of its own thread: callers may be inside a running loop."""

    async def main() -> T:
        return await work()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()
