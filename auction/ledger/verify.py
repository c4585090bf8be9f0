"""The inspector's offline verifier: ``python -m auction.ledger.verify BUNDLE [options]``.

Checks, in this order, stopping at the first failure:

1. bundle files present and readable (else exit 2);
2. vkeys.txt: every line a valid Ed25519 vkey, none twice; --key must be one of them;
3. checkpoints.txt: each note well formed, origin matches, sizes never decrease;
4. one pass over entries.jsonl in index order, per entry: canonical leaf bytes and valid fields (the body's
   `at` not after the leaf's `integrated_at` included), index equal to its line number, prev_leaf chain,
   `integrated_at` never going backwards, per-chain lot_seq/prev_body links and `at` never going backwards
   within the chain, key.rotated semantics; after entry s-1 every checkpoint of size s is checked: signed by
   the key active at s, same root as any earlier checkpoint of size s (else "split view"), and same root as
   the tree rebuilt from the entries;
5. end of the stream: no checkpoint larger than the bundle (truncation), the newest checkpoint covers every
   entry, every listed key was introduced, the --key signed some checkpoint; then --since and --receipt (a
   receipt's body must have been integrated within its max merge delay);
6. the `replay` extension point (auction state machine), if given.

Exit codes: 0 everything holds, 1 tampering found ("FAIL at index N: reason"), 2 unusable input.

Keys: the first line of vkeys.txt is the genesis key. A key.rotated body on the platform chain (lot null),
payload {"old_vkey", "new_vkey"}, must name the active key as old and the next vkeys.txt line as new.
Checkpoints whose tree includes it may be signed by the new key; the old key may still sign them until the
first checkpoint signed by the new key (handover). Earlier checkpoints stay verifiable with the old key.

Speed: entries are scanned in blocks by worker processes that check everything that needs no earlier
state and return each block's boundary facts (first index, prev_leaf and integrated_at, each chain's first
and last link with its `at`, perfect-subtree hashes); the parent replays those facts in index order. Which
block a fact came from never changes the outcome, so results are the same for any block size or worker count.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import hashlib
import importlib
import json
import json.scanner
import multiprocessing
import os
import re
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from auction.ledger.bundle import DEFAULT_BLOCK_SIZE, Bundle, BundleError, CheckpointFramingError, read_bundle
from auction.ledger.canonical import (
    MAX_SAFE_INTEGER,
    format_time,
    is_time_string,
    keys_ascii,
    parse_time,
)
from auction.ledger.entry import (
    KIND_RE,
    MAX_ACTOR_LENGTH,
    ZERO_HASH,
    Leaf,
    LedgerFormatError,
    parse_leaf,
)
from auction.ledger.merkle import CompactRange, ProofError, perfect_levels, range_hashes, verify_inclusion
from auction.ledger.note import (
    Checkpoint,
    NoteError,
    Receipt,
    VerifierKey,
    parse_vkey,
    split_note,
    verify_note,
)
from auction.ledger.proof_file import PROOF_HEADER, TlogProof, parse_proof

EXIT_OK = 0
EXIT_TAMPERED = 1
EXIT_UNUSABLE = 2
ROTATION_KIND = "key.rotated"
PARALLEL_THRESHOLD = 8 << 20  # below this many bytes of entries, worker start-up costs more than it saves

# Per-entry check order; a failure found in a worker and one found by the parent at the same entry are
# ranked by it, exactly as a single sequential pass would meet them.
_FORMAT, _INDEX, _PREV_LEAF, _TIME, _LOT, _ROTATION, _CHECKPOINT = range(7)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem the auction replay found, at a global leaf index."""

    index: int
    reason: str


Replay = Callable[[Iterable[Leaf]], list[Finding]]
"""Extension point: replays the auction state machine over every leaf, in index order."""


@dataclass(frozen=True, slots=True)
class Failure:
    """Where and why verification stopped."""

    where: str  # "index", "checkpoint", "keys", "since", "receipt" or "input"
    reason: str
    index: int | None = None
    checkpoint: int | None = None

    def describe(self) -> str:
        """One human-readable line."""
        if self.where == "index":
            return f"FAIL at index {self.index}: {self.reason}"
        if self.where == "checkpoint":
            return f"FAIL at checkpoint {self.checkpoint}: {self.reason}"
        if self.where == "input":
            return f"ERROR (unusable input): {self.reason}"
        return f"FAIL in {self.where}: {self.reason}"


@dataclass(slots=True)
class Report:
    """The verifier's outcome."""

    exit_code: int
    origin: str | None = None
    entries: int = 0
    checkpoints: int = 0
    root: bytes | None = None
    failure: Failure | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check held."""
        return self.exit_code == EXIT_OK

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        failure = None
        if self.failure is not None:
            failure = {
                "where": self.failure.where,
                "index": self.failure.index,
                "checkpoint": self.failure.checkpoint,
                "reason": self.failure.reason,
            }
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "origin": self.origin,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "root": None if self.root is None else self.root.hex(),
            "failure": failure,
            "notes": self.notes,
        }

    def text(self) -> str:
        """Human-readable lines."""
        if self.failure is not None:
            lines = [self.failure.describe()]
        else:
            root = "-" if self.root is None else self.root.hex()
            lines = [
                f"OK: {self.entries} entries and {self.checkpoints} checkpoints of {self.origin} verified; root {root}"
            ]
        return "\n".join(lines + [f"  {note}" for note in self.notes])


class _Stop(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


def _fail_index(index: int, reason: str) -> _Stop:
    return _Stop(Failure("index", reason, index=index))


def _fail_checkpoint(number: int, reason: str) -> _Stop:
    return _Stop(Failure("checkpoint", reason, checkpoint=number))


# --- the block scanner (runs in worker processes) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ScanContext:
    sizes: tuple[int, ...]  # tree sizes whose roots the parent needs, ascending
    bodies: frozenset[str]  # body hashes to locate (receipts)
    indices: frozenset[int]  # leaf indices whose leaf hash is needed (tlog-proofs)


@dataclass(slots=True)
class _Block:
    lines: int = 0
    ok: int = 0  # leading lines that passed every check a worker can make alone
    failure: tuple[int, int, str] | None = None  # (line in block, check order, reason)
    first_index: int = 0
    head: tuple[str, str] | None = None  # (prev_leaf, integrated_at) of line 0, checked by the parent
    # Each chain's first link in the block, (line, lot, lot_seq, prev_body, at), checked by the parent ...
    lot_heads: list[tuple[int, int | None, int, str, str]] = field(default_factory=list)
    # ... and its last one, lot -> (lot_seq, body hash, at), which the next block's first link continues.
    lot_tails: dict[int | None, tuple[int, str, str]] = field(default_factory=dict)
    rotations: list[tuple[int, Any]] = field(default_factory=list)
    last_leaf: bytes = b""
    last_integrated: str = ""
    ranges: dict[int, list[bytes]] = field(default_factory=dict)
    full: list[bytes] = field(default_factory=list)
    found_bodies: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # hash -> (line, at, integrated_at)
    found_leaves: dict[int, bytes] = field(default_factory=dict)


class _OffFastPath(Exception):
    """The payload holds a float or an integer beyond +-(2**53 - 1): leave it to parse_leaf."""


def _no_float(text: str) -> Any:
    raise _OffFastPath(text)


def _safe_int(text: str) -> int:
    value = int(text)
    if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return value
    raise _OffFastPath(text)


def _no_constant(text: str) -> Any:
    raise ValueError(text)


_DECODER = json.JSONDecoder(parse_float=_no_float, parse_int=_safe_int, parse_constant=_no_constant)
# The raw scanner skips `decode`'s whitespace handling; typeshed wants a scanner as its context, but any
# object with the decoder's settings is what CPython reads.
_SCAN_ONCE: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(cast(Any, _DECODER))
_ENCODE_STRING: Callable[[str], str] = json.encoder.encode_basestring


def _refuse(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON")


def _payload_encoder() -> Callable[[object, int], Sequence[str]]:
    """encode(value, 0) -> pieces of the value's canonical JSON (see canonical.is_canonical for why)."""
    make = getattr(json.encoder, "c_make_encoder", None)  # absent on Pythons without the C accelerator
    if make is None:
        slow = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return lambda value, _level: [slow.encode(value)]
    # The C encoder called directly skips JSONEncoder.encode's per-call set-up, a third of its cost here.
    encoder: Callable[[object, int], Sequence[str]] = make(
        None, _refuse, _ENCODE_STRING, None, ":", ",", True, False, False
    )
    return encoder


_ENCODE_PAYLOAD = _payload_encoder()
# Integers outside the payload are held to 15 digits, below 2**53, by these patterns; the payload's are
# checked as they are parsed (_safe_int). Anything longer takes the authoritative path.
_TIME_PATTERN = (
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z"
)
_TAIL_RE = re.compile(
    r',"index":(0|[1-9][0-9]{0,14}),"integrated_at":"(' + _TIME_PATTERN + r')","prev_leaf":"([0-9a-f]{64})","v":1\}'
)
# A canonical body whose strings need no escaping, split into its fields. The payload is whatever sits
# between "payload": and the fixed-length prev_body/v suffix; it is checked separately as canonical JSON.
# An actor with escapes, or anything else unusual, fails to match and takes the authoritative path.
_BODY_RE = re.compile(
    r'\{"actor":"(?:[^"\\\x00-\x1f]{1,' + str(MAX_ACTOR_LENGTH) + r'})",'
    r'"at":"(' + _TIME_PATTERN + r')",'
    r'"kind":"(' + KIND_RE.pattern + r')","lot":(null|[1-9][0-9]{0,14}),"lot_seq":([1-9][0-9]{0,14}),'
    r'"payload":(\{.*\}),"prev_body":"([0-9a-f]{64})","v":1\}',
    re.DOTALL,
)


def _scan_lines(  # noqa: PLR0912, PLR0915 - the per-entry hot loop stays in one frame for speed
    lines: Sequence[bytes], unterminated: bool, ctx: _ScanContext
) -> _Block:
    """Check a run of consecutive leaves as far as no earlier state is needed.

    The fast path accepts only the common case (a canonical leaf with valid fields); anything else, valid or
    not, goes through the authoritative `parse_leaf`, so the fast path can never accept what it would refuse.
    """
    block = _Block(lines=len(lines))
    sha256 = hashlib.sha256
    scan, encode_payload = _SCAN_ONCE, _ENCODE_PAYLOAD
    body_match, tail_match = _BODY_RE.fullmatch, _TAIL_RE.fullmatch
    bodies, indices = ctx.bodies, ctx.indices
    lot_tails, lot_heads, rotations = block.lot_tails, block.lot_heads, block.rotations
    leaf_hashes: list[bytes] = []
    expect_index = -1
    prev_hex = ""
    last_stamp = ""  # the previous leaf's integrated_at
    failure: tuple[int, int, str] | None = None
    index, prev_leaf, kind, lot, lot_seq, prev_body, at, body_hash = 0, "", "", None, 0, "", "", ""
    stamp = ""  # this leaf's integrated_at
    payload: Any = None
    state: tuple[int, str, str] | None = None
    for pos, raw in enumerate(lines):
        if unterminated and pos == len(lines) - 1:
            failure = (pos, _FORMAT, "entries.jsonl ends without a newline after this leaf")
            break
        fast = False
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            text = ""
        if text.startswith('{"body":'):
            # Leaves of one integration batch share integrated_at, so the expected tail usually matches.
            tail = f',"index":{expect_index},"integrated_at":"{last_stamp}","prev_leaf":"{prev_hex}","v":1}}'
            if pos and text.endswith(tail):
                index, stamp, prev_leaf, cut = expect_index, last_stamp, prev_hex, len(text) - len(tail)
            else:
                cut = text.rfind(',"index":')
                match = tail_match(text, cut) if cut > 8 else None
                if match is None:
                    cut = 0
                else:
                    index, stamp, prev_leaf = int(match.group(1)), match.group(2), match.group(3)
                    if (index == 0 and prev_leaf != ZERO_HASH) or not (stamp[8:10] <= "28" or is_time_string(stamp)):
                        cut = 0
            shape = body_match(text, 8, cut) if cut else None
            if shape is not None:
                at, kind, lot_text, seq_text, payload_text, prev_body = shape.groups()
                try:
                    payload, end = scan(payload_text, 0)
                    canonical = end == len(payload_text) and "".join(encode_payload(payload, 0)) == payload_text
                except (_OffFastPath, ValueError, StopIteration, RecursionError):
                    canonical = False
                lot_seq = int(seq_text)
                if (
                    canonical
                    and (lot_seq != 1 or prev_body == ZERO_HASH)
                    and (at[8:10] <= "28" or is_time_string(at))
                    and at <= stamp
                    and (raw.isascii() or keys_ascii(payload))
                ):
                    fast = True
                    lot = None if lot_text == "null" else int(lot_text)
                    state = lot_tails.get(lot)
                    body_hash = sha256(raw[8 : len(raw) - (len(text) - cut)]).hexdigest()
        if not fast:
            if not raw:
                failure = (pos, _FORMAT, "empty line")
                break
            try:
                leaf = parse_leaf(raw)
            except LedgerFormatError as exc:
                failure = (pos, _FORMAT, exc.reason)
                break
            parsed = leaf.body
            index, stamp, prev_leaf = leaf.index, leaf.integrated_at, leaf.prev_leaf
            kind, lot, lot_seq, prev_body = parsed.kind, parsed.lot, parsed.lot_seq, parsed.prev_body
            at, payload = parsed.at, parsed.payload
            body_hash = sha256(parsed.raw).hexdigest()
            state = lot_tails.get(lot)
        if pos == 0:
            block.first_index = index
            block.head = (prev_leaf, stamp)
        else:
            if index != expect_index:
                failure = (pos, _INDEX, f"leaf index is {index}, expected {expect_index}")
                break
            if prev_leaf != prev_hex:
                failure = (pos, _PREV_LEAF, f"prev_leaf {prev_leaf} is not the hash of leaf {index - 1}")
                break
            if stamp < last_stamp:
                failure = (pos, _TIME, _integration_time_problem(stamp, last_stamp))
                break
        if state is None:
            lot_heads.append((pos, lot, lot_seq, prev_body, at))
        elif lot_seq != state[0] + 1 or prev_body != state[1] or at < state[2]:
            failure = (pos, _LOT, _lot_link_problem(lot, lot_seq, prev_body, at, state) or "")
            break
        lot_tails[lot] = (lot_seq, body_hash, at)
        if kind == ROTATION_KIND:
            if lot is not None:
                failure = (pos, _ROTATION, "key.rotated must be on the platform chain (lot null)")
                break
            rotations.append((pos, payload))
        leaf_hash = sha256(b"\x00" + raw).digest()
        leaf_hashes.append(leaf_hash)
        prev_hex = leaf_hash.hex()
        expect_index = index + 1
        last_stamp = stamp
        if bodies and body_hash in bodies and body_hash not in block.found_bodies:
            block.found_bodies[body_hash] = (pos, at, stamp)
        if indices and index in indices:
            block.found_leaves[index] = leaf_hash
    block.failure = failure
    block.ok = len(leaf_hashes)
    if leaf_hashes:
        block.last_leaf = leaf_hashes[-1]
        block.last_integrated = last_stamp
        begin = block.first_index
        end = begin + len(leaf_hashes)
        levels = perfect_levels(begin, leaf_hashes)
        lo = bisect.bisect_right(ctx.sizes, begin)
        hi = bisect.bisect_right(ctx.sizes, end)
        for size in ctx.sizes[lo:hi]:
            block.ranges[size] = range_hashes(levels, begin, begin, size)
        block.full = range_hashes(levels, begin, begin, end)
    return block


def _integration_time_problem(stamp: str, previous: str) -> str:
    return f"integrated_at {stamp} is earlier than the previous leaf's integrated_at {previous}"


def _lot_link_problem(
    lot: int | None, lot_seq: int, prev_body: str, at: str, tail: tuple[int, str, str] | None
) -> str | None:
    """Why a body does not continue its chain, whose last link so far is `tail` (lot_seq, body hash, at)."""
    chain = "platform chain" if lot is None else f"lot {lot}"
    if tail is None:
        if lot_seq != 1:
            return f"{chain}: lot_seq {lot_seq} but the chain has no earlier entry (expected 1)"
        return None
    if lot_seq != tail[0] + 1:
        return f"{chain}: lot_seq {lot_seq}, expected {tail[0] + 1}"
    if prev_body != tail[1]:
        return f"{chain}: prev_body {prev_body} is not the hash of lot_seq {tail[0]}'s body"
    if at < tail[2]:
        # Admission holds the chain head's lock, so a chain's admission times never go backwards.
        return f"{chain}: at {at} is earlier than lot_seq {tail[0]}'s at {tail[2]}"
    return None


def _scan_data(data: bytes, ctx: _ScanContext) -> _Block:
    lines = data.split(b"\n")
    unterminated = bool(lines[-1])
    if not unterminated:
        lines.pop()
    return _scan_lines(lines, unterminated, ctx)


_WORKER_CONTEXT: _ScanContext | None = None


def _init_worker(ctx: _ScanContext) -> None:
    global _WORKER_CONTEXT  # noqa: PLW0603 - a pool initializer can only hand state over this way
    _WORKER_CONTEXT = ctx


def _read_lines_from(path: str, start: int, end: int, file_start: int, file_end: int) -> bytes:
    """The whole lines of [file_start, file_end) whose first byte lies in [start, end)."""
    with open(path, "rb") as stream:
        if start > file_start:
            stream.seek(start - 1)
            data = stream.read(end - start + 1)
            newline = data.find(b"\n")
            if newline < 0:
                return b""
            data = data[newline + 1 :]
        else:
            stream.seek(start)
            data = stream.read(end - start)
        position = end
        parts = [data]
        while parts[-1] and not parts[-1].endswith(b"\n") and position < file_end:
            more = stream.read(min(1 << 16, file_end - position))
            if not more:
                break
            newline = more.find(b"\n")
            if newline >= 0:
                parts.append(more[: newline + 1])
                break
            parts.append(more)
            position += len(more)
        return b"".join(parts)


def _scan_file_range(task: tuple[str, int, int, int, int]) -> _Block:
    assert _WORKER_CONTEXT is not None
    data = _read_lines_from(*task)
    return _scan_data(data, _WORKER_CONTEXT) if data else _Block()


def _scan_shipped(data: bytes) -> _Block:
    assert _WORKER_CONTEXT is not None
    return _scan_data(data, _WORKER_CONTEXT)


def _pool_context() -> multiprocessing.context.BaseContext:
    # fork is fastest and safe while this process has a single thread; otherwise start clean processes.
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _scan_blocks(
    bundle: Bundle, ctx: _ScanContext, workers: int, block_size: int, parallel_threshold: int
) -> Generator[_Block, None, None]:
    location = bundle.entries_location()
    size = location[2] if location is not None else parallel_threshold
    if workers <= 1 or size < parallel_threshold:
        for data in bundle.blocks(block_size):
            yield _scan_data(data, ctx)
        return
    # Look the module up by name so that workers unpickle functions from it even under `python -m`.
    this = importlib.import_module("auction.ledger.verify")

    window = 2 * workers + 2
    with _pool_context().Pool(workers, initializer=this._init_worker, initargs=(ctx,)) as pool:
        pending: deque[Any] = deque()
        if location is not None:
            path, offset, length = location
            tasks: Iterable[Any] = [
                (path, start, min(start + block_size, offset + length), offset, offset + length)
                for start in range(offset, offset + length, block_size)
            ]
            worker: Callable[..., _Block] = this._scan_file_range
        else:
            tasks = bundle.blocks(block_size)
            worker = this._scan_shipped
        for task in tasks:
            pending.append(pool.apply_async(worker, (task,)))
            if len(pending) >= window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


# --- the sequential merge (parent process) -------------------------------------------------------------


class _Keys:
    """Which keys may sign a checkpoint at the current point of the log."""

    def __init__(self, listed: list[VerifierKey]) -> None:
        self.listed = listed
        self.active = listed[0]
        self.handover: VerifierKey | None = None
        self.introduced = 1

    def acceptable(self) -> list[VerifierKey]:
        return [self.active] if self.handover is None else [self.active, self.handover]

    def rotate(self, payload: Any) -> str | None:
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
        if self.active in keys:
            self.handover = None


@dataclass(slots=True)
class _Pending:
    """A checkpoint from outside the bundle (--since, tlog-proof), checked against the bundle at its size."""

    checkpoint: Checkpoint
    note: str
    root: bytes | None = None
    keys: list[VerifierKey] = field(default_factory=list)


class _Merge:
    def __init__(
        self,
        keys: _Keys,
        checkpoints: list[tuple[Checkpoint, str]],
        pinned: VerifierKey | None,
        extra: list[_Pending],
    ) -> None:
        self.keys = keys
        self.checkpoints = checkpoints
        self.next_checkpoint = 0
        self.previous: tuple[int, bytes, int] | None = None  # (size, root, number) of the last checkpoint
        self.pinned = pinned
        self.pinned_signed = False
        self.extra = extra
        self.pos = 0
        self.prev_hex = ZERO_HASH
        self.last_integrated = ""  # the newest leaf's integrated_at, "" before the first
        self.lots: dict[int | None, tuple[int, str, str]] = {}  # chain -> (lot_seq, body hash, at) of its tail
        self.tree = CompactRange()
        self.found_bodies: dict[str, tuple[int, str, str]] = {}  # body hash -> (index, at, integrated_at)
        self.found_leaves: dict[int, bytes] = {}

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
            raise _fail_checkpoint(number, f"signature: {exc} (expected a signature by {active})") from None
        self.keys.signed(keys)
        if self.pinned is not None and self.pinned in keys:
            self.pinned_signed = True
        if self.previous is not None and self.previous[0] == checkpoint.size and self.previous[1] != checkpoint.root:
            raise _fail_checkpoint(
                number,
                f"split view: checkpoints {self.previous[2]} and {number} are both validly signed for size "
                f"{checkpoint.size} but have different roots",
            )
        if checkpoint.root != root:
            raise _fail_checkpoint(
                number,
                f"root {checkpoint.root.hex()} at size {checkpoint.size} does not match the root "
                f"{root.hex()} rebuilt from the entries",
            )
        self.previous = (checkpoint.size, checkpoint.root, number)

    def block(self, block: _Block) -> None:
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
            for body_hash, (pos, at, stamp) in block.found_bodies.items():
                self.found_bodies.setdefault(body_hash, (start + pos, at, stamp))
            self.found_leaves.update(block.found_leaves)

    def _boundary_holds(self, block: _Block, start: int) -> bool:
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

    def _checkpoint_in(self, block: _Block, start: int, size: int) -> None:
        tree = self.tree.copy()
        tree.merge(CompactRange(start, size, block.ranges[size]))
        self.at_size(size, tree.root())

    def _replay_in_order(self, block: _Block, start: int) -> None:
        """Run the block's deferred checks, checkpoints and own failure in index order; raise the first."""
        events: list[tuple[int, int, int, Any]] = []
        if block.head is not None:
            events += [(0, _INDEX, 0, None), (0, _PREV_LEAF, 0, None), (0, _TIME, 0, None)]
        events += [(pos, _LOT, i, head) for i, (pos, *head) in enumerate(block.lot_heads)]
        events += [(pos, _ROTATION, i, payload) for i, (pos, payload) in enumerate(block.rotations)]
        events += [(size - 1 - start, _CHECKPOINT, 0, size) for size in block.ranges]
        if block.failure is not None:
            pos, order, reason = block.failure
            events.append((pos, order, 1 << 30, reason))
        events.sort(key=lambda event: event[:3])
        for pos, order, seq, data in events:
            index = start + pos
            if seq == 1 << 30:
                raise _fail_index(index, data)
            if order == _CHECKPOINT:
                self._checkpoint_in(block, start, data)
                continue
            problem = self._deferred_problem(order, data, block, start, index)
            if problem is not None:
                raise _fail_index(index, problem)

    def _deferred_problem(self, order: int, data: Any, block: _Block, start: int, index: int) -> str | None:
        head = block.head
        assert head is not None or order in (_LOT, _ROTATION)
        if order == _INDEX and block.first_index != start:
            return f"leaf index is {block.first_index}, expected {start}"
        if order == _PREV_LEAF and head is not None and head[0] != self.prev_hex:
            return f"prev_leaf {head[0]} is not the hash of leaf {index - 1}"
        if order == _TIME and head is not None and head[1] < self.last_integrated:
            return _integration_time_problem(head[1], self.last_integrated)
        if order == _LOT:
            lot, lot_seq, prev_body, at = data
            return _lot_link_problem(lot, lot_seq, prev_body, at, self.lots.get(lot))
        if order == _ROTATION:
            return self.keys.rotate(data)
        return None


# --- inputs ----------------------------------------------------------------------------------------------


def _unusable(reason: str, origin: str | None = None) -> Report:
    return Report(EXIT_UNUSABLE, origin=origin, failure=Failure("input", reason))


def _load_keys(bundle: Bundle) -> list[VerifierKey]:
    if not bundle.vkeys:
        raise _Stop(Failure("keys", "vkeys.txt lists no key"))
    listed = []
    for number, line in enumerate(bundle.vkeys, start=1):
        try:
            key = parse_vkey(line)
        except NoteError as exc:
            raise _Stop(Failure("keys", f"vkeys.txt line {number}: {exc}")) from None
        if key in listed:
            raise _Stop(Failure("keys", f"vkeys.txt line {number}: key listed twice"))
        listed.append(key)
    return listed


def _load_checkpoints(bundle: Bundle) -> list[tuple[Checkpoint, str]]:
    try:
        notes = bundle.checkpoints()
    except CheckpointFramingError as exc:
        raise _fail_checkpoint(exc.position, exc.reason) from None
    out: list[tuple[Checkpoint, str]] = []
    for number, note in enumerate(notes):
        try:
            text, _ = split_note(note)
            checkpoint = Checkpoint.parse(text)
        except NoteError as exc:
            raise _fail_checkpoint(number, f"malformed: {exc}") from None
        if checkpoint.origin != bundle.origin:
            raise _fail_checkpoint(number, f"origin {checkpoint.origin!r} is not the bundle's {bundle.origin!r}")
        if out and checkpoint.size < out[-1][0].size:
            raise _fail_checkpoint(
                number, f"size {checkpoint.size} is smaller than checkpoint {number - 1}'s {out[-1][0].size}"
            )
        out.append((checkpoint, note))
    return out


def _parse_outside_checkpoint(note: str, what: str, origin: str) -> Checkpoint:
    """An inspector-supplied checkpoint's syntax; problems make the input unusable."""
    try:
        text, _ = split_note(note)
        checkpoint = Checkpoint.parse(text)
    except NoteError as exc:
        raise ValueError(f"{what} is not a signed checkpoint: {exc}") from None
    if checkpoint.origin != origin:
        raise ValueError(f"{what} is for origin {checkpoint.origin!r}, the bundle is {origin!r}")
    return checkpoint


# --- the verifier ------------------------------------------------------------------------------------------


def verify_bundle(
    path: str | os.PathLike[str],
    *,
    since: str | None = None,
    receipt: str | None = None,
    key: str | None = None,
    replay: Replay | None = None,
    workers: int | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    parallel_threshold: int = PARALLEL_THRESHOLD,
) -> Report:
    """Verify a bundle; `since`, `receipt` (a receipt note or a tlog-proof) and `key` (a vkey) are texts."""
    try:
        bundle = read_bundle(path)
    except BundleError as exc:
        return _unusable(str(exc))
    with bundle:
        try:
            return _verify(bundle, since, receipt, key, replay, workers, block_size, parallel_threshold)
        except BundleError as exc:
            return _unusable(str(exc), bundle.origin)
        except OSError as exc:
            return _unusable(f"cannot read the bundle: {exc}", bundle.origin)


@dataclass(slots=True)
class _Inputs:
    """What the inspector brought besides the bundle."""

    pinned: VerifierKey | None = None
    since: _Pending | None = None
    proof: TlogProof | None = None
    proof_checkpoint: _Pending | None = None
    receipt: tuple[Receipt, str] | None = None

    @property
    def outside(self) -> list[_Pending]:
        return [p for p in (self.since, self.proof_checkpoint) if p is not None]


def _parse_inputs(origin: str, since: str | None, receipt: str | None, key: str | None) -> _Inputs:
    """Parse --key, --since and --receipt; malformed ones make the input unusable."""
    inputs = _Inputs()
    try:
        if key is not None:
            try:
                inputs.pinned = parse_vkey(key.strip())
            except NoteError as exc:
                raise ValueError(f"--key: {exc}") from None
        if since is not None:
            inputs.since = _Pending(_parse_outside_checkpoint(since, "--since", origin), since)
        if receipt is not None and receipt.startswith(PROOF_HEADER + "\n"):
            inputs.proof = parse_proof(receipt)
            note = inputs.proof.checkpoint_note
            inputs.proof_checkpoint = _Pending(_parse_outside_checkpoint(note, "the proof's checkpoint", origin), note)
        elif receipt is not None:
            text, _ = split_note(receipt)
            inputs.receipt = (Receipt.parse(text), receipt)
    except ValueError as exc:  # NoteError and ProofFileError included
        reason = str(exc) if str(exc).startswith(("--", "the proof")) else f"--receipt: {exc}"
        raise _Stop(Failure("input", reason)) from None
    return inputs


def _verify(
    bundle: Bundle,
    since: str | None,
    receipt: str | None,
    key: str | None,
    replay: Replay | None,
    workers: int | None,
    block_size: int,
    parallel_threshold: int,
) -> Report:
    report = Report(EXIT_OK, origin=bundle.origin)
    try:
        inputs = _parse_inputs(bundle.origin, since, receipt, key)
        count = workers if workers is not None else min(2, os.cpu_count() or 1)
        _check_bundle(bundle, inputs, report, count, block_size, parallel_threshold)
    except _Stop as stop:
        report.exit_code = EXIT_UNUSABLE if stop.failure.where == "input" else EXIT_TAMPERED
        report.failure = stop.failure
        return report
    if replay is not None:
        findings = replay(parse_leaf(raw) for raw in bundle.entries())
        if findings:
            first = findings[0]
            report.exit_code = EXIT_TAMPERED
            report.failure = Failure("index", f"replay: {first.reason}", index=first.index)
            return report
        report.notes.append("auction replay found nothing wrong")
    return report


def _check_bundle(
    bundle: Bundle, inputs: _Inputs, report: Report, workers: int, block_size: int, parallel_threshold: int
) -> None:
    """Every integrity check, in order; raises _Stop at the first failure."""
    keys = _Keys(_load_keys(bundle))
    if inputs.pinned is not None and inputs.pinned not in keys.listed:
        raise _Stop(Failure("keys", f"the pinned key {inputs.pinned.vkey} is not in vkeys.txt"))
    checkpoints = _load_checkpoints(bundle)
    report.checkpoints = len(checkpoints)
    merge = _Merge(keys, checkpoints, inputs.pinned, inputs.outside)
    sizes = {cp.size for cp, _ in checkpoints} | {p.checkpoint.size for p in inputs.outside}
    ctx = _ScanContext(
        sizes=tuple(sorted(s for s in sizes if s > 0)),
        bodies=frozenset([inputs.receipt[0].body_hash] if inputs.receipt else []),
        indices=frozenset([inputs.proof.index] if inputs.proof is not None else []),
    )
    merge.at_size(0, CompactRange().root())
    with contextlib.closing(_scan_blocks(bundle, ctx, workers, block_size, parallel_threshold)) as blocks:
        for block in blocks:
            merge.block(block)
    report.entries = merge.pos
    report.root = merge.tree.root()
    _finish(merge, report)
    if inputs.since is not None:
        _check_outside(inputs.since, merge, "since")
        report.notes.append(f"--since checkpoint of size {inputs.since.checkpoint.size} is consistent with the bundle")
    if inputs.proof is not None and inputs.proof_checkpoint is not None:
        _check_proof(inputs.proof, inputs.proof_checkpoint, merge, report)
    if inputs.receipt is not None:
        _check_receipt(*inputs.receipt, merge, report)


def _finish(merge: _Merge, report: Report) -> None:
    """End-of-stream checks: truncation, coverage, keys, pinning."""
    total = merge.pos
    if merge.next_checkpoint < len(merge.checkpoints):
        number = merge.next_checkpoint
        checkpoint, note = merge.checkpoints[number]
        try:
            verify_note(note, merge.keys.acceptable())
        except NoteError as exc:
            raise _fail_checkpoint(number, f"signature: {exc}") from None
        raise _fail_checkpoint(
            number, f"size {checkpoint.size} but the bundle holds only {total} entries: truncated bundle"
        )
    covered = merge.checkpoints[-1][0].size if merge.checkpoints else 0
    if covered < total:
        raise _fail_index(covered, f"entries from index {covered} on are not covered by any checkpoint")
    keys = merge.keys
    if keys.introduced < len(keys.listed):
        raise _Stop(
            Failure(
                "keys",
                f"vkeys.txt line {keys.introduced + 1} was never introduced by a key.rotated entry",
            )
        )
    if merge.pinned is not None:
        if not merge.pinned_signed:
            raise _Stop(Failure("keys", f"no checkpoint is signed by the pinned key {merge.pinned.vkey}"))
        report.notes.append("a checkpoint signed by the pinned key covers the bundle")


def _check_outside(pending: _Pending, merge: _Merge, where: str) -> None:
    size = pending.checkpoint.size
    keys = pending.keys if pending.root is not None else merge.keys.acceptable()
    try:
        verify_note(pending.note, keys)
    except NoteError as exc:
        raise _Stop(Failure(where, f"checkpoint of size {size}: signature: {exc}")) from None
    if pending.root is None:
        raise _Stop(
            Failure(
                where,
                f"checkpoint of size {size} but the bundle holds only {merge.pos} entries: "
                "the log was truncated or this bundle is stale",
            )
        )
    if pending.root != pending.checkpoint.root:
        raise _Stop(
            Failure(
                where,
                f"checkpoint of size {size} has root {pending.checkpoint.root.hex()} but the bundle's tree at "
                f"that size has root {pending.root.hex()}: the log's history differs (split view or rewrite)",
            )
        )


def _check_proof(proof: TlogProof, pending: _Pending, merge: _Merge, report: Report) -> None:
    _check_outside(pending, merge, "receipt")
    leaf_hash = merge.found_leaves.get(proof.index)
    if leaf_hash is None:
        raise _Stop(Failure("receipt", f"the proof's index {proof.index} is not in the bundle"))
    try:
        verify_inclusion(proof.index, pending.checkpoint.size, leaf_hash, list(proof.hashes), pending.checkpoint.root)
    except ProofError as exc:
        raise _Stop(Failure("receipt", f"inclusion proof for index {proof.index}: {exc}")) from None
    report.notes.append(
        f"tlog-proof: entry {proof.index} is included in the checkpoint of size {pending.checkpoint.size}"
    )


def _after(later: str, earlier: datetime) -> int:
    """Microseconds from `earlier` to the ledger time string `later` (negative if it is before)."""
    return (parse_time(later) - earlier) // timedelta(microseconds=1)


def _check_receipt(receipt: Receipt, note: str, merge: _Merge, report: Report) -> None:
    keys = merge.keys.listed[: merge.keys.introduced]
    try:
        verify_note(note, keys)
    except NoteError as exc:
        raise _Stop(Failure("receipt", f"signature: {exc}")) from None
    if receipt.origin != report.origin:
        raise _Stop(Failure("receipt", f"receipt is for origin {receipt.origin!r}"))
    admitted = format_time(receipt.admitted_at)
    # Integer microseconds: a merge delay may be as large as 2**64 - 1 seconds, beyond what datetime holds.
    allowed = receipt.max_merge_delay * 1_000_000
    try:
        deadline = format_time(receipt.admitted_at + timedelta(seconds=receipt.max_merge_delay))
    except OverflowError:
        deadline = "9999-12-31T23:59:59.999999Z"  # the latest time a leaf can state, so never passed
    promise = f"the receipt promised integration within {receipt.max_merge_delay} s, by {deadline}"
    found = merge.found_bodies.get(receipt.body_hash)
    if found is None:
        newest = merge.last_integrated
        if newest and _after(newest, receipt.admitted_at) > allowed:
            raise _Stop(
                Failure(
                    "receipt",
                    f"body {receipt.body_hash} is not in the log, although the log integrated entries up to "
                    f"{newest}, after the deadline: {promise}",
                )
            )
        raise _Stop(
            Failure(
                "input",
                f"body {receipt.body_hash} is not in this bundle, whose newest entry was integrated "
                f"{newest or '(none: the bundle is empty)'}, not after the deadline {deadline}: "
                "verify against a newer bundle",
            )
        )
    index, at, integrated = found
    if at != admitted:
        raise _Stop(
            Failure("receipt", f"entry {index} records at {at}, the receipt says admitted {admitted}", index=index)
        )
    delay = _after(integrated, receipt.admitted_at)  # >= 0: the leaf's at is not after its integrated_at
    if delay > allowed:
        raise _Stop(
            Failure(
                "receipt",
                f"entry {index} (body {receipt.body_hash}) was integrated at {integrated}, "
                f"{_seconds(delay)} s after its admission at {admitted}; {promise}",
                index=index,
            )
        )
    report.notes.append(
        f"receipt: body {receipt.body_hash} is entry {index}, admitted {admitted}, integrated {integrated} "
        f"({_seconds(delay)} s, within the promised {receipt.max_merge_delay} s)"
    )


def _seconds(micros: int) -> str:
    """Microseconds as exact decimal seconds: 61.5, 60, 0.000001."""
    whole, fraction = divmod(micros, 1_000_000)
    return f"{whole}.{fraction:06d}".rstrip("0").rstrip(".") if fraction else str(whole)


# --- command line --------------------------------------------------------------------------------------------


def _read_text(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {what} {path}: {exc}") from None


def main(argv: Sequence[str] | None = None, *, replay: Replay | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m auction.ledger.verify",
        description="Verify an Achyk ledger bundle offline. Exit 0: all holds, 1: tampering found, 2: unusable.",
    )
    parser.add_argument("bundle", help="bundle directory or .zip")
    parser.add_argument("--since", metavar="CHECKPOINT_FILE", help="a signed checkpoint you saved earlier")
    parser.add_argument("--receipt", metavar="FILE", help="a signed receipt, or a .tlog-proof file")
    parser.add_argument("--key", metavar="VKEY", help="the log's verifier key from an out-of-band source, or a file")
    parser.add_argument("--json", action="store_true", help="print a JSON report")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: up to 2)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_OK if exc.code in (0, None) else EXIT_UNUSABLE
    try:
        since = _read_text(args.since, "--since") if args.since else None
        receipt = _read_text(args.receipt, "--receipt") if args.receipt else None
        key = args.key
        if key is not None and "+" not in key:
            key = _read_text(key, "--key").strip()
    except ValueError as exc:
        report = _unusable(str(exc))
    else:
        report = verify_bundle(args.bundle, since=since, receipt=receipt, key=key, replay=replay, workers=args.workers)
    print(json.dumps(report.to_json(), indent=2) if args.json else report.text())
    return report.exit_code


if __name__ == "__main__":
    # Run as a program, the verifier also replays every auction: an inspector's one command checks all.
    from auction.ledger.replay import replay as replay_auctions

    sys.exit(main(replay=replay_auctions))
