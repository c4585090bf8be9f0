"""Signed refusals: the log's statement that it turned a bidder's action away, so the bidder can prove it.

A refusal is a signed note (c2sp.org/signed-note, the ledger key) whose text is exactly:

    achyk-refusal/v1
    <origin>
    <lot: decimal, no leading zeros>
    <action: [a-z0-9][a-z0-9_.-]{0,63}, e.g. bid.place>
    <request hash: SHA-256 of the request's body bytes, 64 lowercase hex digits>
    <refusal code: [a-z0-9][a-z0-9_.-]{0,63}, e.g. bid.too_low>
    <refused-at: YYYY-MM-DDTHH:MM:SS.ffffffZ>

each line ended by one newline. A refused action writes no ledger entry, so the refusal is not in the log:
the verifier checks only that the log's key (one the bundle lists and introduced) signed it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.canonical import format_time, parse_time
from auction.ledger.verifier.entry import HEX64_RE, KIND_RE
from auction.ledger.verifier.note import DECIMAL_RE, NoteError, VerifierKey, sign_note, verify_note

REFUSAL_HEADER = "achyk-refusal/v1"
CODE_RE = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")
_MAX_UINT64 = 2**64 - 1


@dataclass(frozen=True, slots=True)
class Refusal:
    """What was refused: which lot, which action, which request (by hash), why (the code) and when."""

    origin: str
    lot: int
    action: str
    request_hash: str
    code: str
    refused_at: datetime

    def text(self) -> str:
        """The refusal note text; raises NoteError on a value that has no exact form."""
        if not self.origin or "\n" in self.origin:
            raise NoteError("refusal origin must be one non-empty line")
        if not 0 <= self.lot <= _MAX_UINT64:
            raise NoteError("refusal lot out of range")
        if KIND_RE.fullmatch(self.action) is None:
            raise NoteError("refusal action must match [a-z0-9][a-z0-9_.-]{0,63}")
        if HEX64_RE.fullmatch(self.request_hash) is None:
            raise NoteError("refusal request hash must be 64 lowercase hex digits")
        if CODE_RE.fullmatch(self.code) is None:
            raise NoteError("refusal code must match [a-z0-9][a-z0-9_.-]{0,63}")
        return (
            f"{REFUSAL_HEADER}\n{self.origin}\n{self.lot}\n{self.action}\n{self.request_hash}\n{self.code}\n"
            f"{format_time(self.refused_at)}\n"
        )

    @classmethod
    def parse(cls, text: str) -> Refusal:
        """Parse refusal note text strictly; raises NoteError."""
        if not text.endswith("\n"):
            raise NoteError("refusal text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) != 7 or lines[0] != REFUSAL_HEADER:
            raise NoteError(f"refusal text must be 7 lines starting with {REFUSAL_HEADER}")
        _, origin, lot, action, request_hash, code, refused_at = lines
        if DECIMAL_RE.fullmatch(lot) is None or int(lot) > _MAX_UINT64:
            raise NoteError("refusal lot must be a decimal number without leading zeros")
        try:
            at = parse_time(refused_at)
        except ValueError as exc:
            raise NoteError(f"refusal time: {exc}") from None
        refusal = cls(origin, int(lot), action, request_hash, code, at)
        if refusal.text() != text:  # every other field checked by text(), and no second spelling of the time
            raise NoteError("refusal text is not in its exact form")
        return refusal


def sign_refusal(refusal: Refusal, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed refusal note."""
    return sign_note(refusal.text(), name, private_key)


def open_refusal(note: str, verifiers: Iterable[VerifierKey]) -> Refusal:
    """Verify a signed refusal note and parse it; raises NoteError."""
    text, _ = verify_note(note, verifiers)
    return Refusal.parse(text)
