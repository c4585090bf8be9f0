"""Helpers for tests that need the ledger: keys, writers and the integrator on a test database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock
from auction.ledger.admission import LedgerWriter
from auction.ledger.integrator import Integrator
from auction.ledger.keys import LedgerKeys
from auction.ledger.verifier.bundle import read_bundle, write_bundle
from auction.ledger.verifier.entry import ZERO_HASH, body_hash, make_body, make_leaf, parse_leaf
from auction.ledger.verifier.merkle import CompactRange, hash_leaf
from auction.ledger.verifier.note import Checkpoint, VerifierKey, format_vkey, parse_vkey, sign_checkpoint
from auction.lots.service import LotService
from auction.settings import Settings


def keys_of(settings: Settings) -> LedgerKeys:
    return settings.ledger_keys()


def verifier(keys: LedgerKeys) -> VerifierKey:
    return parse_vkey(format_vkey(keys.key_name, keys.public_key))


def lot_service(session: AsyncSession, clock: Clock, keys: LedgerKeys) -> LotService:
    return LotService(session, clock, LedgerWriter(session, keys, clock))


async def integrate(sessions: async_sessionmaker[AsyncSession], keys: LedgerKeys, clock: Clock) -> int:
    return await Integrator(sessions, keys, clock).integrate_all()


# The entries that commit to their chain's head: an operator who rewrites a chain recomputes these too.
HEAD_KINDS = frozenset({"auction.closed", "award.made", "award.failed"})
Record = dict[str, Any]


def records_of(bundle_path: Path) -> list[Record]:
    """The bundle's bodies as editable records (kind, lot, at, actor, payload, integrated_at), in index order."""
    with read_bundle(bundle_path) as bundle:
        leaves = [parse_leaf(raw) for raw in bundle.entries()]
    return [
        {
            "kind": leaf.body.kind,
            "lot": leaf.body.lot,
            "at": leaf.body.at,
            "actor": leaf.body.actor,
            "payload": dict(leaf.body.payload),
            "integrated_at": leaf.integrated_at,
        }
        for leaf in leaves
    ]


def forge_bundle(records: list[Record], keys: LedgerKeys, path: Path) -> Path:
    """What an operator holding the log key can publish: the records re-chained (lot_seq, prev_body, chain
    heads, leaves, the Merkle tree) and a checkpoint over them signed with the real log key."""
    heads: dict[int | None, tuple[int, str]] = {}
    prev_leaf, raws, tree = ZERO_HASH, [], CompactRange()
    for index, record in enumerate(records):
        seq, prev = heads.get(record["lot"], (0, ZERO_HASH))
        payload = dict(record["payload"])
        if record["kind"] in HEAD_KINDS:
            payload.update(chain_head=prev, chain_length=seq)
        body = make_body(
            kind=record["kind"],
            lot=record["lot"],
            lot_seq=seq + 1,
            prev_body=prev,
            at=record["at"],
            actor=record["actor"],
            payload=payload,
        )
        heads[record["lot"]] = (seq + 1, body_hash(body))
        raw = make_leaf(index, prev_leaf, body, max(record["integrated_at"], record["at"]))
        prev_leaf = hash_leaf(raw).hex()
        tree.append(hash_leaf(raw))
        raws.append(raw)
    note = sign_checkpoint(Checkpoint(keys.origin, tree.end, tree.root()), keys.key_name, keys.signing_key)
    write_bundle(path, raws, [note], [format_vkey(keys.key_name, keys.public_key)], keys.origin)
    return path
