"""The platform's witnesses, from configuration: who cosigns, how many must, and the grace (docs/witnesses.md §4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from auction.ledger.verifier.note import NoteError, VerifierKey
from auction.ledger.verifier.witnessing import PolicyWitness, TrustPolicy, parse_witness_vkey

POLICY_KIND = "witness.policy"


@dataclass(frozen=True, slots=True)
class WitnessConfig:
    witnesses: tuple[PolicyWitness, ...]
    quorum: int
    grace_seconds: int
    timeout_seconds: float

    @property
    def enabled(self) -> bool:
        """Whether time and history are witnessed at all (no witnesses configured: the ledger runs as before)."""
        return self.quorum > 0

    def policy(self, log_keys: Sequence[VerifierKey]) -> TrustPolicy:
        """The trust policy an inspector would start from; they should check each key with its owner."""
        return TrustPolicy(tuple(log_keys), self.witnesses, self.quorum, self.grace_seconds)

    def payload(self) -> dict[str, Any]:
        """The `witness.policy` entry's payload."""
        return {
            "grace_seconds": self.grace_seconds,
            "quorum": self.quorum,
            "witnesses": [{"url": w.url, "vkey": w.key.vkey} for w in self.witnesses],
        }


def parse_witnesses(text: str) -> tuple[PolicyWitness, ...]:
    """`<witness vkey> <URL prefix>` pairs separated by ";" (ACHYK_WITNESSES); a ValueError says what is wrong."""
    witnesses = []
    for number, item in enumerate((part.strip() for part in text.split(";")), start=1):
        if not item:
            continue
        fields = item.split()
        if len(fields) != 2 or not fields[1].startswith(("http://", "https://")):
            raise ValueError(f"ACHYK_WITNESSES item {number}: expected '<witness vkey> <http(s) URL>', got {item!r}")
        try:
            key = parse_witness_vkey(fields[0])
        except NoteError as exc:
            raise ValueError(f"ACHYK_WITNESSES item {number}: {exc}") from None
        witnesses.append(PolicyWitness(key, fields[1].rstrip("/")))
    if len({w.key for w in witnesses}) != len(witnesses):
        raise ValueError("ACHYK_WITNESSES names a witness twice")
    return tuple(witnesses)


class WitnessSettings(Protocol):
    """The settings this reads (auction.settings.Settings has them): the ledger sits below settings in the layers."""

    @property
    def witnesses(self) -> str: ...
    @property
    def witness_quorum(self) -> int | None: ...
    @property
    def witness_grace_seconds(self) -> int: ...
    @property
    def witness_timeout_seconds(self) -> float: ...


def witness_config(settings: WitnessSettings) -> WitnessConfig:
    """The configured witnesses; the quorum defaults to a majority of them."""
    witnesses = parse_witnesses(settings.witnesses)
    quorum = settings.witness_quorum if settings.witness_quorum is not None else len(witnesses) // 2 + 1
    if not witnesses:
        quorum = 0
    elif not 1 <= quorum <= len(witnesses):
        raise ValueError(f"ACHYK_WITNESS_QUORUM must be between 1 and the {len(witnesses)} witnesses configured")
    return WitnessConfig(witnesses, quorum, settings.witness_grace_seconds, settings.witness_timeout_seconds)
