"""The platform chain's newest body of a kind: what the platform last logged about itself (scripts, witnesses)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.ledger.models import PLATFORM_CHAIN, LedgerEntry, PendingEntry
from auction.ledger.verifier.entry import parse_body, parse_leaf


async def last_platform_payload(session: AsyncSession, kind: str) -> dict[str, Any] | None:
    """The payload of the newest `kind` body on the platform chain, integrated or still pending; None if none."""
    pending = await session.scalar(
        select(PendingEntry.body)
        .where(PendingEntry.chain_key == PLATFORM_CHAIN, PendingEntry.kind == kind)
        .order_by(PendingEntry.lot_seq.desc())
        .limit(1)
    )
    if pending is not None:  # pending bodies are newer than every integrated one of the same chain
        return dict(parse_body(pending).payload)
    leaf = await session.scalar(
        select(LedgerEntry.leaf)
        .where(LedgerEntry.chain_key == PLATFORM_CHAIN, LedgerEntry.kind == kind)
        .order_by(LedgerEntry.lot_seq.desc())
        .limit(1)
    )
    return None if leaf is None else dict(parse_leaf(leaf).body.payload)
