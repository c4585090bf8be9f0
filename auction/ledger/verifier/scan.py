"""The block scanner: checks runs of consecutive leaves in worker processes, as far as no earlier state is needed.

Per entry it checks the canonical leaf bytes and fields (the body's `at` not after the leaf's `integrated_at`
included), the index, the prev_leaf chain, `integrated_at` never going backwards, each chain's lot_seq/prev_body
links and `at` never going backwards within the chain, and key.rotated's place on the platform chain. What needs
the blocks before it (the first leaf's links, each chain's first link in the block, key rotations) is returned as
the block's boundary facts, with its perfect-subtree hashes, for the parent to check in index order (`merge`).
Which block a fact came from never changes the outcome, so results are the same for any block size or worker count.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import json.scanner
import multiprocessing
import re
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from auction.ledger.verifier.bundle import ENTRIES_FILE, Bundle, BundleError
from auction.ledger.verifier.canonical import (
    MAX_SAFE_INTEGER,
    TIME_PATTERN,
    encode_pieces,
    is_time_string,
    keys_ascii,
    reject_constant,
)
from auction.ledger.verifier.entry import (
    HEX64_RE,
    KIND_RE,
    MAX_ACTOR_LENGTH,
    ZERO_HASH,
    Body,
    Leaf,
    LedgerFormatError,
    parse_leaf,
)
from auction.ledger.verifier.incident import INCIDENT_KIND
from auction.ledger.verifier.limits import MAX_ENTRY_BYTES, size_text
from auction.ledger.verifier.merkle import LEAF_HASH_PREFIX, perfect_levels, range_hashes

ROTATION_KIND = "key.rotated"
PARALLEL_THRESHOLD = 8 << 20  # below this many bytes of entries, worker start-up costs more than it saves

# Per-entry check order; a failure found in a worker and one found by the parent at the same entry are
# ranked by it, exactly as a single sequential pass would meet them.
CHECK_FORMAT, CHECK_INDEX, CHECK_PREV_LEAF, CHECK_TIME, CHECK_LOT, CHECK_ROTATION, CHECK_CHECKPOINT = range(7)


@dataclass(frozen=True, slots=True)
class ScanContext:
    """What the parent needs from the workers beyond the checks: roots at checkpoint sizes, receipts, proofs."""

    sizes: tuple[int, ...]  # tree sizes whose roots the parent needs, ascending
    bodies: frozenset[str]  # body hashes to locate (receipts)
    indices: frozenset[int]  # leaf indices whose leaf hash is needed (tlog-proofs)


@dataclass(slots=True)
class Block:
    """One scanned run of leaves: how far it held, its first failure, and the facts the parent checks in order."""

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
    # Receipts' bodies: hash -> (line, at, integrated_at, lot, lot_seq, kind), the last three to match a v2 receipt.
    found_bodies: dict[str, tuple[int, str, str, int | None, int, str]] = field(default_factory=dict)
    found_leaves: dict[int, bytes] = field(default_factory=dict)
    # Recorded outages on the platform chain, (line, integrated_at, actor, payload): a receipt's late entry may
    # be covered by one (auction.ledger.verifier.incident). They are rare, so every one is kept.
    incidents: list[tuple[int, str, str, Any]] = field(default_factory=list)


class _OffFastPath(Exception):
    """The payload holds a float or an integer beyond +-(2**53 - 1): leave it to parse_leaf."""


def _no_float(text: str) -> Any:
    raise _OffFastPath(text)


def _safe_int(text: str) -> int:
    value = int(text)
    if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return value
    raise _OffFastPath(text)


_DECODER = json.JSONDecoder(parse_float=_no_float, parse_int=_safe_int, parse_constant=reject_constant)
# The raw scanner skips `decode`'s whitespace handling; typeshed wants a scanner as its context, but any
# object with the decoder's settings is what CPython reads.
_SCAN_ONCE: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(cast(Any, _DECODER))
# Integers outside the payload are held to 15 digits, below 2**53, by these patterns; the payload's are
# checked as they are parsed (_safe_int). Anything longer takes the authoritative path.
_TAIL_RE = re.compile(
    r',"index":(0|[1-9][0-9]{0,14}),"integrated_at":"(' + TIME_PATTERN + r')",'
    r'"prev_leaf":"(' + HEX64_RE.pattern + r')","v":1\}'
)
# A canonical body whose strings need no escaping, split into its fields. The payload is whatever sits
# between "payload": and the fixed-length prev_body/v suffix; it is checked separately as canonical JSON.
# An actor with escapes, or anything else unusual, fails to match and takes the authoritative path.
_BODY_RE = re.compile(
    r'\{"actor":"(?:[^"\\\x00-\x1f]{1,' + str(MAX_ACTOR_LENGTH) + r'})",'
    r'"at":"(' + TIME_PATTERN + r')",'
    r'"kind":"(' + KIND_RE.pattern + r')","lot":(null|[1-9][0-9]{0,14}),"lot_seq":([1-9][0-9]{0,14}),'
    r'"payload":(\{.*\}),"prev_body":"(' + HEX64_RE.pattern + r')","v":1\}',
    re.DOTALL,
)


def scan_lines(  # noqa: PLR0912, PLR0915 - the per-entry hot loop stays in one frame for speed
    lines: Sequence[bytes], unterminated: bool, ctx: ScanContext
) -> Block:
    """Check a run of consecutive leaves as far as no earlier state is needed.

    The fast path accepts only the common case (a canonical leaf with valid fields); anything else, valid or
    not, goes through the authoritative `parse_leaf`, so the fast path can never accept what it would refuse.
    """
    block = Block(lines=len(lines))
    sha256 = hashlib.sha256
    scan, encode_payload = _SCAN_ONCE, encode_pieces
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
            failure = (pos, CHECK_FORMAT, "entries.jsonl ends without a newline after this leaf")
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
                failure = (pos, CHECK_FORMAT, "empty line")
                break
            try:
                leaf = parse_leaf(raw)
            except LedgerFormatError as exc:
                failure = (pos, CHECK_FORMAT, exc.reason)
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
                failure = (pos, CHECK_INDEX, f"leaf index is {index}, expected {expect_index}")
                break
            if prev_leaf != prev_hex:
                failure = (pos, CHECK_PREV_LEAF, f"prev_leaf {prev_leaf} is not the hash of leaf {index - 1}")
                break
            if stamp < last_stamp:
                failure = (pos, CHECK_TIME, integration_time_problem(stamp, last_stamp))
                break
        if state is None:
            lot_heads.append((pos, lot, lot_seq, prev_body, at))
        elif lot_seq != state[0] + 1 or prev_body != state[1] or at < state[2]:
            failure = (pos, CHECK_LOT, lot_link_problem(lot, lot_seq, prev_body, at, state) or "")
            break
        lot_tails[lot] = (lot_seq, body_hash, at)
        if kind == ROTATION_KIND:
            if lot is not None:
                failure = (pos, CHECK_ROTATION, "key.rotated must be on the platform chain (lot null)")
                break
            rotations.append((pos, payload))
        elif kind == INCIDENT_KIND and lot is None:
            # Rare, so the actor (which the fast path does not capture) is read from the parsed leaf.
            block.incidents.append((pos, stamp, parse_leaf(raw).body.actor, payload))
        leaf_hash = sha256(LEAF_HASH_PREFIX + raw).digest()  # merkle.hash_leaf, inlined
        leaf_hashes.append(leaf_hash)
        prev_hex = leaf_hash.hex()
        expect_index = index + 1
        last_stamp = stamp
        if bodies and body_hash in bodies and body_hash not in block.found_bodies:
            block.found_bodies[body_hash] = (pos, at, stamp, lot, lot_seq, kind)
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


# _BODY_RE with the actor captured too, for reading a checked leaf again (`reread_leaf`).
_REREAD_BODY_RE = re.compile(_BODY_RE.pattern.replace(r'\{"actor":"(?:', r'\{"actor":"(', 1), re.DOTALL)


def reread_leaf(raw: bytes) -> Leaf:
    """The leaf `parse_leaf` gives, for bytes the scan has already checked in full (the replay's second pass).

    The scan proved every leaf canonical and well-formed, so the common shape is split into its fields with the
    scan's own patterns and only the payload is parsed, without `parse_leaf`'s second canonical encoding (some
    fifty times the cost of hashing the leaf). Anything off that shape, a float or an integer past 2**53 in the
    payload included, goes through `parse_leaf` itself; both give equal `Leaf` objects.
    """
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return parse_leaf(raw)
    cut = text.rfind(',"index":')
    tail = _TAIL_RE.fullmatch(text, cut) if cut > 8 and text.startswith('{"body":') else None
    shape = _REREAD_BODY_RE.fullmatch(text, 8, cut) if tail is not None else None
    if tail is None or shape is None:
        return parse_leaf(raw)
    actor, at, kind, lot_text, seq_text, payload_text, prev_body = shape.groups()
    try:
        payload, end = _SCAN_ONCE(payload_text, 0)
    except (_OffFastPath, ValueError, StopIteration, RecursionError):
        return parse_leaf(raw)
    if end != len(payload_text):
        return parse_leaf(raw)
    body = Body(
        kind=kind,
        lot=None if lot_text == "null" else int(lot_text),
        lot_seq=int(seq_text),
        prev_body=prev_body,
        at=at,
        actor=actor,
        payload=payload,
        raw=raw[8 : len(raw) - (len(text) - cut)],
    )
    return Leaf(index=int(tail.group(1)), integrated_at=tail.group(2), prev_leaf=tail.group(3), body=body, raw=raw)


def integration_time_problem(stamp: str, previous: str) -> str:
    """The reason for an `integrated_at` that goes backwards."""
    return f"integrated_at {stamp} is earlier than the previous leaf's integrated_at {previous}"


def lot_link_problem(
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


def _scan_data(data: bytes, ctx: ScanContext) -> Block:
    lines = data.split(b"\n")
    unterminated = bool(lines[-1])
    if not unterminated:
        lines.pop()
    return scan_lines(lines, unterminated, ctx)


_WORKER_CONTEXT: ScanContext | None = None


def _init_worker(ctx: ScanContext) -> None:
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
        # The last line may run on past the block: follow it to its newline, but no further than a leaf can be.
        extended = len(data) - data.rfind(b"\n") - 1
        while parts[-1] and not parts[-1].endswith(b"\n") and position < file_end:
            more = stream.read(min(1 << 16, file_end - position))
            if not more:
                break
            newline = more.find(b"\n")
            extended += newline + 1 if newline >= 0 else len(more)
            if extended > MAX_ENTRY_BYTES:
                raise BundleError(
                    f"{ENTRIES_FILE} has a line longer than the verifier reads ({size_text(MAX_ENTRY_BYTES)}): no "
                    "ledger entry is that long"
                )
            if newline >= 0:
                parts.append(more[: newline + 1])
                break
            parts.append(more)
            position += len(more)
        return b"".join(parts)


def _scan_file_range(task: tuple[str, int, int, int, int]) -> Block:
    assert _WORKER_CONTEXT is not None
    data = _read_lines_from(*task)
    return _scan_data(data, _WORKER_CONTEXT) if data else Block()


def _scan_shipped(data: bytes) -> Block:
    assert _WORKER_CONTEXT is not None
    return _scan_data(data, _WORKER_CONTEXT)


def _pool_context() -> multiprocessing.context.BaseContext:
    # fork is fastest and safe while this process has a single thread; otherwise start clean processes.
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def scan_blocks(
    bundle: Bundle, ctx: ScanContext, workers: int, block_size: int, parallel_threshold: int
) -> Generator[Block, None, None]:
    """The scanned blocks of entries.jsonl in order: in this process for small bundles, else in `workers`."""
    location = bundle.entries_location()
    size = location[2] if location is not None else parallel_threshold
    if workers <= 1 or size < parallel_threshold:
        for data in bundle.blocks(block_size):
            yield _scan_data(data, ctx)
        return
    # Workers unpickle these functions by module name: one reason the scanner is never itself run as __main__.
    window = 2 * workers + 2
    pool = _pool_context().Pool(workers, initializer=_init_worker, initargs=(ctx,))
    try:
        pending: deque[Any] = deque()
        if location is not None:
            path, offset, length = location
            tasks: Iterable[Any] = [
                (path, start, min(start + block_size, offset + length), offset, offset + length)
                for start in range(offset, offset + length, block_size)
            ]
            worker: Callable[..., Block] = _scan_file_range
        else:
            tasks = bundle.blocks(block_size)
            worker = _scan_shipped
        for task in tasks:
            pending.append(pool.apply_async(worker, (task,)))
            if len(pending) >= window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
    finally:
        # Not terminate(), which `with Pool` calls: it kills the workers while they may still be writing a result,
        # and one killed holding the result queue's lock hangs the pool's task handler for good (CPython
        # gh-96995; a verification that stopped at its first problem once hung so). The workers finish what was
        # sent them, at most `window` blocks, and exit.
        pool.close()
        pool.join()
