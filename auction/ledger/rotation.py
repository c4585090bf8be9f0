"""Rotating the log's signing key: the rotation is itself an entry, so old checkpoints stay verifiable."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.keys import LedgerKeys
from auction.ledger.models import PLATFORM_CHAIN, LedgerEntry
from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.note import format_vkey

ROTATION_KIND = "key.rotated"


def vkey_of(keys: LedgerKeys) -> str:
    return format_vkey(keys.key_name, keys.public_key)


def vkey_fingerprint(vkey: str) -> str:
    """What a person compares by eye: the first 16 bytes of SHA-256 of the vkey text, hex in groups of four.

    The sealing page shows the same (web/static/js/lot-key.js), and the municipality publishes it.
    """
    digest = hashlib.sha256(vkey.encode()).hexdigest()[:32]
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


async def record_rotation(writer: LedgerWriter, actor: str, new_keys: LedgerKeys) -> Admitted:
    """Announce the next key on the platform chain; the caller then switches the signer to ``new_keys``."""
    old, new = vkey_of(writer.keys), vkey_of(new_keys)
    if old == new:
        raise ValueError("the new key is the key in use")
    return await writer.record(ROTATION_KIND, None, actor, {"old_vkey": old, "new_vkey": new})


async def key_history(session: AsyncSession, current: LedgerKeys) -> list[str]:
    """Every key of the integrated log, oldest first, as the export bundle lists them."""
    leaves = await session.scalars(
        select(LedgerEntry.leaf)
        .where(LedgerEntry.chain_key == PLATFORM_CHAIN, LedgerEntry.kind == ROTATION_KIND)
        .order_by(LedgerEntry.lot_seq)
    )
    payloads = [parse_leaf(raw).body.payload for raw in leaves]
    if not payloads:
        return [vkey_of(current)]
    return [payloads[0]["old_vkey"], *(p["new_vkey"] for p in payloads)]
