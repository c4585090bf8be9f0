"""The ledger as the inspector's pages show it: entries read out of their canonical bytes, and checkpoints.

Only for display: what is proven is proven by the verifier (offline, or ledger-verify.js in the browser).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auction.ledger.models import LedgerEntry, PendingEntry, SignedCheckpoint
from auction.ledger.verifier.canonical import parse_time
from auction.ledger.verifier.note import Checkpoint, NoteError, split_note

ENTRIES_PAGE = 50


@dataclass(frozen=True, slots=True)
class EntryRow:
    index: int | None  # None while the body waits for integration
    lot: int | None
    lot_seq: int
    kind: str
    at: datetime
    actor: str
    body_hash: str
    payload: str
    integrated_at: datetime | None
    leaf: str | None

    @classmethod
    def of_entry(cls, entry: LedgerEntry) -> EntryRow:
        leaf = entry.leaf.decode()
        parsed = json.loads(leaf)
        return cls._of_body(parsed["body"], entry.idx, parse_time(parsed["integrated_at"]), leaf, entry.body_hash)

    @classmethod
    def of_pending(cls, pending: PendingEntry) -> EntryRow:
        return cls._of_body(json.loads(pending.body), None, None, None, pending.body_hash)

    @classmethod
    def _of_body(
        cls, body: dict[str, Any], index: int | None, integrated_at: datetime | None, leaf: str | None, digest: str
    ) -> EntryRow:
        return cls(
            index=index,
            lot=body.get("lot"),
            lot_seq=int(body["lot_seq"]),
            kind=str(body["kind"]),
            at=parse_time(body["at"]),
            actor=str(body["actor"]),
            body_hash=digest,
            payload=json.dumps(body.get("payload", {}), ensure_ascii=False, indent=1, sort_keys=True),
            integrated_at=integrated_at,
            leaf=leaf,
        )


@dataclass(frozen=True, slots=True)
class CheckpointView:
    record: SignedCheckpoint
    origin: str
    size: int
    root_b64: str

    @classmethod
    def of(cls, record: SignedCheckpoint) -> CheckpointView:
        try:
            text, _ = split_note(record.note)
            checkpoint = Checkpoint.parse(text)
        except NoteError:
            # Stored by the platform's own signer, so never expected; show the raw note rather than fail.
            return cls(record, "", record.size, "")
        root = text.split("\n")[2]
        return cls(record, checkpoint.origin, checkpoint.size, root)


@dataclass(frozen=True, slots=True)
class EntryPage:
    rows: list[EntryRow]
    start: int
    size: int

    @property
    def previous_start(self) -> int | None:
        return max(0, self.start - ENTRIES_PAGE) if self.start > 0 else None

    @property
    def next_start(self) -> int | None:
        following = self.start + ENTRIES_PAGE
        return following if following < self.size else None


def page_start(requested: int | None, size: int) -> int:
    """Where a page of entries begins: as asked, else the newest page."""
    if requested is not None:
        return max(0, min(requested, max(size - 1, 0)))
    return max(0, size - ENTRIES_PAGE)
