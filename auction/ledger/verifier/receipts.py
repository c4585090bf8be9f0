"""Checks against what the inspector brought: a checkpoint kept earlier, a tlog-proof, a bidder's receipt.

A --since checkpoint must match the bundle's tree at its size; a tlog-proof's inclusion path must lead to its
checkpoint's root; a receipt's body must have been integrated within its promised max merge delay; and a proof
given with a receipt (beside it, or in the proof's extra line) must prove the very entry the receipt names, so
nobody can present another bidder's proof as theirs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from auction.ledger.verifier.canonical import format_time, parse_time
from auction.ledger.verifier.incident import covering_incident
from auction.ledger.verifier.merge import Merge, Pending
from auction.ledger.verifier.merkle import ProofError, verify_inclusion
from auction.ledger.verifier.note import NoteError, Receipt, verify_note
from auction.ledger.verifier.proof_file import TlogProof
from auction.ledger.verifier.receipt_file import ReceiptFile, disagreements, unsigned_fields
from auction.ledger.verifier.refusal import Refusal
from auction.ledger.verifier.report import Failure, Report, Stop


def check_outside(pending: Pending, merge: Merge, where: str) -> None:
    """An outside checkpoint is validly signed and has the root the bundle's tree has at its size."""
    size = pending.checkpoint.size
    keys = pending.keys if pending.root is not None else merge.keys.acceptable()
    try:
        verify_note(pending.note, keys)
    except NoteError as exc:
        raise Stop(Failure(where, f"checkpoint of size {size}: signature: {exc}")) from None
    if pending.root is None:
        raise Stop(
            Failure(
                where,
                f"checkpoint of size {size} but the bundle holds only {merge.pos} entries: "
                "the log was truncated or this bundle is stale",
            )
        )
    if pending.root != pending.checkpoint.root:
        raise Stop(
            Failure(
                where,
                f"checkpoint of size {size} has root {pending.checkpoint.root.hex()} but the bundle's tree at "
                f"that size has root {pending.root.hex()}: the log's history differs (split view or rewrite)",
            )
        )


def check_remembered(pending: Pending, merge: Merge) -> None:
    """--state: the bundle extends the checkpoint verified on an earlier visit (else truncation or a split view)."""
    checkpoint = pending.checkpoint
    if pending.root is None:
        raise Stop(
            Failure(
                "state",
                f"truncated: the bundle holds {merge.pos} entries but you verified a checkpoint of size "
                f"{checkpoint.size} before",
            )
        )
    try:
        verify_note(pending.note, pending.keys)
    except NoteError as exc:
        raise Stop(Failure("state", f"the checkpoint of size {checkpoint.size} you verified before: {exc}")) from None
    if pending.root != checkpoint.root:
        raise Stop(
            Failure(
                "state",
                f"split view: the checkpoint of size {checkpoint.size} you verified before has root "
                f"{checkpoint.root.hex()}, but this bundle's tree at that size has root {pending.root.hex()}: "
                "the log signed two different histories",
            )
        )


def check_proof(proof: TlogProof, pending: Pending, merge: Merge, report: Report) -> None:
    """A tlog-proof's checkpoint agrees with the bundle, and its path leads from the entry to that root."""
    check_outside(pending, merge, "receipt")
    leaf_hash = merge.found_leaves.get(proof.index)
    if leaf_hash is None:
        raise Stop(Failure("receipt", f"the proof's index {proof.index} is not in the bundle"))
    try:
        verify_inclusion(proof.index, pending.checkpoint.size, leaf_hash, list(proof.hashes), pending.checkpoint.root)
    except ProofError as exc:
        raise Stop(Failure("receipt", f"inclusion proof for index {proof.index}: {exc}")) from None
    report.notes.append(
        f"tlog-proof: entry {proof.index} is included in the checkpoint of size {pending.checkpoint.size}"
    )


def _after(later: str, earlier: datetime) -> int:
    """Microseconds from `earlier` to the ledger time string `later` (negative if it is before)."""
    return (parse_time(later) - earlier) // timedelta(microseconds=1)


def check_receipt(receipt: Receipt, note: str, merge: Merge, report: Report) -> None:
    """A receipt is signed by the log, and its body was integrated with the promised `at` and in time."""
    keys = merge.keys.listed[: merge.keys.introduced]
    try:
        verify_note(note, keys)
    except NoteError as exc:
        raise Stop(Failure("receipt", f"signature: {exc}")) from None
    if receipt.origin != report.origin:
        raise Stop(Failure("receipt", f"receipt is for origin {receipt.origin!r}"))
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
            raise Stop(
                Failure(
                    "receipt",
                    f"body {receipt.body_hash} is not in the log, although the log integrated entries up to "
                    f"{newest}, after the deadline: {promise}",
                )
            )
        raise Stop(
            Failure(
                "input",
                f"body {receipt.body_hash} is not in this bundle, whose newest entry was integrated "
                f"{newest or '(none: the bundle is empty)'}, not after the deadline {deadline}: "
                "verify against a newer bundle",
            )
        )
    index, at, integrated, lot, lot_seq, kind = found
    if at != admitted:
        raise Stop(
            Failure("receipt", f"entry {index} records at {at}, the receipt says admitted {admitted}", index=index)
        )
    named = receipt.entry
    if named is not None and (named.lot, named.lot_seq, named.kind) != (lot, lot_seq, kind):
        raise Stop(
            Failure(
                "receipt",
                f"entry {index} is {_entry_name(lot, lot_seq, kind)}, but the receipt names "
                f"{_entry_name(named.lot, named.lot_seq, named.kind)}",
                index=index,
            )
        )
    delay = _after(integrated, receipt.admitted_at)  # >= 0: the leaf's at is not after its integrated_at
    if delay > allowed:
        signed = [cp.size for cp, _ in merge.checkpoints] + [pending.checkpoint.size for pending in merge.extra]
        incident = covering_incident(merge.incidents, index, at, integrated, signed)
        if incident is not None:
            report.warnings.append(
                f"receipt: body {receipt.body_hash} is entry {index}, integrated late at {integrated}, "
                f"{_seconds(delay)} s after its admission at {admitted} ({promise}), covered by recorded incident "
                f"at index {incident.index} ({incident.reason}: outage from {incident.start} to {incident.end})"
            )
            return
        raise Stop(
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


def check_receipt_file(file: ReceiptFile, receipt: Receipt, report: Report) -> None:
    """The .json receipt's unsigned copy agrees with its signed note (run after check_receipt verified the note)."""
    found = disagreements(file, receipt)
    if found:
        raise Stop(
            Failure(
                "receipt",
                "the receipt file's unsigned fields disagree with its signed receipt (the file was edited): "
                + "; ".join(found),
            )
        )
    report.notes.append("receipt file: every field it states agrees with the signed receipt and body")
    unsigned = unsigned_fields(file)
    if unsigned:
        report.notes.append(f"receipt file: not covered by any signature, so not verified: {', '.join(unsigned)}")


def check_refusal(refusal: Refusal, note: str, merge: Merge, report: Report) -> None:
    """A signed refusal is signed by a key of the log and is for this log (a refusal writes no entry to find)."""
    keys = merge.keys.listed[: merge.keys.introduced]
    try:
        verify_note(note, keys)
    except NoteError as exc:
        raise Stop(Failure("refusal", f"signature: {exc}")) from None
    if refusal.origin != report.origin:
        raise Stop(Failure("refusal", f"refusal is for origin {refusal.origin!r}"))
    report.notes.append(
        f"refusal: the log signed that it refused {refusal.action} on lot {refusal.lot} "
        f"(request {refusal.request_hash}) with {refusal.code} at {format_time(refusal.refused_at)}"
    )


def _entry_name(lot: int | None, lot_seq: int, kind: str) -> str:
    return f"{kind} #{lot_seq} of {'the platform chain' if lot is None else f'lot {lot}'}"


def check_binding(receipt: Receipt, proof: TlogProof, merge: Merge, report: Report) -> None:
    """The proof's index holds the entry the receipt names (run after check_receipt found that entry)."""
    index = merge.found_bodies[receipt.body_hash][0]
    if index != proof.index:
        raise Stop(
            Failure(
                "receipt",
                f"the proof is for entry {proof.index}, but the receipt names entry {index} "
                f"(body {receipt.body_hash}): this proof is not a proof of the receipt's entry",
                index=proof.index,
            )
        )
    report.notes.append(f"the proof is for entry {index}, the entry the receipt names")


def _seconds(micros: int) -> str:
    """Microseconds as exact decimal seconds: 61.5, 60, 0.000001."""
    whole, fraction = divmod(micros, 1_000_000)
    return f"{whole}.{fraction:06d}".rstrip("0").rstrip(".") if fraction else str(whole)
