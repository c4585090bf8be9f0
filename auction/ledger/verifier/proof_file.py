"""C2SP tlog-proof files (c2sp.org/tlog-proof@v1): an offline inclusion proof bundled with its checkpoint.

c2sp.org/tlog-proof@v1
extra <base64>            (optional, unauthenticated; Achyk puts the entry's signed receipt note here)
index <decimal, no leading zeros>
<base64 hash>             (zero or more: the RFC 6962 inclusion path, leaf sibling first)
<empty line>
<signed checkpoint note, verbatim>

The extra line is not signed by the checkpoint, but a receipt note in it is signed by the log: it binds the
proof to one entry, and the verifier refuses the proof if its index holds any other entry.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from auction.ledger.verifier.limits import MAX_PROOF_HASHES
from auction.ledger.verifier.merkle import HASH_SIZE, ProofError, verify_inclusion
from auction.ledger.verifier.note import (
    DECIMAL_RE,
    RECEIPT_HEADERS,
    Checkpoint,
    NoteError,
    VerifierKey,
    b64decode_strict,
    open_checkpoint,
)

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
PROOF_EXTENSION = ".tlog-proof"


class ProofFileError(ValueError):
    """A tlog-proof file is malformed or does not verify."""


@dataclass(frozen=True, slots=True)
class TlogProof:
    """A parsed tlog-proof: entry index, inclusion path, signed checkpoint note, optional extra data."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None

    @property
    def checkpoint(self) -> Checkpoint:
        """The checkpoint's (unverified) contents."""
        return Checkpoint.from_note(self.checkpoint_note)

    @property
    def receipt_note(self) -> str | None:
        """The signed receipt note the extra line carries (unverified), or None if it carries none."""
        if self.extra is None:
            return None
        try:
            text = self.extra.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return text if text.startswith(tuple(header + "\n" for header in RECEIPT_HEADERS)) else None


def build_proof(index: int, hashes: Sequence[bytes], checkpoint_note: str, extra: bytes | None = None) -> str:
    """Format a tlog-proof file."""
    if index < 0:
        raise ProofFileError("index must be >= 0")
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofFileError("proof hashes must be 32 bytes")
    try:
        Checkpoint.from_note(checkpoint_note)
    except NoteError as exc:
        raise ProofFileError(f"checkpoint: {exc}") from None
    lines = [PROOF_HEADER]
    if extra is not None:
        lines.append("extra " + base64.b64encode(extra).decode("ascii"))
    lines.append(f"index {index}")
    lines.extend(base64.b64encode(h).decode("ascii") for h in hashes)
    return "\n".join(lines) + "\n\n" + checkpoint_note


def parse_proof(text: str) -> TlogProof:
    """Parse a tlog-proof file strictly (checkpoint syntax included, signatures not); raises ProofFileError.

    Linear in the text's length: it is cut at its first empty line once, never re-partitioned line by line.
    """
    head, sep, rest = text.partition("\n\n")
    if not sep:
        if not text.startswith(PROOF_HEADER + "\n"):
            raise ProofFileError(f"first line must be {PROOF_HEADER}")
        raise ProofFileError("missing empty line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != PROOF_HEADER:
        raise ProofFileError(f"first line must be {PROOF_HEADER}")
    position = 1
    extra = None
    if position < len(lines) and lines[position].startswith("extra "):
        line = lines[position]
        try:
            extra = b64decode_strict(line[len("extra ") :]) if line != "extra " else b""
        except NoteError as exc:
            raise ProofFileError(f"extra data: {exc}") from None
        position += 1
    if position >= len(lines) or not lines[position].startswith("index "):
        raise ProofFileError("missing 'index N' line")
    index_text = lines[position][len("index ") :]
    if DECIMAL_RE.fullmatch(index_text) is None:
        raise ProofFileError("index must be a decimal number without leading zeros")
    if len(lines) - position - 1 > MAX_PROOF_HASHES:
        raise ProofFileError(f"more than {MAX_PROOF_HASHES} proof hashes")
    hashes: list[bytes] = []
    for line in lines[position + 1 :]:
        try:
            raw = b64decode_strict(line)
        except NoteError as exc:
            raise ProofFileError(f"proof hash {len(hashes)}: {exc}") from None
        if len(raw) != HASH_SIZE:
            raise ProofFileError(f"proof hash {len(hashes)} has {len(raw)} bytes, want {HASH_SIZE}")
        hashes.append(raw)
    try:
        Checkpoint.from_note(rest)
    except NoteError as exc:
        raise ProofFileError(f"checkpoint: {exc}") from None
    return TlogProof(index=int(index_text), hashes=tuple(hashes), checkpoint_note=rest, extra=extra)


def verify_proof(proof: TlogProof, leaf_hash: bytes, origin: str, verifiers: Iterable[VerifierKey]) -> Checkpoint:
    """Verify the checkpoint's signature and origin and the inclusion of `leaf_hash`; raises ProofFileError."""
    try:
        checkpoint, _ = open_checkpoint(proof.checkpoint_note, verifiers)
    except NoteError as exc:
        raise ProofFileError(f"checkpoint: {exc}") from None
    if checkpoint.origin != origin:
        raise ProofFileError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    try:
        verify_inclusion(proof.index, checkpoint.size, leaf_hash, list(proof.hashes), checkpoint.root)
    except ProofError as exc:
        raise ProofFileError(f"inclusion: {exc}") from None
    return checkpoint
