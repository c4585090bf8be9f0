"""Honest ledgers for tests: entries, checkpoints and keys built in memory, signed with fresh Ed25519 keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.bundle import write_bundle
from auction.ledger.verifier.entry import ZERO_HASH, body_hash, make_body, make_leaf, parse_body
from auction.ledger.verifier.merkle import CompactRange, hash_leaf
from auction.ledger.verifier.note import (
    Checkpoint,
    Receipt,
    ReceiptEntry,
    VerifierKey,
    format_vkey,
    sign_checkpoint,
    sign_receipt,
)

ORIGIN = "achyk.test/ledger"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Log:
    """An append-only ledger as the platform would keep it, minus the database."""

    origin: str = ORIGIN
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    key_name: str = ORIGIN
    leaves: list[bytes] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)
    vkeys: list[str] = field(default_factory=list)
    heads: dict[int | None, tuple[int, str]] = field(default_factory=dict)
    tree: CompactRange = field(default_factory=CompactRange)
    clock: datetime = START

    def __post_init__(self) -> None:
        self.vkeys.append(format_vkey(self.key_name, self.key.public_key()))

    @property
    def vkey(self) -> str:
        """The current signing key's vkey."""
        return format_vkey(self.key_name, self.key.public_key())

    def admit(
        self, kind: str, lot: int | None, payload: dict[str, Any], actor: str = "user:1", *, at: datetime | None = None
    ) -> bytes:
        """Admit one body to its chain, at `at` or one second after the clock; it is not in the log yet."""
        seq, prev = self.heads.get(lot, (0, ZERO_HASH))
        if at is None:
            self.clock += timedelta(seconds=1)
            at = self.clock
        body = make_body(kind=kind, lot=lot, lot_seq=seq + 1, prev_body=prev, at=at, actor=actor, payload=payload)
        self.heads[lot] = (seq + 1, body_hash(body))
        return body

    def integrate(self, body: bytes, integrated_at: datetime | None = None) -> bytes:
        """Append an admitted body as the next leaf, integrated at `integrated_at` (default: the clock)."""
        prev_leaf = hash_leaf(self.leaves[-1]).hex() if self.leaves else ZERO_HASH
        leaf = make_leaf(len(self.leaves), prev_leaf, body, self.clock if integrated_at is None else integrated_at)
        self.bodies.append(body)
        self.leaves.append(leaf)
        self.tree.append(hash_leaf(leaf))
        return leaf

    def add(self, kind: str, lot: int | None, payload: dict[str, Any], actor: str = "user:1") -> bytes:
        """Admit one body and integrate it at once (integrated_at equals at); returns the body's bytes."""
        body = self.admit(kind, lot, payload, actor)
        self.integrate(body)
        return body

    def checkpoint(self) -> str:
        """Sign the current tree and record the note."""
        note = sign_checkpoint(Checkpoint(self.origin, self.tree.end, self.tree.root()), self.key_name, self.key)
        self.checkpoints.append(note)
        return note

    def rotate(self, new_key: Ed25519PrivateKey | None = None) -> Ed25519PrivateKey:
        """Log a key.rotated entry on the platform chain and sign with the new key from now on."""
        new_key = new_key or Ed25519PrivateKey.generate()
        new_vkey = format_vkey(self.key_name, new_key.public_key())
        self.add("key.rotated", None, {"old_vkey": self.vkey, "new_vkey": new_vkey}, actor="system")
        self.vkeys.append(new_vkey)
        self.key = new_key
        return new_key

    def receipt(
        self, body: bytes, max_merge_delay: int = 60, *, v1: bool = False, entry: ReceiptEntry | None = None
    ) -> str:
        """A signed receipt for a body, as admission issues it (v1: as it did before receipts named the entry).

        `entry` overrides the entry the receipt names, to play a log that signs a misleading receipt.
        """
        parsed = parse_body(body)
        named = entry or ReceiptEntry(parsed.lot, parsed.lot_seq, parsed.kind)
        promise = Receipt(self.origin, body_hash(body), parsed.at_datetime, max_merge_delay, None if v1 else named)
        return sign_receipt(promise, self.key_name, self.key)

    def verifier(self) -> VerifierKey:
        """The current key as a VerifierKey."""
        return VerifierKey.from_public_key(self.key_name, self.key)

    def write(
        self,
        path: Path,
        *,
        leaves: list[bytes] | None = None,
        checkpoints: list[str] | None = None,
        vkeys: list[str] | None = None,
        origin: str | None = None,
    ) -> Path:
        """Write this log (or the given replacement parts) as a bundle at `path`."""
        write_bundle(
            path,
            self.leaves if leaves is None else leaves,
            self.checkpoints if checkpoints is None else checkpoints,
            self.vkeys if vkeys is None else vkeys,
            self.origin if origin is None else origin,
        )
        return path


def honest_log(entries: int = 20, *, lots: int = 3, checkpoint_every: int = 8) -> Log:
    """A log of `entries` bids spread over `lots` lots (plus a platform entry first), checkpointed regularly."""
    log = Log()
    log.add("platform.opened", None, {"name": "Achyk test", "note": "Бишкек"}, actor="system")
    if checkpoint_every and len(log.leaves) % checkpoint_every == 0:
        log.checkpoint()
    while len(log.leaves) < entries:
        n = len(log.leaves)
        lot = 1 + n % lots
        kind = "lot.opened" if log.heads.get(lot) is None else "bid.placed"
        log.add(kind, lot, {"amount": 100 * n, "currency": "KGS", "round": 1}, actor=f"b-{n % 5:016x}")
        if checkpoint_every and len(log.leaves) % checkpoint_every == 0:
            log.checkpoint()
    if not log.checkpoints or Checkpoint.parse(log.checkpoints[-1].split("\n\n")[0] + "\n").size != len(log.leaves):
        log.checkpoint()
    return log
