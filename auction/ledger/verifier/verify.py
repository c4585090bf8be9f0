"""Verify a bundle: every check in order, stopping at the first failure.

1. bundle files present and readable (else exit 2);
2. vkeys.txt and checkpoints.txt (`inputs`);
3. one pass over entries.jsonl in index order: each block scanned (`scan`), then merged in order with the
   checkpoints due after it (`merge`);
4. end of the stream: no checkpoint larger than the bundle (truncation), the newest checkpoint covers every
   entry, every listed key was introduced, the --key signed some checkpoint; then --since and --receipt
   (`receipts`), and a proof given with a receipt must prove the receipt's own entry; then --refusal, a signed
   refusal, must be signed by the log's key;
5. the `replay` extension point (the auction state machine, `replay.replay`), if given.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence

from auction.ledger.verifier.bundle import DEFAULT_BLOCK_SIZE, Bundle, BundleError, read_bundle
from auction.ledger.verifier.entry import Leaf, parse_leaf
from auction.ledger.verifier.inputs import Inputs, load_checkpoints, load_keys, parse_inputs
from auction.ledger.verifier.merge import Keys, Merge
from auction.ledger.verifier.merkle import CompactRange
from auction.ledger.verifier.note import NoteError, verify_note
from auction.ledger.verifier.receipts import check_binding, check_outside, check_proof, check_receipt, check_refusal
from auction.ledger.verifier.release import release_notes
from auction.ledger.verifier.report import (
    EXIT_OK,
    EXIT_TAMPERED,
    EXIT_UNUSABLE,
    Failure,
    Replay,
    Report,
    Stop,
    fail_checkpoint,
    fail_index,
    unusable,
)
from auction.ledger.verifier.scan import PARALLEL_THRESHOLD, ScanContext, scan_blocks
from auction.ledger.verifier.witness_policy import witness_policy_notes


def verify_bundle(
    path: str | os.PathLike[str],
    *,
    since: str | None = None,
    receipt: str | Sequence[str] | None = None,
    key: str | None = None,
    replay: Replay | None = None,
    workers: int | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    parallel_threshold: int = PARALLEL_THRESHOLD,
    refusal: str | None = None,
) -> Report:
    """Verify a bundle; `since`, `receipt` (a receipt note, a tlog-proof, or one of each) and `key` are texts."""
    try:
        bundle = read_bundle(path)
    except BundleError as exc:
        return unusable(str(exc))
    with bundle:
        try:
            return _verify(bundle, since, receipt, key, replay, workers, block_size, parallel_threshold, refusal)
        except BundleError as exc:
            return unusable(str(exc), bundle.origin)
        except OSError as exc:
            return unusable(f"cannot read the bundle: {exc}", bundle.origin)


def _verify(
    bundle: Bundle,
    since: str | None,
    receipt: str | Sequence[str] | None,
    key: str | None,
    replay: Replay | None,
    workers: int | None,
    block_size: int,
    parallel_threshold: int,
    refusal: str | None,
) -> Report:
    report = Report(EXIT_OK, origin=bundle.origin)
    try:
        inputs = parse_inputs(bundle.origin, since, receipt, key, refusal)
        count = workers if workers is not None else min(2, os.cpu_count() or 1)
        _check_bundle(bundle, inputs, report, count, block_size, parallel_threshold)
    except Stop as stop:
        report.exit_code = EXIT_UNUSABLE if stop.failure.where == "input" else EXIT_TAMPERED
        report.failure = stop.failure
        return report
    if replay is not None:
        platform: list[Leaf] = []

        def leaves() -> Iterator[Leaf]:
            for raw in bundle.entries():
                leaf = parse_leaf(raw)
                if leaf.body.lot is None:
                    platform.append(leaf)
                yield leaf

        findings = replay(leaves(), None)
        if findings:
            first = findings[0]
            report.exit_code = EXIT_TAMPERED
            report.failure = Failure("index", f"replay: {first.reason}", index=first.index)
            return report
        report.notes.append("auction replay found nothing wrong")
        # The replay has read every leaf; the platform chain's few say which scripts the site serves.
        report.notes.extend(witness_policy_notes(platform))
        report.notes.extend(release_notes(platform))
    return report


def _check_bundle(
    bundle: Bundle, inputs: Inputs, report: Report, workers: int, block_size: int, parallel_threshold: int
) -> None:
    """Every integrity check, in order; raises Stop at the first failure."""
    keys = Keys(load_keys(bundle))
    if inputs.pinned is not None and inputs.pinned not in keys.listed:
        raise Stop(Failure("keys", f"the pinned key {inputs.pinned.vkey} is not in vkeys.txt"))
    checkpoints = load_checkpoints(bundle)
    report.checkpoints = len(checkpoints)
    merge = Merge(keys, checkpoints, inputs.pinned, inputs.outside)
    sizes = {cp.size for cp, _ in checkpoints} | {p.checkpoint.size for p in inputs.outside}
    ctx = ScanContext(
        sizes=tuple(sorted(s for s in sizes if s > 0)),
        bodies=frozenset([inputs.receipt[0].body_hash] if inputs.receipt else []),
        indices=frozenset([inputs.proof.index] if inputs.proof is not None else []),
    )
    merge.at_size(0, CompactRange().root())
    with contextlib.closing(scan_blocks(bundle, ctx, workers, block_size, parallel_threshold)) as blocks:
        for block in blocks:
            merge.block(block)
    report.entries = merge.pos
    report.root = merge.tree.root()
    _finish(merge, report)
    if inputs.since is not None:
        check_outside(inputs.since, merge, "since")
        report.notes.append(f"--since checkpoint of size {inputs.since.checkpoint.size} is consistent with the bundle")
    if inputs.proof is not None and inputs.proof_checkpoint is not None:
        check_proof(inputs.proof, inputs.proof_checkpoint, merge, report)
    if inputs.receipt is not None:
        check_receipt(*inputs.receipt, merge, report)
        if inputs.proof is not None:
            check_binding(inputs.receipt[0], inputs.proof, merge, report)
    if inputs.refusal is not None:
        check_refusal(*inputs.refusal, merge, report)


def _finish(merge: Merge, report: Report) -> None:
    """End-of-stream checks: truncation, coverage, keys, pinning."""
    total = merge.pos
    if merge.next_checkpoint < len(merge.checkpoints):
        number = merge.next_checkpoint
        checkpoint, note = merge.checkpoints[number]
        try:
            verify_note(note, merge.keys.acceptable())
        except NoteError as exc:
            raise fail_checkpoint(number, f"signature: {exc}") from None
        raise fail_checkpoint(
            number, f"size {checkpoint.size} but the bundle holds only {total} entries: truncated bundle"
        )
    covered = merge.checkpoints[-1][0].size if merge.checkpoints else 0
    if covered < total:
        raise fail_index(covered, f"entries from index {covered} on are not covered by any checkpoint")
    keys = merge.keys
    if keys.introduced < len(keys.listed):
        raise Stop(
            Failure(
                "keys",
                f"vkeys.txt line {keys.introduced + 1} was never introduced by a key.rotated entry",
            )
        )
    if merge.pinned is not None:
        if not merge.pinned_signed:
            raise Stop(Failure("keys", f"no checkpoint is signed by the pinned key {merge.pinned.vkey}"))
        report.notes.append("a checkpoint signed by the pinned key covers the bundle")
