"""Witnesses: checkpoint time lines, C2SP cosignatures, the inspector's trust policy, and witnessed time.

The one copy of these rules, used by the witness program, the platform and the verifier (docs/witnesses.md).

cosignature/v1 (c2sp.org/tlog-cosignature, Ed25519): a note signature line ``— <name> base64(key ID || u64 timestamp ||
signature)`` whose key ID is SHA-256(name || 0x0A || 0x04 || public key)[:4] and whose signature covers
``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint's note text.
"""

from __future__ import annotations

import base64
import bisect
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auction.ledger.verifier.note import (
    DECIMAL_RE,
    SIGNATURE_PREFIX,
    Checkpoint,
    NoteError,
    VerifierKey,
    b64decode_strict,
    is_valid_key_name,
    key_hash,
    parse_vkey,
    raw_public_key,
    split_note,
)

ALG_COSIGNATURE_V1 = 0x04
COSIGNATURE_HEADER = "cosignature/v1"
TIME_PREFIX = "time "
POLICY_HEADER = "achyk-trust-policy/v1"
_HEX8_RE = re.compile(r"[0-9a-f]{8}")
_MAX_TIMESTAMP = 2**63 - 1
_COSIGNATURE_SIZE = 4 + 8 + 64


def witness_key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || "\\n" || 0x04 || public key)[:4]: the key ID of an Ed25519 cosigner."""
    return key_hash(name, public_key, ALG_COSIGNATURE_V1)


@dataclass(frozen=True, slots=True)
class WitnessKey:
    """A named witness (cosigner) key, as written in a vkey with signature type 0x04."""

    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def of(cls, name: str, key: Ed25519PublicKey | Ed25519PrivateKey | bytes) -> WitnessKey:
        if not is_valid_key_name(name):
            raise NoteError(f"invalid witness name {name!r}")
        raw = key if isinstance(key, bytes) else raw_public_key(key)
        if len(raw) != 32:
            raise NoteError("Ed25519 public keys are 32 bytes")
        return cls(name=name, key_id=witness_key_id(name, raw), public_key=raw)

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def parse_witness_vkey(vkey: str) -> WitnessKey:
    """Parse ``name+hash+base64(0x04 || key)`` strictly."""
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise NoteError("a witness vkey is name+hash+key")
    name, hash_hex, key_b64 = parts
    if not is_valid_key_name(name):
        raise NoteError(f"invalid witness name {name!r}")
    if _HEX8_RE.fullmatch(hash_hex) is None:
        raise NoteError("vkey hash must be 8 lowercase hex digits")
    key = b64decode_strict(key_b64)
    if len(key) != 33 or key[0] != ALG_COSIGNATURE_V1:
        raise NoteError("a witness vkey must hold 0x04 followed by a 32-byte Ed25519 key")
    try:
        Ed25519PublicKey.from_public_bytes(key[1:])
    except ValueError:
        raise NoteError("witness vkey holds an invalid Ed25519 public key") from None
    witness = WitnessKey.of(name, key[1:])
    if witness.key_id.hex() != hash_hex:
        raise NoteError("vkey hash does not match its name and key")
    return witness


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: the header line, the time line, then the checkpoint's note text."""
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise NoteError("cosignature timestamp out of range")
    return f"{COSIGNATURE_HEADER}\n{TIME_PREFIX}{timestamp}\n{checkpoint_text}".encode()


def cosign(checkpoint_text: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> str:
    """One cosignature line (ending in a newline) over a checkpoint's note text."""
    witness = WitnessKey.of(name, private_key)
    signature = private_key.sign(cosigned_message(checkpoint_text, timestamp))
    raw = witness.key_id + struct.pack(">Q", timestamp) + signature
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(raw).decode('ascii')}\n"


@dataclass(frozen=True, slots=True)
class Cosignature:
    witness: WitnessKey
    timestamp: int


def verify_cosignatures(note: str, witnesses: Iterable[WitnessKey]) -> list[Cosignature]:
    """The valid cosignatures of known witnesses on a note, one per witness; a known witness's bad line is an error.

    Lines of unknown (name, key ID) pairs, the log's own signature among them, are ignored, as the spec requires.
    """
    text, signatures = split_note(note)
    known = {(w.name, w.key_id): w for w in witnesses}
    found: dict[WitnessKey, Cosignature] = {}
    for line in signatures:
        witness = known.get((line.name, line.key_id))
        if witness is None or witness in found:
            continue
        if len(line.signature) != _COSIGNATURE_SIZE - 4:
            raise NoteError(f"invalid cosignature from {witness.name}: wrong length")
        (timestamp,) = struct.unpack(">Q", line.signature[:8])
        try:
            message = cosigned_message(text, timestamp)
            Ed25519PublicKey.from_public_bytes(witness.public_key).verify(line.signature[8:], message)
        except (InvalidSignature, NoteError):
            raise NoteError(f"invalid cosignature from {witness.name}") from None
        found[witness] = Cosignature(witness, timestamp)
    return list(found.values())


def checkpoint_time(checkpoint: Checkpoint) -> int | None:
    """The checkpoint's ``time <POSIX seconds>`` extension line, or None if it has none (refused if malformed)."""
    times = [ext[len(TIME_PREFIX) :] for ext in checkpoint.extensions if ext.startswith(TIME_PREFIX)]
    if not times:
        return None
    if len(times) > 1 or DECIMAL_RE.fullmatch(times[0]) is None or int(times[0]) > _MAX_TIMESTAMP:
        raise NoteError("a checkpoint has at most one time line: 'time <POSIX seconds>'")
    return int(times[0])


def timed_checkpoint(origin: str, size: int, root: bytes, timestamp: int) -> Checkpoint:
    return Checkpoint(origin=origin, size=size, root=root, extensions=(f"{TIME_PREFIX}{timestamp}",))


def quorum_time(cosignatures: Sequence[Cosignature], quorum: int) -> int | None:
    """The k-th smallest timestamp of distinct witnesses: by then a quorum had seen the checkpoint."""
    if quorum <= 0:
        return None
    stamps = sorted({c.witness: c.timestamp for c in cosignatures}.values())
    return stamps[quorum - 1] if len(stamps) >= quorum else None


@dataclass(frozen=True, slots=True)
class PolicyWitness:
    key: WitnessKey
    url: str | None = None


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """What an inspector trusts: the log's keys, the witnesses, how many must cosign, and the grace in seconds."""

    logs: tuple[VerifierKey, ...]
    witnesses: tuple[PolicyWitness, ...]
    quorum: int
    grace_seconds: int

    @property
    def witness_keys(self) -> list[WitnessKey]:
        return [w.key for w in self.witnesses]

    def text(self) -> str:
        lines = [POLICY_HEADER, *(f"log {key.vkey}" for key in self.logs)]
        lines += [f"witness {w.key.vkey}" + (f" {w.url}" if w.url else "") for w in self.witnesses]
        lines += [f"quorum {self.quorum}", f"grace {self.grace_seconds}"]
        return "\n".join(lines) + "\n"


def _policy_decimal(value: str, what: str, number: int) -> int:
    if DECIMAL_RE.fullmatch(value) is None or int(value) > _MAX_TIMESTAMP:
        raise NoteError(f"policy line {number}: {what} must be a decimal number")
    return int(value)


def parse_policy(text: str) -> TrustPolicy:
    """Parse an ``achyk-trust-policy/v1`` file; raises NoteError naming the line at fault."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != POLICY_HEADER:
        raise NoteError(f"a trust policy starts with the line {POLICY_HEADER!r}")
    logs: list[VerifierKey] = []
    witnesses: list[PolicyWitness] = []
    quorum: int | None = None
    grace: int | None = None
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        fields = rest.split()
        if word == "log" and len(fields) == 1:
            logs.append(parse_vkey(fields[0]))
        elif word == "witness" and len(fields) in (1, 2):
            witnesses.append(PolicyWitness(parse_witness_vkey(fields[0]), fields[1] if len(fields) == 2 else None))
        elif word == "quorum" and len(fields) == 1 and quorum is None:
            quorum = _policy_decimal(fields[0], "quorum", number)
        elif word == "grace" and len(fields) == 1 and grace is None:
            grace = _policy_decimal(fields[0], "grace", number)
        else:
            raise NoteError(f"policy line {number}: expected 'log VKEY', 'witness VKEY [URL]', 'quorum K', 'grace S'")
    if not logs:
        raise NoteError("a trust policy names at least one log key")
    if quorum is None or grace is None:
        raise NoteError("a trust policy has one 'quorum' line and one 'grace' line")
    if len({w.key for w in witnesses}) != len(witnesses):
        raise NoteError("a trust policy names each witness once")
    if quorum > len(witnesses):
        raise NoteError(f"quorum {quorum} is more than the {len(witnesses)} witnesses listed")
    return TrustPolicy(tuple(logs), tuple(witnesses), quorum, grace)


class WitnessClock:
    """Witnessed time of entries: the smallest quorum time of the checkpoints that cover them."""

    def __init__(self, checkpoints: Iterable[tuple[int, int | None]]) -> None:
        """`checkpoints`: (tree size, quorum time or None) pairs, in any order."""
        timed = sorted((size, when) for size, when in checkpoints if when is not None)
        self._sizes = [size for size, _ in timed]
        # Suffix minima: a later, larger checkpoint may carry an earlier quorum time than a smaller one.
        self._earliest: list[int] = [0] * len(timed)
        best: int | None = None
        for i in range(len(timed) - 1, -1, -1):
            best = timed[i][1] if best is None else min(best, timed[i][1])
            self._earliest[i] = best

    def witnessed_at(self, index: int) -> int | None:
        """POSIX seconds by which a quorum had cosigned a tree holding entry `index`, or None if none has yet."""
        position = bisect.bisect_right(self._sizes, index)
        return self._earliest[position] if position < len(self._sizes) else None

    @property
    def witnessed_size(self) -> int:
        """The largest tree size a quorum has cosigned (0 if none)."""
        return self._sizes[-1] if self._sizes else 0


@dataclass(frozen=True, slots=True)
class Witnessing:
    """What the replay needs to judge time by the witnesses: when each entry was witnessed, and the grace."""

    clock: WitnessClock
    grace_seconds: int
