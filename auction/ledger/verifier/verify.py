"""Verify a bundle: every check in order, stopping at the first failure.

1. bundle files present and readable (else exit 2); the trust policy, --key and --state usable (else exit 2);
2. vkeys.txt (a pinned key must be listed) and checkpoints.txt (`inputs`); with a policy, every policy witness's
   cosignature on every checkpoint must verify;
3. one pass over entries.jsonl in index order: each block scanned (`scan`), then merged in order with the
   checkpoints due after it (`merge`);
4. end of the stream: no checkpoint larger than the bundle (truncation), the newest checkpoint covers every
   entry, every listed key was introduced, a pinned key signed some checkpoint; with a policy, the bundle is not
   empty, its newest checkpoint is signed by a policy log key and carries the witnesses' quorum; then --since, the
   checkpoint --state remembered, --checkpoint and --receipt (`receipts`), and a proof given with a receipt must
   prove the receipt's own entry; then --refusal, a signed refusal, must be signed by the log's key;
5. the `replay` extension point (the auction state machine, `replay.replay`), if given, with the witnesses' clock
   when the policy names a quorum;
6. trusted only if the inspector pinned the log (policy or key); then --state remembers the newest checkpoint.

`verify_checkpoint` checks a checkpoint given without a bundle against the policy and the remembered one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from auction.ledger.verifier.bundle import DEFAULT_BLOCK_SIZE, Bundle, BundleError, read_bundle
from auction.ledger.verifier.entry import Leaf
from auction.ledger.verifier.inputs import Inputs, load_checkpoints, load_keys, parse_inputs
from auction.ledger.verifier.merge import Keys, Merge
from auction.ledger.verifier.merkle import CompactRange, ProofError, verify_consistency
from auction.ledger.verifier.note import Checkpoint, NoteError, parse_vkey, verify_note
from auction.ledger.verifier.published import verifier_notes
from auction.ledger.verifier.receipts import (
    check_binding,
    check_outside,
    check_proof,
    check_receipt,
    check_receipt_file,
    check_refusal,
    check_remembered,
)
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
from auction.ledger.verifier.scan import PARALLEL_THRESHOLD, ScanContext, reread_leaf, scan_blocks
from auction.ledger.verifier.state import StateError, recall, remember
from auction.ledger.verifier.trust import (
    UNWITNESSED_KEY,
    GivenCheckpoint,
    Trust,
    Witnessed,
    parse_checkpoint_file,
    pinned_names,
    quorum_shortfall,
    witness_notes,
    witnessed,
)
from auction.ledger.verifier.witness_policy import witness_policy_notes
from auction.ledger.verifier.witnessing import TrustPolicy, WitnessClock, Witnessing


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
    policy: TrustPolicy | None = None,
    state: str | os.PathLike[str] | None = None,
    checkpoint: str | None = None,
) -> Report:
    """Verify a bundle; `since`, `receipt` (a receipt note, a tlog-proof, or one of each), `key` and `checkpoint`
    (a checkpoint note, a tlog-proof or an add-checkpoint body) are texts, `state` a directory.

    `exit_code` says whether every check held; `trusted` whether they held against keys the inspector brought
    (`policy`, `key`). Only a trusted pass moves `state` forward.
    """
    try:
        bundle = read_bundle(path)
    except BundleError as exc:
        return unusable(str(exc))
    with bundle:
        try:
            remembered = recall(state, bundle.origin) if state is not None else None
            report = _verify(
                bundle,
                _Asked(since, receipt, key, refusal, policy, remembered, checkpoint),
                replay,
                workers,
                block_size,
                parallel_threshold,
            )
        except StateError as exc:
            return unusable(f"--state: {exc}", bundle.origin)
        except BundleError as exc:
            return unusable(str(exc), bundle.origin)
        except OSError as exc:
            return unusable(f"cannot read the bundle: {exc}", bundle.origin)
    if state is not None and remembered is None and report.failure is None:
        report.notes.append("--state: no checkpoint remembered for this origin yet (first visit)")
    return _remember(report, state)


@dataclass(frozen=True, slots=True)
class _Asked:
    """What the inspector brought besides the bundle, as texts."""

    since: str | None
    receipt: str | Sequence[str] | None
    key: str | None
    refusal: str | None
    policy: TrustPolicy | None
    remembered: str | None
    checkpoint: str | None


def _remember(report: Report, state: str | os.PathLike[str] | None) -> Report:
    """--state: a trusted pass remembers the newest checkpoint; anything less leaves the state as it was."""
    if state is None or report.failure is not None:
        return report
    if not report.trusted or report.origin is None or report.newest_note is None:
        report.notes.append("--state not updated: the result is not trusted")
        return report
    try:
        path = remember(state, report.origin, report.newest_note)
    except StateError as exc:
        return unusable(f"--state: everything verified, but {exc}", report.origin)
    report.notes.append(f"--state: remembered the checkpoint of size {report.entries} in {path}")
    return report


def _verify(
    bundle: Bundle, asked: _Asked, replay: Replay | None, workers: int | None, block_size: int, parallel_threshold: int
) -> Report:
    report = Report(EXIT_OK, origin=bundle.origin)
    try:
        inputs = parse_inputs(
            bundle.origin, asked.since, asked.receipt, asked.key, asked.refusal, asked.remembered, asked.checkpoint
        )
        trust = Trust.of(asked.policy, inputs.pinned)
        count = workers if workers is not None else min(2, os.cpu_count() or 1)
        witnessing = _check_bundle(bundle, inputs, trust, report, count, block_size, parallel_threshold)
    except Stop as stop:
        report.exit_code = EXIT_UNUSABLE if stop.failure.where == "input" else EXIT_TAMPERED
        report.failure = stop.failure
        return report
    if replay is not None:
        platform: list[Leaf] = []

        def leaves() -> Iterator[Leaf]:
            # The scan checked every leaf in full before any replay: read each again without checking it twice.
            for raw in bundle.entries():
                leaf = reread_leaf(raw)
                if leaf.body.lot is None:
                    platform.append(leaf)
                yield leaf

        findings = replay(leaves(), witnessing)
        if findings:
            first = findings[0]
            report.exit_code = EXIT_TAMPERED
            report.failure = Failure("index", f"replay: {first.reason}", index=first.index)
            return report
        report.notes.append("auction replay found nothing wrong")
        # The replay has read every leaf; the platform chain's few say which scripts the site serves.
        report.notes.extend(witness_policy_notes(platform))
        report.notes.extend(release_notes(platform))
        report.notes.extend(verifier_notes(platform))
    report.trusted = trust is not None
    return report


def _check_bundle(
    bundle: Bundle,
    inputs: Inputs,
    trust: Trust | None,
    report: Report,
    workers: int,
    block_size: int,
    parallel_threshold: int,
) -> Witnessing | None:
    """Every integrity check, in order; raises Stop at the first failure. Returns what the replay judges time by."""
    keys = Keys(load_keys(bundle))
    if inputs.pinned is not None and inputs.pinned not in keys.listed:
        raise Stop(Failure("keys", f"the pinned key {inputs.pinned.vkey} is not in vkeys.txt"))
    policy = trust.policy if trust is not None else None
    if policy is not None and not any(key in keys.listed for key in policy.logs):
        raise Stop(Failure("keys", "none of the trust policy's log keys is in vkeys.txt: this is another log"))
    checkpoints = load_checkpoints(bundle)
    report.checkpoints = len(checkpoints)
    seen: list[Witnessed] = []
    if policy is not None:
        if not checkpoints:
            raise Stop(Failure("policy", "the bundle holds no checkpoint: nothing in it is signed"))
        seen = [_witnessed(number, note, policy) for number, (_, note) in enumerate(checkpoints)]
    merge = Merge(keys, checkpoints, trust.pinned if trust is not None else (), inputs.outside)
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
    if checkpoints:
        report.newest_note = checkpoints[-1][1]
    _finish(merge, report, trust)
    if policy is not None:
        _check_newest(merge, report, policy, seen[-1])
    _check_outside(inputs, trust, merge, report)
    if policy is None or policy.quorum == 0:
        return None
    clock = WitnessClock((checkpoint.size, w.quorum_time) for (checkpoint, _), w in zip(checkpoints, seen, strict=True))
    return Witnessing(clock, policy.grace_seconds)


def _witnessed(number: int, note: str, policy: TrustPolicy) -> Witnessed:
    try:
        return witnessed(note, policy)
    except NoteError as exc:
        raise fail_checkpoint(number, f"cosignature: {exc}") from None


def _check_newest(merge: Merge, report: Report, policy: TrustPolicy, seen: Witnessed) -> None:
    """A policy vouches for the newest checkpoint: not empty, signed by a key it lists, cosigned by its quorum."""
    number = len(merge.checkpoints) - 1
    newest = merge.checkpoints[-1][0]
    if merge.pos == 0:
        raise Stop(Failure("policy", "the bundle holds no entries: there is nothing a trust policy can vouch for"))
    if not any(key in merge.pinned for key in merge.newest_signers):
        signers = pinned_names(merge.newest_signers)
        raise fail_checkpoint(
            number,
            f"signed by {signers}, which the trust policy does not list: if the log's key rotation to it is "
            "genuine, get the new key from its owner and add it as a 'log' line",
        )
    shortfall = quorum_shortfall(seen, policy)
    if shortfall is not None:
        raise fail_checkpoint(number, shortfall)
    report.notes.extend(witness_notes(seen, policy, newest.size))


def _check_outside(inputs: Inputs, trust: Trust | None, merge: Merge, report: Report) -> None:
    """What the inspector brought: --since, the remembered checkpoint, --checkpoint, receipts, proofs, refusals."""
    if inputs.since is not None:
        check_outside(inputs.since, merge, "since")
        report.notes.append(f"--since checkpoint of size {inputs.since.checkpoint.size} is consistent with the bundle")
    if inputs.remembered is not None:
        check_remembered(inputs.remembered, merge)
        report.notes.append(
            f"--state: the bundle extends the checkpoint of size {inputs.remembered.checkpoint.size} "
            "you verified before"
        )
    if inputs.given is not None:
        _check_given_policy(inputs.given, trust)
        if inputs.given_pending is not None:
            check_outside(inputs.given_pending, merge, "checkpoint file")
            report.notes.append(f"--checkpoint of size {inputs.given.checkpoint.size} is consistent with the bundle")
    if inputs.proof is not None and inputs.proof_checkpoint is not None:
        check_proof(inputs.proof, inputs.proof_checkpoint, merge, report)
    if inputs.receipt is not None:
        check_receipt(*inputs.receipt, merge, report)
        if inputs.receipt_file is not None:
            check_receipt_file(inputs.receipt_file, inputs.receipt[0], report)
        if inputs.proof is not None:
            check_binding(inputs.receipt[0], inputs.proof, merge, report)
    if inputs.refusal is not None:
        check_refusal(*inputs.refusal, merge, report)


def _check_given_policy(given: GivenCheckpoint, trust: Trust | None) -> None:
    """--checkpoint: signed by a pinned log key and, with a policy, cosigned by its quorum."""
    if trust is None:
        raise Stop(Failure("input", "--checkpoint needs the log's key: pass --policy FILE (or --key VKEY)"))
    try:
        verify_note(given.note, trust.pinned)
    except NoteError as exc:
        raise Stop(Failure("checkpoint file", f"signature: {exc} (expected {pinned_names(trust.pinned)})")) from None
    if trust.policy is None:
        return
    try:
        seen = witnessed(given.note, trust.policy)
    except NoteError as exc:
        raise Stop(Failure("checkpoint file", f"cosignature: {exc}")) from None
    shortfall = quorum_shortfall(seen, trust.policy)
    if shortfall is not None:
        raise Stop(Failure("checkpoint file", shortfall))


def _finish(merge: Merge, report: Report, trust: Trust | None) -> None:
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
    if trust is None:
        return
    if not merge.pinned_signed:
        raise Stop(Failure("keys", f"no checkpoint is signed by the pinned key {pinned_names(trust.pinned)}"))
    report.notes.append("a checkpoint signed by the pinned key covers the bundle")
    if trust.policy is None:
        report.notes.append(UNWITNESSED_KEY)


def verify_checkpoint(
    text: str,
    *,
    policy: TrustPolicy | None = None,
    key: str | None = None,
    state: str | os.PathLike[str] | None = None,
) -> Report:
    """Verify a checkpoint given without a bundle (a note, a tlog-proof or an add-checkpoint body) against the
    policy (log signature, cosignatures, quorum) and the checkpoint --state remembered; a trusted pass moves the
    state forward."""
    try:
        given = parse_checkpoint_file(text)
    except ValueError as exc:
        return unusable(f"--checkpoint: {exc}")
    checkpoint = given.checkpoint
    report = Report(
        EXIT_OK,
        origin=checkpoint.origin,
        entries=checkpoint.size,
        checkpoints=1,
        root=checkpoint.root,
        subject=f"the checkpoint of size {checkpoint.size} of {checkpoint.origin}",
    )
    try:
        pinned = parse_vkey(key.strip()) if key is not None else None
    except NoteError as exc:
        return unusable(f"--key: {exc}", checkpoint.origin)
    trust = Trust.of(policy, pinned)
    try:
        _check_given_policy(given, trust)
        assert trust is not None  # _check_given_policy refuses to go on without one
        remembered = recall(state, checkpoint.origin) if state is not None else None
        if remembered is not None:
            _check_against_remembered(given, remembered, report)
        elif state is not None:
            report.notes.append("--state: no checkpoint remembered for this origin yet (first visit)")
    except StateError as exc:
        return unusable(f"--state: {exc}", checkpoint.origin)
    except Stop as stop:
        report.exit_code = EXIT_UNUSABLE if stop.failure.where == "input" else EXIT_TAMPERED
        report.failure = stop.failure
        return report
    report.notes.append(f"checkpoint of size {checkpoint.size} is signed by a pinned log key")
    if trust.policy is not None:
        report.notes.extend(witness_notes(witnessed(given.note, trust.policy), trust.policy, checkpoint.size))
    else:
        report.notes.append(UNWITNESSED_KEY)
    if given.proof is not None:
        report.notes.append(
            f"the tlog-proof's inclusion of entry {given.proof.index} needs the entry itself: "
            "give the bundle too (BUNDLE --checkpoint FILE)"
        )
    report.trusted = True
    report.newest_note = given.note
    return _remember(report, state)


def _check_against_remembered(given: GivenCheckpoint, remembered: str, report: Report) -> None:
    """Same size: same root. Larger: a consistency proof from the remembered size. Smaller: nothing to decide."""
    new = given.checkpoint
    try:
        old = Checkpoint.from_note(remembered)
    except NoteError as exc:
        raise Stop(Failure("input", f"the checkpoint --state remembered is malformed: {exc}")) from None
    if old.origin != new.origin:
        raise Stop(Failure("input", f"the checkpoint --state remembered is for origin {old.origin!r}"))
    if new.size < old.size:
        raise Stop(
            Failure(
                "input",
                f"this checkpoint (size {new.size}) is older than the checkpoint you remembered (size {old.size}): "
                "bring a newer one",
            )
        )
    if new.size == old.size:
        if new.root != old.root:
            raise Stop(
                Failure(
                    "checkpoint file",
                    f"split view: the checkpoint of size {new.size} you verified before has root {old.root.hex()}, "
                    f"this one {new.root.hex()}: the log signed two different histories",
                )
            )
        report.notes.append(f"--state: the same tree of size {new.size} you verified before")
        return
    if given.old_size != old.size:
        raise Stop(
            Failure(
                "input",
                f"this checkpoint (size {new.size}) is newer than the one you remembered (size {old.size}): bring "
                f"a consistency proof from size {old.size}, as an add-checkpoint body ('old {old.size}', the proof's "
                "hashes, an empty line, the checkpoint), or verify the bundle with --state",
            )
        )
    try:
        verify_consistency(old.size, new.size, list(given.consistency), old.root, new.root)
    except ProofError as exc:
        raise Stop(
            Failure(
                "checkpoint file",
                f"the tree of size {new.size} does not extend the one of size {old.size} you verified before "
                f"(consistency proof: {exc}): the log signed two different histories",
            )
        ) from None
    report.notes.append(f"--state: the checkpoint extends the one of size {old.size} you verified before")
