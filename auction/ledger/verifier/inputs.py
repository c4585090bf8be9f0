"""What the verifier reads besides the entries: the bundle's keys and checkpoints, and the inspector's own inputs.

vkeys.txt: every line a valid Ed25519 vkey, none twice. checkpoints.txt: each note well formed, origin matches,
sizes never decrease. --key, --since, the checkpoint remembered by --state, --checkpoint and --receipt (a receipt
note, the site's .json receipt file holding one, a tlog-proof, or a receipt and a proof; a tlog-proof may carry its
receipt in its extra line) must parse, or the input is unusable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auction.ledger.verifier.bundle import Bundle, CheckpointFramingError
from auction.ledger.verifier.merge import Pending
from auction.ledger.verifier.note import Checkpoint, NoteError, Receipt, VerifierKey, parse_vkey, split_note
from auction.ledger.verifier.proof_file import PROOF_HEADER, TlogProof, parse_proof
from auction.ledger.verifier.receipt_file import ReceiptFile, is_receipt_file, parse_receipt_file
from auction.ledger.verifier.refusal import Refusal
from auction.ledger.verifier.report import Failure, Stop, fail_checkpoint
from auction.ledger.verifier.trust import GivenCheckpoint, parse_checkpoint_file


def load_keys(bundle: Bundle) -> list[VerifierKey]:
    """vkeys.txt's keys, oldest first; stops on an invalid or repeated one."""
    if not bundle.vkeys:
        raise Stop(Failure("keys", "vkeys.txt lists no key"))
    listed = []
    for number, line in enumerate(bundle.vkeys, start=1):
        try:
            key = parse_vkey(line)
        except NoteError as exc:
            raise Stop(Failure("keys", f"vkeys.txt line {number}: {exc}")) from None
        if key in listed:
            raise Stop(Failure("keys", f"vkeys.txt line {number}: key listed twice"))
        listed.append(key)
    return listed


def load_checkpoints(bundle: Bundle) -> list[tuple[Checkpoint, str]]:
    """checkpoints.txt's checkpoints with their notes; stops on bad framing, syntax, origin or a shrinking size."""
    try:
        notes = bundle.checkpoints()
    except CheckpointFramingError as exc:
        raise fail_checkpoint(exc.position, exc.reason) from None
    out: list[tuple[Checkpoint, str]] = []
    for number, note in enumerate(notes):
        try:
            checkpoint = Checkpoint.from_note(note)
        except NoteError as exc:
            raise fail_checkpoint(number, f"malformed: {exc}") from None
        if checkpoint.origin != bundle.origin:
            raise fail_checkpoint(number, f"origin {checkpoint.origin!r} is not the bundle's {bundle.origin!r}")
        if out and checkpoint.size < out[-1][0].size:
            raise fail_checkpoint(
                number, f"size {checkpoint.size} is smaller than checkpoint {number - 1}'s {out[-1][0].size}"
            )
        out.append((checkpoint, note))
    return out


def parse_outside_checkpoint(note: str, what: str, origin: str) -> Checkpoint:
    """An inspector-supplied checkpoint's syntax; problems make the input unusable."""
    try:
        checkpoint = Checkpoint.from_note(note)
    except NoteError as exc:
        raise ValueError(f"{what} is not a signed checkpoint: {exc}") from None
    if checkpoint.origin != origin:
        raise ValueError(f"{what} is for origin {checkpoint.origin!r}, the bundle is {origin!r}")
    return checkpoint


@dataclass(slots=True)
class Inputs:
    """What the inspector brought besides the bundle."""

    pinned: VerifierKey | None = None
    since: Pending | None = None
    remembered: Pending | None = None  # the checkpoint --state kept from an earlier trusted pass
    given: GivenCheckpoint | None = None  # --checkpoint
    given_pending: Pending | None = None
    proof: TlogProof | None = None
    proof_checkpoint: Pending | None = None
    receipt: tuple[Receipt, str] | None = None
    receipt_file: ReceiptFile | None = None  # the site's .json receipt the note came in, if it came in one
    refusal: tuple[Refusal, str] | None = None

    @property
    def outside(self) -> list[Pending]:
        candidates = (self.since, self.remembered, self.given_pending, self.proof_checkpoint)
        return [p for p in candidates if p is not None]


def parse_inputs(
    origin: str,
    since: str | None,
    receipt: str | Sequence[str] | None,
    key: str | None,
    refusal: str | None = None,
    remembered: str | None = None,
    given: str | None = None,
) -> Inputs:
    """Parse --key, --since, the remembered checkpoint, --checkpoint, --receipt (at most one receipt note and one
    proof) and --refusal; malformed ones are unusable."""
    inputs = Inputs()
    if refusal is not None:
        try:
            text, _ = split_note(refusal)
            inputs.refusal = (Refusal.parse(text), refusal)
        except ValueError as exc:
            raise Stop(Failure("input", f"--refusal: {exc}")) from None
    evidence = [receipt] if isinstance(receipt, str) else list(receipt or [])
    try:
        if key is not None:
            try:
                inputs.pinned = parse_vkey(key.strip())
            except NoteError as exc:
                raise ValueError(f"--key: {exc}") from None
        if since is not None:
            inputs.since = Pending(parse_outside_checkpoint(since, "--since", origin), since)
        if remembered is not None:
            checkpoint = parse_outside_checkpoint(remembered, "the checkpoint --state remembered", origin)
            inputs.remembered = Pending(checkpoint, remembered)
        if given is not None:
            _add_given(inputs, given, origin)
        for text in evidence:
            if text.startswith(PROOF_HEADER + "\n"):
                _add_proof(inputs, text, origin)
            elif is_receipt_file(text):
                file = parse_receipt_file(text)
                _add_receipt(inputs, file.note)
                inputs.receipt_file = file
            else:
                _add_receipt(inputs, text)
    except ValueError as exc:  # NoteError and ProofFileError included
        reason = str(exc) if str(exc).startswith(("--", "the proof")) else f"--receipt: {exc}"
        raise Stop(Failure("input", reason)) from None
    return inputs


def _add_given(inputs: Inputs, text: str, origin: str) -> None:
    """--checkpoint beside a bundle: a tlog-proof is also checked as a --receipt proof (its inclusion)."""
    try:
        inputs.given = parse_checkpoint_file(text)
    except ValueError as exc:
        raise ValueError(f"--checkpoint: {exc}") from None
    if inputs.given.proof is not None:
        _add_proof(inputs, text, origin)
    else:
        note = inputs.given.note
        inputs.given_pending = Pending(parse_outside_checkpoint(note, "--checkpoint", origin), note)


def _add_proof(inputs: Inputs, text: str, origin: str) -> None:
    if inputs.proof is not None:
        raise ValueError("more than one tlog-proof: give one receipt and at most one proof of its entry")
    inputs.proof = parse_proof(text)
    note = inputs.proof.checkpoint_note
    inputs.proof_checkpoint = Pending(parse_outside_checkpoint(note, "the proof's checkpoint", origin), note)
    bound = inputs.proof.receipt_note
    if bound is not None:
        _add_receipt(inputs, bound)


def _add_receipt(inputs: Inputs, note: str) -> None:
    """One receipt: a second one is refused unless it is the same note (given alone and in the proof's extra)."""
    if inputs.receipt is not None:
        if inputs.receipt[1] == note:
            return
        raise ValueError("two different receipts: give one receipt and at most one proof of its entry")
    text, _ = split_note(note)
    inputs.receipt = (Receipt.parse(text), note)
