"""The add-checkpoint rules of c2sp.org/tlog-witness, as pure functions (docs/witnesses.md §3).

`parse_add_checkpoint` reads a request body; `decide` judges it against the configured log keys, the checkpoint this
witness last cosigned for the origin and the witness's clock, and says what to answer, whether to keep the request as
evidence and what to store. No I/O: the caller holds the state's write lock around `decide` and its storing.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.merkle import HASH_SIZE, ProofError, verify_consistency
from auction.ledger.verifier.note import (
    DECIMAL_RE,
    Checkpoint,
    NoteError,
    VerifierKey,
    b64decode_strict,
    open_checkpoint,
    split_note,
)
from auction.ledger.verifier.witnessing import checkpoint_time, cosign

MAX_PROOF_LINES = 63  # c2sp.org/tlog-witness: a consistency proof of a 2^64 tree has at most 63 hashes
MAX_SIZE = 2**63 - 1  # SQLite integers are signed 64-bit; no real log comes near it
OLD_PREFIX = "old "
TEXT = "text/plain; charset=utf-8"
SIZE_MEDIA_TYPE = "text/x.tlog.size"


class MalformedRequest(ValueError):
    """The body is not an add-checkpoint request; the message says what is wrong (answered with 400)."""


@dataclass(frozen=True, slots=True)
class AddCheckpoint:
    """A parsed add-checkpoint request: the size the submitter believes this witness last cosigned, the
    consistency proof from that size, and the signed checkpoint note exactly as sent."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str
    checkpoint: Checkpoint  # parsed from the note; its signatures are not checked yet


@dataclass(frozen=True, slots=True)
class Cosigned:
    """The newest checkpoint this witness cosigned for an origin."""

    size: int
    root: bytes


@dataclass(frozen=True, slots=True)
class Cosigner:
    """The witness's own identity: the name in its cosignature lines and its Ed25519 key."""

    name: str
    key: Ed25519PrivateKey


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to answer and what to do. `store` is the checkpoint to remember (with the cosignature appended to its
    note) when the answer is 200; `evidence` says to keep the request verbatim under `reason`."""

    status: int
    body: str
    reason: str
    media_type: str = TEXT
    evidence: bool = False
    store: Cosigned | None = None
    stored_note: str | None = None

    @classmethod
    def refuse(cls, status: int, reason: str, *, evidence: bool = False) -> Outcome:
        return cls(status=status, body=reason + "\n", reason=reason, evidence=evidence)


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Read ``old <size>\\n``, up to 63 base64 hashes one per line, an empty line, then a signed checkpoint note."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest("the body is not UTF-8") from None
    first, newline, rest = text.partition("\n")
    if not newline or not first.startswith(OLD_PREFIX):
        raise MalformedRequest("the body must start with the line 'old <size>'")
    old_text = first[len(OLD_PREFIX) :]
    if DECIMAL_RE.fullmatch(old_text) is None or int(old_text) > MAX_SIZE:
        raise MalformedRequest("'old' must be a decimal size without sign or leading zeros")
    old_size = int(old_text)
    proof, note = _proof_lines(rest)
    if old_size == 0 and proof:
        raise MalformedRequest("a proof from size 0 must be empty")
    if not note:
        raise MalformedRequest("no checkpoint after the empty line")
    try:
        checkpoint = Checkpoint.from_note(note)
    except NoteError as exc:
        raise MalformedRequest(f"the checkpoint is not a signed checkpoint note: {exc}") from None
    if checkpoint.size > MAX_SIZE:
        raise MalformedRequest("the checkpoint's size is too large")
    return AddCheckpoint(old_size=old_size, proof=tuple(proof), note=note, checkpoint=checkpoint)


def _proof_lines(text: str) -> tuple[list[bytes], str]:
    """The proof hashes up to the empty line, and what follows it."""
    proof: list[bytes] = []
    while True:
        line, newline, text = text.partition("\n")
        if not newline:
            raise MalformedRequest("no empty line between the proof and the checkpoint")
        if not line:
            return proof, text
        if len(proof) == MAX_PROOF_LINES:
            raise MalformedRequest(f"more than {MAX_PROOF_LINES} consistency proof lines")
        try:
            hash_ = b64decode_strict(line)
        except (NoteError, binascii.Error):
            raise MalformedRequest(f"proof line {len(proof) + 1} is not base64") from None
        if len(hash_) != HASH_SIZE:
            raise MalformedRequest(f"proof line {len(proof) + 1} is not a {HASH_SIZE}-byte hash")
        proof.append(hash_)


def decide(  # noqa: PLR0911 - one return per row of the table in docs/witnesses.md §3, in its order
    request: AddCheckpoint,
    logs: Mapping[str, Sequence[VerifierKey]],
    latest: Cosigned | None,
    now: int,
    skew: int,
    cosigner: Cosigner,
) -> Outcome:
    """Judge a request in the order of docs/witnesses.md §3 and, if every check passes, cosign it at `now`.

    `logs` maps each configured origin to the log keys trusted for it; `latest` is what this witness last cosigned
    for the request's origin (None if nothing yet).
    """
    checkpoint = request.checkpoint
    if request.old_size > checkpoint.size:
        return Outcome.refuse(400, f"old size {request.old_size} is larger than the checkpoint's {checkpoint.size}")
    keys = logs.get(checkpoint.origin)
    if not keys:
        return Outcome.refuse(404, f"unknown log origin {checkpoint.origin!r}")
    try:
        open_checkpoint(request.note, keys)
    except NoteError as exc:
        return Outcome.refuse(403, f"no valid signature from the log's configured key: {exc}")
    known_size = latest.size if latest is not None else 0
    if request.old_size != known_size:
        return Outcome(
            status=409,
            body=f"{known_size}\n",
            media_type=SIZE_MEDIA_TYPE,
            reason=f"old size {request.old_size} is not the size last cosigned, {known_size}",
        )
    if latest is not None and checkpoint.size == latest.size and checkpoint.root != latest.root:
        return Outcome.refuse(
            409, f"fork: size {checkpoint.size} was cosigned with a different root hash", evidence=True
        )
    if latest is not None and latest.size > 0:
        try:
            verify_consistency(latest.size, checkpoint.size, request.proof, latest.root, checkpoint.root)
        except ProofError as exc:
            return Outcome.refuse(
                422, f"the consistency proof from size {latest.size} does not verify: {exc}", evidence=True
            )
    try:
        stamped = checkpoint_time(checkpoint)
    except NoteError as exc:
        return Outcome.refuse(422, f"bad time line: {exc}")
    if stamped is None:
        return Outcome.refuse(422, "the checkpoint has no 'time' line")
    if abs(stamped - now) > skew:
        return Outcome.refuse(
            422,
            f"the checkpoint's time {stamped} is {stamped - now:+d} s from the witness's clock ({now}); "
            f"the skew allowed is {skew} s",
        )
    text, _ = split_note(request.note)
    line = cosign(text, cosigner.name, cosigner.key, now)
    return Outcome(
        status=200,
        body=line,
        reason=f"cosigned size {checkpoint.size}",
        store=Cosigned(size=checkpoint.size, root=checkpoint.root),
        stored_note=request.note + line,
    )
