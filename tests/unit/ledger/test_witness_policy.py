"""witness.policy on the platform chain: the replay accepts exactly its fields and valid witness keys, and the
verifier's report lists the witnesses in force."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.verify import verify_bundle
from auction.ledger.verifier.witness_policy import witness_policy_notes
from auction.ledger.verifier.witnessing import WitnessKey
from tests.unit.ledger.factory import Log

AUDIT = WitnessKey.of("witness.audit.gov.kg", Ed25519PrivateKey.from_private_bytes(b"a" * 32)).vkey
PROSECUTOR = WitnessKey.of("witness.prosecutor.kg", Ed25519PrivateKey.from_private_bytes(b"p" * 32)).vkey


def policy(quorum: int = 2, **changes: Any) -> dict[str, Any]:
    witnesses = [{"url": "https://witness.audit.gov.kg", "vkey": AUDIT}, {"url": None, "vkey": PROSECUTOR}]
    return {"grace_seconds": 10, "quorum": quorum, "witnesses": witnesses} | changes


def logged(*payloads: dict[str, Any], actor: str = "system") -> Log:
    """Each policy logged by the system, the last one by ``actor``."""
    log = Log()
    for n, payload in enumerate(payloads, 1):
        log.add("witness.policy", None, payload, actor=actor if n == len(payloads) else "system")
    log.checkpoint()
    return log


def test_the_replay_accepts_witness_policies_including_none() -> None:
    log = logged(policy(), policy(0, witnesses=[]))
    assert replay(parse_leaf(leaf) for leaf in log.leaves) == []


@pytest.mark.parametrize(
    ("payload", "actor", "reason"),
    [
        (policy(note="x"), "system", "payload has unknown fields ['note']"),
        ({"quorum": 1, "witnesses": []}, "system", "payload misses fields ['grace_seconds']"),
        (policy(), "admin:1", "actor 'admin:1' is not system"),
        (policy(3), "system", "quorum must be between 0 and the 2 witnesses listed"),
        (policy(grace_seconds=-1), "system", "grace_seconds must be a whole number"),
        (policy(1, witnesses=[{"url": None, "vkey": "nobody+00000000+AAAA"}]), "system", "witness 1: "),
        (policy(1, witnesses=[{"url": "ftp://x", "vkey": AUDIT}]), "system", "witness 1: url must be null or"),
        (policy(witnesses=[{"url": None, "vkey": AUDIT}] * 2), "system", "a witness is listed twice"),
    ],
)
def test_the_replay_refuses_a_policy_it_cannot_read(payload: dict[str, Any], actor: str, reason: str) -> None:
    log = logged(policy(), payload, actor=actor)
    findings = replay(parse_leaf(leaf) for leaf in log.leaves)
    assert len(findings) == 1
    assert findings[0].index == 1
    assert findings[0].reason.startswith(f"platform chain, witness.policy: {reason}"), findings[0].reason


def test_the_report_lists_the_witnesses_in_force(tmp_path: Path) -> None:
    log = logged(policy(0, witnesses=[]), policy())
    report = verify_bundle(log.write(tmp_path / "bundle"), key=log.vkey, replay=replay)
    assert report.ok, report.text()
    at = report.notes.index("witness policy in force (entry 1, 2 logged): quorum 2 of 2, grace 10 s")
    assert report.notes[at + 1 : at + 3] == [
        f"  witness {AUDIT} https://witness.audit.gov.kg",
        f"  witness {PROSECUTOR}",
    ]


def test_a_ledger_without_a_witness_policy_says_so() -> None:
    assert witness_policy_notes([]) == ["no witness.policy entry: the ledger records no witnesses"]
