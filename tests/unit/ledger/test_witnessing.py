"""Cosignatures, trust policies and witnessed time (docs/witnesses.md)."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.note import NoteError, VerifierKey, sign_checkpoint
from auction.ledger.verifier.witnessing import (
    Cosignature,
    PolicyWitness,
    TrustPolicy,
    WitnessClock,
    WitnessKey,
    checkpoint_time,
    cosign,
    parse_policy,
    parse_witness_vkey,
    quorum_time,
    timed_checkpoint,
    verify_cosignatures,
)

LOG = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WITNESSES = [Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32) for n in (1, 2, 3)]
NAMES = ["w1.example.kg", "w2.example.kg", "w3.example.kg"]


def cosigned_note(stamps: list[int]) -> str:
    checkpoint = timed_checkpoint("log.example.kg", 5, bytes(32), 1_764_108_000)
    note = sign_checkpoint(checkpoint, "log.example.kg", LOG)
    return note + "".join(cosign(checkpoint.text(), n, k, t) for n, k, t in zip(NAMES, WITNESSES, stamps, strict=False))


def keys() -> list[WitnessKey]:
    return [WitnessKey.of(n, k) for n, k in zip(NAMES, WITNESSES, strict=True)]


def test_a_cosignature_carries_its_witness_time_and_verifies() -> None:
    note = cosigned_note([1_764_108_001, 1_764_108_003])
    found = verify_cosignatures(note, keys())
    assert sorted(c.timestamp for c in found) == [1_764_108_001, 1_764_108_003]
    line = note.splitlines()[-1]
    raw = base64.b64decode(line.split()[-1])
    assert raw[:4] == keys()[1].key_id
    assert struct.unpack(">Q", raw[4:12]) == (1_764_108_003,)
    assert quorum_time(found, 2) == 1_764_108_003
    assert quorum_time(found, 3) is None


def test_a_changed_timestamp_or_text_breaks_the_cosignature() -> None:
    note = cosigned_note([1_764_108_001])
    line = note.splitlines()[-1]
    raw = bytearray(base64.b64decode(line.split()[-1]))
    raw[11] ^= 1  # one second later
    forged = note.replace(line, f"— {NAMES[0]} {base64.b64encode(bytes(raw)).decode()}")
    with pytest.raises(NoteError, match="invalid cosignature"):
        verify_cosignatures(forged, keys())
    with pytest.raises(NoteError, match="invalid cosignature"):
        verify_cosignatures(note.replace("\n5\n", "\n6\n"), keys())


def test_the_witness_vkey_round_trips_and_differs_from_a_log_vkey() -> None:
    witness = keys()[0]
    assert parse_witness_vkey(witness.vkey) == witness
    assert witness.key_id != VerifierKey.from_public_key(NAMES[0], WITNESSES[0]).key_id
    with pytest.raises(NoteError):
        parse_witness_vkey(VerifierKey.from_public_key(NAMES[0], WITNESSES[0]).vkey)


def test_checkpoint_time_line() -> None:
    checkpoint = timed_checkpoint("log.example.kg", 5, bytes(32), 1_764_108_000)
    assert checkpoint.text().splitlines()[-1] == "time 1764108000"
    assert checkpoint_time(checkpoint) == 1_764_108_000


def test_policy_round_trips_and_refuses_nonsense() -> None:
    policy = TrustPolicy(
        (VerifierKey.from_public_key("log.example.kg", LOG),),
        tuple(PolicyWitness(k, f"http://127.0.0.1:{9000 + i}") for i, k in enumerate(keys())),
        2,
        10,
    )
    assert parse_policy(policy.text()) == policy
    with pytest.raises(NoteError, match="quorum 4"):
        parse_policy(policy.text().replace("quorum 2", "quorum 4"))
    with pytest.raises(NoteError, match="line 2"):
        parse_policy(policy.text().replace("log ", "lgo ", 1))
    with pytest.raises(NoteError, match="starts with"):
        parse_policy("quorum 1\n")


def test_witnessed_time_is_the_earliest_quorum_of_a_covering_checkpoint() -> None:
    clock = WitnessClock([(3, 100), (5, None), (8, 90), (10, 120)])
    assert [clock.witnessed_at(i) for i in (0, 2, 3, 7, 8, 9, 10)] == [90, 90, 90, 90, 120, 120, None]
    assert clock.witnessed_size == 10
    assert WitnessClock([]).witnessed_at(0) is None
    assert quorum_time([Cosignature(keys()[0], 5)], 0) is None
