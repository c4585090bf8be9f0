"""The sequential merge in the parent process: each block's boundary facts, keys and checkpoints, in index order.

After entry s-1 every checkpoint of size s is checked: signed by the key active at s, same root as any earlier
checkpoint of size s (else "split view"), and same root as the tree rebuilt from the entries.

Keys: the first line of vkeys.txt is the genesis key. A key.rotated body on the platform chain (lot null),
payload {"old_vkey", "new_vkey"}, must name the active key as old and the next vkeys.txt line as new.
Checkpoints whose tree includes it may be signed by the new key; the old key may still sign them until the
first checkpoint signed by the new key (handover). Earlier checkpoints stay verifiable with the old key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from auction.ledger.verifier.entry import ZERO_HASH
from auction.ledger.verifier.incident import Incident, parse_incident
from auction.ledger.verifier.merkle import CompactRange
from auction.ledger.verifier.note import Checkpoint, NoteError, VerifierKey, parse_vkey, verify_note
from auction.ledger.verifier.report import fail_checkpoint, fail_index
from auction.ledger.verifier.scan import (
    CHECK_CHECKPOINT,
    CHECK_INDEX,
    CHECK_LOT,
    CHECK_PREV_LEAF,
    CHECK_ROTATION,
    CHECK_TIME,
    Block,
    integration_time_problem,
    lot_link_problem,
)


class Keys:
    """Which keys may sign a checkpoint at the current point of the log."""

    def __init__(self, listed: list[VerifierKey]) -> None:
        self.listed = listed
        self.active = listed[0]
        self.handover: VerifierKey | None = None
        self.introduced = 1

    def acceptable(self) -> list[VerifierKey]:
        """The active key, and during a handover the one it replaced."""
        return [self.active] if self.handover is None else [self.active, self.handover]

    def rotate(self, payload: Any) -> str | None:
        """Apply a key.rotated payload; why it is refused, or None."""
        if type(payload) is not dict or payload.keys() != {"old_vkey", "new_vkey"}:
            return "key.rotated payload must be exactly {old_vkey, new_vkey}"
        if type(payload["old_vkey"]) is not str or type(payload["new_vkey"]) is not str:
            return "key.rotated vkeys must be strings"
        try:
            old, new = parse_vkey(payload["old_vkey"]), parse_vkey(payload["new_vkey"])
        except NoteError as exc:
            return f"key.rotated: {exc}"
        if old != self.active:
            return f"key.rotated old_vkey is not the active key {self.active.vkey}"
        if self.introduced >= len(self.listed) or new != self.listed[self.introduced]:
            return f"key.rotated new_vkey is not vkeys.txt line {self.introduced + 1}"
        self.handover, self.active = self.active, new
        self.introduced += 1
        return None

    def signed(self, keys: list[VerifierKey]) -> None:
        """A checkpoint was signed by `keys`: once the new key signs, the handover is over."""
        if self.active in keys:
            self.handover = None


@dataclass(slots=True)
class Pending:
    """A checkpoint from outside the bundle (--since, tlog-proof), checked against the bundle at its size."""

    checkpoint: Checkpoint
    note: str
    root: bytes | None = None
    keys: list[VerifierKey] = field(default_factory=list)


class Merge:
    """The log as checked so far (position, chain tips, tree, keys), advanced one scanned block at a time."""

    def __init__(
        self,
        keys: Keys,
        checkpoints: list[tuple[Checkpoint, str]],
        pinned: Sequence[VerifierKey],
        extra: list[Pending],
    ) -> None:
        self.keys = keys
        self.checkpoints = checkpoints
        self.next_checkpoint = 0
        self.previous: tuple[int, bytes, int] | None = None  # (size, root, number) of the last checkpoint
        self.pinned = tuple(pinned)
        self.pinned_signed = False
        self.newest_signers: list[VerifierKey] = []  # the keys whose signatures verified on the last checkpoint
        self.extra = extra
        self.pos = 0
        self.prev_hex = ZERO_HASH
        self.last_integrated = ""  # the newest leaf's integrated_at, "" before the first
        self.lots: dict[int | None, tuple[int, str, str]] = {}  # chain -> (lot_seq, body hash, at) of its tail
        self.tree = CompactRange()
        # body hash -> (index, at, integrated_at, lot, lot_seq, kind)
        self.found_bodies: dict[str, tuple[int, str, str, int | None, int, str]] = {}
        self.found_leaves: dict[int, bytes] = {}
        self.incidents: list[Incident] = []  # well-formed ledger.incident entries, in index order

    def at_size(self, size: int, root: bytes) -> None:
        """Every check due once the tree has `size` leaves."""
        checkpoints = self.checkpoints
        while self.next_checkpoint < len(checkpoints) and checkpoints[self.next_checkpoint][0].size == size:
            self._checkpoint(self.next_checkpoint, root)
            self.next_checkpoint += 1
        for pending in self.extra:
            if pending.checkpoint.size == size:
                pending.root = root
                pending.keys = self.keys.acceptable()

    def _checkpoint(self, number: int, root: bytes) -> None:
        checkpoint, note = self.checkpoints[number]
        try:
            _, keys = verify_note(note, self.keys.acceptable())
        except NoteError as exc:
            active = " or ".join(key.vkey for key in self.keys.acceptable())
            raise fail_checkpoint(number, f"signature: {exc} (expected a signature by {active})") from None
        self.keys.signed(keys)
        self.newest_signers = keys
        if any(key in self.pinned for key in keys):
            self.pinned_signed = True
        if self.previous is not None and self.previous[0] == checkpoint.size and self.previous[1] != checkpoint.root:
            raise fail_checkpoint(
                number,
                f"split view: checkpoints {self.previous[2]} and {number} are both validly signed for size "
                f"{checkpoint.size} but have different roots",
            )
        if checkpoint.root != root:
            raise fail_checkpoint(
                number,
                f"root {checkpoint.root.hex()} at size {checkpoint.size} does not match the root "
                f"{root.hex()} rebuilt from the entries",
            )
        self.previous = (checkpoint.size, checkpoint.root, number)

    def block(self, block: Block) -> None:
        """Apply one scanned block: its deferred boundary checks, due checkpoints, then its state."""
        start = self.pos
        if block.failure is None and not block.rotations and self._boundary_holds(block, start):
            # Nothing in this block can fail before its checkpoints, so their order is all that matters.
            for size in block.ranges:
                self._checkpoint_in(block, start, size)
        else:
            self._replay_in_order(block, start)
        self.pos = start + block.ok
        if block.ok:
            self.prev_hex = block.last_leaf.hex()
            self.last_integrated = block.last_integrated
            self.lots.update(block.lot_tails)
            self.tree.merge(CompactRange(start, start + block.ok, block.full))
            for body_hash, (pos, at, stamp, lot, lot_seq, kind) in block.found_bodies.items():
                self.found_bodies.setdefault(body_hash, (start + pos, at, stamp, lot, lot_seq, kind))
            self.found_leaves.update(block.found_leaves)
            for pos, stamp, actor, payload in block.incidents:
                incident = parse_incident(start + pos, stamp, actor, payload) if type(payload) is dict else None
                if pos < block.ok and incident is not None:
                    self.incidents.append(incident)

    def _boundary_holds(self, block: Block, start: int) -> bool:
        """True if every deferred check of the block passes (checks only; nothing changes)."""
        head = block.head
        if head is None:
            return True
        if block.first_index != start or head[0] != self.prev_hex or head[1] < self.last_integrated:
            return False
        lots = self.lots
        for _, lot, lot_seq, prev_body, at in block.lot_heads:
            state = lots.get(lot)
            if (lot_seq != 1) if state is None else (lot_seq != state[0] + 1 or prev_body != state[1] or at < state[2]):
                return False
        return True

    def _checkpoint_in(self, block: Block, start: int, size: int) -> None:
        tree = self.tree.copy()
        tree.merge(CompactRange(start, size, block.ranges[size]))
        self.at_size(size, tree.root())

    def _replay_in_order(self, block: Block, start: int) -> None:
        """Run the block's deferred checks, checkpoints and own failure in index order; raise the first."""
        events: list[tuple[int, int, int, Any]] = []
        if block.head is not None:
            events += [(0, CHECK_INDEX, 0, None), (0, CHECK_PREV_LEAF, 0, None), (0, CHECK_TIME, 0, None)]
        events += [(pos, CHECK_LOT, i, head) for i, (pos, *head) in enumerate(block.lot_heads)]
        events += [(pos, CHECK_ROTATION, i, payload) for i, (pos, payload) in enumerate(block.rotations)]
        events += [(size - 1 - start, CHECK_CHECKPOINT, 0, size) for size in block.ranges]
        if block.failure is not None:
            pos, order, reason = block.failure
            events.append((pos, order, 1 << 30, reason))
        events.sort(key=lambda event: event[:3])
        for pos, order, seq, data in events:
            index = start + pos
            if seq == 1 << 30:
                raise fail_index(index, data)
            if order == CHECK_CHECKPOINT:
                self._checkpoint_in(block, start, data)
                continue
            problem = self._deferred_problem(order, data, block, start, index)
            if problem is not None:
                raise fail_index(index, problem)

    def _deferred_problem(self, order: int, data: Any, block: Block, start: int, index: int) -> str | None:
        head = block.head
        assert head is not None or order in (CHECK_LOT, CHECK_ROTATION)
        if order == CHECK_INDEX and block.first_index != start:
            return f"leaf index is {block.first_index}, expected {start}"
        if order == CHECK_PREV_LEAF and head is not None and head[0] != self.prev_hex:
            return f"prev_leaf {head[0]} is not the hash of leaf {index - 1}"
        if order == CHECK_TIME and head is not None and head[1] < self.last_integrated:
            return integration_time_problem(head[1], self.last_integrated)
        if order == CHECK_LOT:
            lot, lot_seq, prev_body, at = data
            return lot_link_problem(lot, lot_seq, prev_body, at, self.lots.get(lot))
        if order == CHECK_ROTATION:
            return self.keys.rotate(data)
        return None
