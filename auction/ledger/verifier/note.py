"""C2SP signed notes (Ed25519 only), tlog checkpoints and Achyk receipts.

signed-note (c2sp.org/signed-note): text ending in newline, an empty line, then lines
``— <key name> base64(key ID (4 bytes, big-endian) || Ed25519 signature)``. Key ID =
SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]. A verifier key ("vkey", golang.org/x/mod/sumdb/note)
is ``<name>+<key ID as 8 hex digits>+base64(0x01 || public key)``.

Opening follows the spec and Go's note.Open: signatures from unknown (name, key ID) pairs are ignored, a
known key's signature that fails rejects the whole note, and at least one known key must have signed.

tlog-checkpoint (c2sp.org/tlog-checkpoint): note text ``<origin>\\n<size>\\n<base64 root>\\n`` plus optional
non-empty extension lines.

Receipt (Achyk's analogue of a CT SCT): a note with text
``achyk-receipt/v2\\n<origin>\\n<body hash hex>\\n<admitted-at>\\n<max merge delay seconds>\\n``
``<lot, or "platform">\\n<lot seq>\\n<kind>\\n``: v2 names the entry (chain, place in it, kind) besides its body
hash, so a receipt says in words what it is for. Receipts issued before (``achyk-receipt/v1``, the first five lines
only) still verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from auction.ledger.verifier.canonical import format_time, parse_time
from auction.ledger.verifier.entry import HEX64_RE, KIND_RE

ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "— "  # U+2014 EM DASH, then a space
MAX_SIGNATURES = 100  # Go's limit; the spec demands at least 16
ED25519_SIGNATURE_SIZE = 64
RECEIPT_HEADER = "achyk-receipt/v2"
RECEIPT_HEADER_V1 = "achyk-receipt/v1"
RECEIPT_HEADERS = (RECEIPT_HEADER, RECEIPT_HEADER_V1)
PLATFORM_CHAIN_NAME = "platform"  # a receipt's chain line for entries outside any lot (lot null)

DECIMAL_RE = re.compile(r"0|[1-9][0-9]*")  # decimal numbers in notes and tlog-proofs: no sign, no leading zeros
_HEX8_RE = re.compile(r"[0-9a-f]{8}")
_MAX_UINT64 = 2**64 - 1
_CONTROL_RE = re.compile(r"[\x00-\x09\x0b-\x1f]")


class NoteError(ValueError):
    """A note, key, checkpoint or receipt is malformed or does not verify."""


def is_valid_key_name(name: str) -> bool:
    """Key names are non-empty and contain no Unicode space, no "+" and no control character."""
    return bool(name) and "+" not in name and not any(ch.isspace() or ch < " " for ch in name) and _encodes(name)


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def b64decode_strict(text: str) -> bytes:
    """Standard base64 with padding, and only its one canonical spelling."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"not base64: {text!r}") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"not canonical base64: {text!r}")
    return raw


def key_hash(name: str, public_key: bytes, algorithm: int = ALG_ED25519) -> bytes:
    """The 4-byte key ID: SHA-256(name || "\\n" || algorithm byte || public key)[:4] (0x01 for note signatures)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([algorithm]) + public_key).digest()[:4]


def raw_public_key(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A named Ed25519 verifier key, as written in a vkey string."""

    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def from_public_key(cls, name: str, key: Ed25519PublicKey | Ed25519PrivateKey) -> VerifierKey:
        """The verifier key of `key` under `name`."""
        if not is_valid_key_name(name):
            raise NoteError(f"invalid key name {name!r}")
        raw = raw_public_key(key)
        return cls(name=name, key_id=key_hash(name, raw), public_key=raw)

    @property
    def vkey(self) -> str:
        """The vkey string ``name+hexID+base64(0x01||key)``."""
        return format_vkey(self.name, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True if `signature` is this key's Ed25519 signature of `message`."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def format_vkey(name: str, public_key: bytes | Ed25519PublicKey) -> str:
    """The vkey string for an Ed25519 public key (32 raw bytes or a key object)."""
    raw = public_key if isinstance(public_key, bytes) else raw_public_key(public_key)
    if not is_valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")
    if len(raw) != 32:
        raise NoteError("Ed25519 public keys are 32 bytes")
    encoded = base64.b64encode(bytes([ALG_ED25519]) + raw).decode("ascii")
    return f"{name}+{key_hash(name, raw).hex()}+{encoded}"


def parse_vkey(vkey: str) -> VerifierKey:
    """Parse a vkey string strictly: valid name, 8 lowercase hex ID that matches, Ed25519 key."""
    # Split at the first two "+" only, as Go's chop does: base64 key data may itself contain "+".
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise NoteError("a vkey is name+hash+key")
    name, hash_hex, key_b64 = parts
    if not is_valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")
    if _HEX8_RE.fullmatch(hash_hex) is None:
        raise NoteError("vkey hash must be 8 lowercase hex digits")
    key = b64decode_strict(key_b64)
    if len(key) != 33 or key[0] != ALG_ED25519:
        raise NoteError("vkey must hold 0x01 followed by a 32-byte Ed25519 key")
    public = key[1:]
    try:
        Ed25519PublicKey.from_public_bytes(public)
    except ValueError:
        raise NoteError("vkey holds an invalid Ed25519 public key") from None
    if key_hash(name, public).hex() != hash_hex:
        raise NoteError("vkey hash does not match its name and key")
    return VerifierKey(name=name, key_id=bytes.fromhex(hash_hex), public_key=public)


def _check_note_characters(text: str) -> None:
    if not _encodes(text):
        raise NoteError("note is not valid UTF-8")
    if _CONTROL_RE.search(text):
        raise NoteError("note contains an ASCII control character other than newline")


def _signature_line(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    signature = private_key.sign(text.encode("utf-8"))
    key_id = key_hash(name, raw_public_key(private_key))
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(key_id + signature).decode('ascii')}\n"


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign `text` (which must end in a newline) as a C2SP signed note."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if not is_valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")
    _check_note_characters(text)
    return text + "\n" + _signature_line(text, name, private_key)


def add_signature(note: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Append one more signature line to a syntactically valid note (co-signing; verifies nothing)."""
    text, _ = split_note(note)
    if not is_valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")
    return note + _signature_line(text, name, private_key)


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line of a note."""

    name: str
    key_id: bytes
    signature: bytes


def split_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Parse a note's syntax without verifying: its text and signature lines; raises NoteError."""
    _check_note_characters(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no empty line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteError("malformed note: signature block must be non-empty and end with a newline")
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("malformed note: signature line must start with an em dash and a space")
        name, sep, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not sep or not is_valid_key_name(name) or not encoded:
            raise NoteError("malformed note: signature line must be '— <name> <base64>'")
        raw = b64decode_strict(encoded)
        if len(raw) < 5:
            raise NoteError("malformed note: signature too short")
        signatures.append(NoteSignature(name=name, key_id=raw[:4], signature=raw[4:]))
        if len(signatures) > MAX_SIGNATURES:
            raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return text, signatures


def verify_note(note: str, verifiers: Iterable[VerifierKey]) -> tuple[str, list[VerifierKey]]:
    """Open a note and return its text and the known keys whose signatures verified; raises NoteError."""
    text, signatures = split_note(note)
    known: dict[tuple[str, bytes], VerifierKey] = {}
    for key in verifiers:
        slot = (key.name, key.key_id)
        if slot in known and known[slot] != key:
            raise NoteError(f"ambiguous verifier keys for {key.name}+{key.key_id.hex()}")
        known[slot] = key
    message = text.encode("utf-8")
    verified: list[VerifierKey] = []
    for sig in signatures:
        signer = known.get((sig.name, sig.key_id))
        if signer is None or signer in verified:
            continue  # unknown keys are ignored; Go ignores a known key's repeated signatures
        if len(sig.signature) != ED25519_SIGNATURE_SIZE or not signer.verify(message, sig.signature):
            raise NoteError(f"invalid signature for key {sig.name}+{sig.key_id.hex()}")
        verified.append(signer)
    if not verified:
        raise NoteError("note has no valid signature from a known key")
    return text, verified


def open_note(note: str, verifiers: Iterable[VerifierKey]) -> tuple[str, list[str]]:
    """Open a note: its text and the names of the known keys that signed it; raises NoteError."""
    text, keys = verify_note(note, verifiers)
    return text, [key.name for key in keys]


# --- tlog-checkpoint ---------------------------------------------------------------------------------


def _parse_decimal(text: str, what: str) -> int:
    if DECIMAL_RE.fullmatch(text) is None:
        raise NoteError(f"{what} must be a decimal number without leading zeros")
    value = int(text)
    if value > _MAX_UINT64:
        raise NoteError(f"{what} is too large")
    return value


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tlog checkpoint: origin, tree size, 32-byte RFC 6962 root, extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The checkpoint note text."""
        if not self.origin or "\n" in self.origin:
            raise NoteError("checkpoint origin must be one non-empty line")
        if not 0 <= self.size <= _MAX_UINT64:
            raise NoteError("checkpoint size out of range")
        if len(self.root) != 32:
            raise NoteError("checkpoint root must be 32 bytes")
        if any(not ext or "\n" in ext for ext in self.extensions):
            raise NoteError("checkpoint extension lines must be single non-empty lines")
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii"), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_note(cls, note: str) -> Checkpoint:
        """The checkpoint a signed note carries, parsed strictly; its signatures are not checked. Raises NoteError."""
        text, _ = split_note(note)
        return cls.parse(text)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse checkpoint note text strictly; raises NoteError."""
        if not text.endswith("\n"):
            raise NoteError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("checkpoint needs origin, size and root lines")
        if any(not line for line in lines):
            raise NoteError("checkpoint lines must be non-empty")
        origin, size_text, root_text, *extensions = lines
        size = _parse_decimal(size_text, "checkpoint size")
        root = b64decode_strict(root_text)
        if len(root) != 32:
            raise NoteError("checkpoint root must be 32 bytes")
        return cls(origin=origin, size=size, root=root, extensions=tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed checkpoint note."""
    return sign_note(checkpoint.text(), name, private_key)


def open_checkpoint(note: str, verifiers: Iterable[VerifierKey]) -> tuple[Checkpoint, list[VerifierKey]]:
    """Verify a signed checkpoint note and parse it; raises NoteError."""
    text, keys = verify_note(note, verifiers)
    return Checkpoint.parse(text), keys


# --- receipts ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceiptEntry:
    """The entry a v2 receipt names besides its body hash: its chain (a lot, or None for the platform), place, kind."""

    lot: int | None
    lot_seq: int
    kind: str

    def lines(self) -> str:
        if self.lot is not None and not 0 <= self.lot <= _MAX_UINT64:
            raise NoteError("receipt lot out of range")
        if not 1 <= self.lot_seq <= _MAX_UINT64:
            raise NoteError("receipt lot sequence out of range")
        if KIND_RE.fullmatch(self.kind) is None:
            raise NoteError("receipt kind must match [a-z0-9][a-z0-9_.-]{0,63}")
        chain = PLATFORM_CHAIN_NAME if self.lot is None else str(self.lot)
        return f"{chain}\n{self.lot_seq}\n{self.kind}\n"

    @classmethod
    def parse(cls, chain: str, seq: str, kind: str) -> ReceiptEntry:
        lot = None if chain == PLATFORM_CHAIN_NAME else _parse_decimal(chain, "receipt lot")
        lot_seq = _parse_decimal(seq, "receipt lot sequence")
        if lot_seq < 1:
            raise NoteError("receipt lot sequence must be at least 1")
        if KIND_RE.fullmatch(kind) is None:
            raise NoteError("receipt kind must match [a-z0-9][a-z0-9_.-]{0,63}")
        return cls(lot=lot, lot_seq=lot_seq, kind=kind)


@dataclass(frozen=True, slots=True)
class Receipt:
    """The log's promise, at admission, to integrate a body within `max_merge_delay` seconds.

    `entry` is None only for v1 receipts, which named the body by its hash alone.
    """

    origin: str
    body_hash: str
    admitted_at: datetime
    max_merge_delay: int
    entry: ReceiptEntry | None = None

    def text(self) -> str:
        """The receipt note text (v2, or v1 when it names no entry)."""
        if not self.origin or "\n" in self.origin:
            raise NoteError("receipt origin must be one non-empty line")
        if HEX64_RE.fullmatch(self.body_hash) is None:
            raise NoteError("receipt body hash must be 64 lowercase hex digits")
        if not 0 <= self.max_merge_delay <= _MAX_UINT64:
            raise NoteError("receipt max merge delay out of range")
        header = RECEIPT_HEADER_V1 if self.entry is None else RECEIPT_HEADER
        named = "" if self.entry is None else self.entry.lines()
        return (
            f"{header}\n{self.origin}\n{self.body_hash}\n{format_time(self.admitted_at)}\n"
            f"{self.max_merge_delay}\n{named}"
        )

    @classmethod
    def parse(cls, text: str) -> Receipt:
        """Parse receipt note text strictly (v2, or v1); raises NoteError."""
        if not text.endswith("\n"):
            raise NoteError("receipt text must end with a newline")
        lines = text[:-1].split("\n")
        if not (
            (len(lines) == 8 and lines[0] == RECEIPT_HEADER) or (len(lines) == 5 and lines[0] == RECEIPT_HEADER_V1)
        ):
            raise NoteError(f"receipt text must be 8 lines starting with {RECEIPT_HEADER} (or 5 with v1)")
        origin, body_hash, admitted, delay = lines[1:5]
        if not origin:
            raise NoteError("receipt origin is empty")
        if HEX64_RE.fullmatch(body_hash) is None:
            raise NoteError("receipt body hash must be 64 lowercase hex digits")
        try:
            admitted_at = parse_time(admitted)
        except ValueError as exc:
            raise NoteError(f"receipt admitted-at: {exc}") from None
        return cls(
            origin=origin,
            body_hash=body_hash,
            admitted_at=admitted_at,
            max_merge_delay=_parse_decimal(delay, "receipt max merge delay"),
            entry=ReceiptEntry.parse(*lines[5:8]) if len(lines) == 8 else None,
        )


def sign_receipt(receipt: Receipt, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed receipt note."""
    return sign_note(receipt.text(), name, private_key)


def open_receipt(note: str, verifiers: Iterable[VerifierKey]) -> tuple[Receipt, list[VerifierKey]]:
    """Verify a signed receipt note and parse it; raises NoteError."""
    text, keys = verify_note(note, verifiers)
    return Receipt.parse(text), keys
