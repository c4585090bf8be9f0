"""What the inspector trusts, and what a checkpoint must carry to be believed (docs/witnesses.md §4-6).

The bundle's own keys prove only that the bundle is consistent with itself. Trust comes from outside it: the log
keys the inspector pins (`--policy`'s `log` lines, `--key`), the witnesses whose cosignatures must reach the policy's
quorum on the newest checkpoint, and the checkpoint the inspector verified before (`--state`, `--since`,
`--checkpoint`), which every later history must extend.

A checkpoint given alone (`--checkpoint FILE`) comes in one of three forms: a signed checkpoint note, a
c2sp.org/tlog-proof file (its checkpoint), or a c2sp.org/tlog-witness add-checkpoint body (``old N``, the
consistency-proof hashes one per line, an empty line, the checkpoint note), which also proves that the checkpoint
extends an older one of size N.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from auction.ledger.verifier.merkle import HASH_SIZE
from auction.ledger.verifier.note import DECIMAL_RE, Checkpoint, NoteError, VerifierKey, b64decode_strict
from auction.ledger.verifier.proof_file import PROOF_HEADER, TlogProof, parse_proof
from auction.ledger.verifier.witnessing import Cosignature, TrustPolicy, quorum_time, verify_cosignatures

ADD_CHECKPOINT_OLD = "old "
MAX_CONSISTENCY_HASHES = 63  # c2sp.org/tlog-witness


@dataclass(frozen=True, slots=True)
class Trust:
    """The log keys the inspector pins and the policy, if any, whose witnesses must cosign."""

    pinned: tuple[VerifierKey, ...]
    policy: TrustPolicy | None

    @classmethod
    def of(cls, policy: TrustPolicy | None, key: VerifierKey | None) -> Trust | None:
        """None when the inspector brought nothing: then nothing can be trusted, only checked for consistency."""
        if policy is None and key is None:
            return None
        pinned = list(policy.logs) if policy is not None else []
        if key is not None and key not in pinned:
            pinned.append(key)
        return cls(tuple(pinned), policy)

    @property
    def witnessed(self) -> bool:
        """True when the policy requires at least one witness's cosignature."""
        return self.policy is not None and self.policy.quorum > 0


@dataclass(frozen=True, slots=True)
class Witnessed:
    """One checkpoint's valid cosignatures from the policy's witnesses, and its quorum time (None: no quorum)."""

    cosignatures: tuple[Cosignature, ...]
    quorum_time: int | None


def witnessed(note: str, policy: TrustPolicy) -> Witnessed:
    """The policy witnesses' cosignatures on a note; raises NoteError if a known witness's line does not verify."""
    cosignatures = verify_cosignatures(note, policy.witness_keys)
    return Witnessed(tuple(cosignatures), quorum_time(cosignatures, policy.quorum))


def quorum_shortfall(seen: Witnessed, policy: TrustPolicy) -> str | None:
    """Why a checkpoint lacks the policy's quorum, or None if it has it."""
    if len(seen.cosignatures) >= policy.quorum:
        return None
    return f"{len(seen.cosignatures)} of the {policy.quorum} witness cosignatures the policy requires"


def utc(seconds: int) -> str:
    """POSIX seconds as an ISO 8601 UTC time."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def witness_notes(seen: Witnessed, policy: TrustPolicy, size: int) -> list[str]:
    """What the report says about the newest checkpoint's witnesses."""
    if policy.quorum == 0:
        return ["unwitnessed policy: times are the log's own word"]
    names = ", ".join(sorted(c.witness.name for c in seen.cosignatures))
    when = "none" if seen.quorum_time is None else utc(seen.quorum_time)
    return [
        f"the newest checkpoint (size {size}) is cosigned by {len(seen.cosignatures)} of the policy's "
        f"{len(policy.witnesses)} witnesses (quorum {policy.quorum}): {names}; quorum time {when}"
    ]


UNWITNESSED_KEY = (
    "unwitnessed: only the log key given with --key is pinned; times are the log's own word, and nothing shows "
    "that others see this same history (pass --policy FILE with the witnesses' keys, or keep --state DIR)"
)


@dataclass(frozen=True, slots=True)
class GivenCheckpoint:
    """A checkpoint the inspector brought with --checkpoint, in whichever form it came."""

    checkpoint: Checkpoint
    note: str
    old_size: int | None = None  # an add-checkpoint body: the size its consistency proof starts from
    consistency: tuple[bytes, ...] = ()
    proof: TlogProof | None = None


def parse_checkpoint_file(text: str) -> GivenCheckpoint:
    """A checkpoint note, a tlog-proof or an add-checkpoint body, parsed strictly; raises ValueError."""
    if text.startswith(PROOF_HEADER + "\n"):
        proof = parse_proof(text)
        return GivenCheckpoint(proof.checkpoint, proof.checkpoint_note, proof=proof)
    if text.startswith(ADD_CHECKPOINT_OLD):
        return _parse_add_checkpoint(text)
    return GivenCheckpoint(Checkpoint.from_note(text), text)


def _parse_add_checkpoint(text: str) -> GivenCheckpoint:
    first, sep, rest = text.partition("\n")
    old = first[len(ADD_CHECKPOINT_OLD) :]
    if not sep or DECIMAL_RE.fullmatch(old) is None:
        raise NoteError("an add-checkpoint body starts with 'old <size>'")
    hashes: list[bytes] = []
    while True:
        line, sep, rest = rest.partition("\n")
        if not sep:
            raise NoteError("an add-checkpoint body needs an empty line before the checkpoint")
        if not line:
            break
        raw = b64decode_strict(line)
        if len(raw) != HASH_SIZE:
            raise NoteError(f"consistency proof hash {len(hashes)} has {len(raw)} bytes, want {HASH_SIZE}")
        hashes.append(raw)
        if len(hashes) > MAX_CONSISTENCY_HASHES:
            raise NoteError(f"more than {MAX_CONSISTENCY_HASHES} consistency proof hashes")
    checkpoint = Checkpoint.from_note(rest)
    if int(old) > checkpoint.size:
        raise NoteError(f"old size {old} is larger than the checkpoint's size {checkpoint.size}")
    return GivenCheckpoint(checkpoint, rest, old_size=int(old), consistency=tuple(hashes))


def pinned_names(keys: Sequence[VerifierKey]) -> str:
    return " or ".join(key.vkey for key in keys)
