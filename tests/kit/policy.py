"""Trust policies and witnesses for tests: what an inspector pins, and cosignatures from witness keys of our own.

An inspector's policy file names the log keys and the witnesses (docs/witnesses.md §4); a test writes one for a
test log's keys with `write_policy`, and plays the witnesses with `Witness`, whose `cosign` appends a real
cosignature/v1 line to a checkpoint note, as `achyk-witness` would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.note import parse_vkey, split_note
from auction.ledger.verifier.witnessing import PolicyWitness, TrustPolicy, WitnessKey, cosign

# 2026-03-01T09:00:00Z, the test logs' START: witnesses cosign around then.
WITNESS_TIME = 1_772_355_600


@dataclass
class Witness:
    """A witness with its own key, cosigning whatever a test hands it at the time the test says."""

    name: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def public(self) -> WitnessKey:
        return WitnessKey.of(self.name, self.key)

    @property
    def vkey(self) -> str:
        return self.public.vkey

    def cosign(self, note: str, timestamp: int = WITNESS_TIME) -> str:
        """The note with this witness's cosignature line appended after its other signature lines."""
        text, _ = split_note(note)
        return note + cosign(text, self.name, self.key, timestamp)


def witnesses(count: int) -> list[Witness]:
    """`count` distinct test witnesses, named like the real ones."""
    return [Witness(f"witness{n}.test") for n in range(1, count + 1)]


def cosigned(note: str, by: Iterable[Witness], timestamp: int = WITNESS_TIME) -> str:
    """The note cosigned by each witness in turn, all at `timestamp`."""
    for witness in by:
        note = witness.cosign(note, timestamp)
    return note


def policy_of(log_vkeys: Sequence[str], by: Sequence[Witness] = (), *, quorum: int = 0, grace: int = 10) -> TrustPolicy:
    """The policy an inspector would write for these log keys and witnesses."""
    return TrustPolicy(
        logs=tuple(parse_vkey(vkey) for vkey in log_vkeys),
        witnesses=tuple(PolicyWitness(w.public, f"https://{w.name}") for w in by),
        quorum=quorum,
        grace_seconds=grace,
    )


def write_policy(
    path: Path, log_vkeys: Sequence[str], by: Sequence[Witness] = (), *, quorum: int = 0, grace: int = 10
) -> Path:
    """Write an achyk-trust-policy/v1 file at `path` (quorum 0: the log's key alone, unwitnessed)."""
    path.write_text(policy_of(log_vkeys, by, quorum=quorum, grace=grace).text(), encoding="utf-8")
    return path
