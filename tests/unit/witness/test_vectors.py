"""Our signed-note and cosignature/v1 code against vectors published by other implementations
(tests/data/witness/vectors.json names the repository, path and commit of each)."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import nacl.signing
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.note import NoteError, open_checkpoint, parse_vkey, sign_note, verify_note
from auction.ledger.verifier.witnessing import (
    PolicyWitness,
    TrustPolicy,
    WitnessKey,
    cosign,
    parse_witness_vkey,
    quorum_time,
    verify_cosignatures,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "data" / "witness" / "vectors.json").read_text(encoding="utf-8")
)


def test_every_vector_names_where_it_comes_from() -> None:
    for group in ("signed_notes", "cosignatures", "pinned"):
        for vector in VECTORS[group]:
            assert {"repository", "path"} <= set(vector["source"]), vector["name"]
    for vector in VECTORS["signed_notes"] + VECTORS["cosignatures"]:
        assert len(vector["source"]["commit"]) == 40


@pytest.mark.parametrize("vector", VECTORS["signed_notes"], ids=lambda v: v["name"])
def test_published_signed_notes_open_with_their_vkeys(vector: dict[str, Any]) -> None:
    keys = [parse_vkey(vkey) for vkey in vector["vkeys"]]
    text, signers = verify_note(vector["note"], keys)
    assert text == vector["text"]
    assert [key.name for key in signers] == vector["signed_by"]
    tampered = vector["note"].replace("problem", "problen", 1).replace("example", "exampel", 1)
    with pytest.raises(NoteError):
        verify_note(tampered, keys)


def test_we_sign_the_go_example_byte_for_byte() -> None:
    [vector] = [v for v in VECTORS["signed_notes"] if "signer_key" in v]
    # Go's private key format: PRIVATE+KEY+<name>+<id>+base64(0x01 || seed); the base64 itself may hold "+".
    name, _, encoded = vector["signer_key"].removeprefix("PRIVATE+KEY+").split("+", 2)
    seed = base64.b64decode(encoded)[1:]
    assert sign_note(vector["text"], name, Ed25519PrivateKey.from_private_bytes(seed)) == vector["note"]


@pytest.mark.parametrize("vector", VECTORS["cosignatures"], ids=lambda v: v["name"])
def test_a_real_witnessed_checkpoint_verifies(vector: dict[str, Any]) -> None:
    checkpoint, _ = open_checkpoint(vector["note"], [parse_vkey(vector["log_vkey"])])
    expected = vector["checkpoint"]
    assert (checkpoint.origin, checkpoint.size) == (expected["origin"], expected["size"])
    assert base64.b64encode(checkpoint.root).decode() == expected["root"]
    witnesses = [parse_witness_vkey(w["vkey"]) for w in vector["witnesses"]]
    cosignatures = verify_cosignatures(vector["note"], witnesses)
    assert [(c.witness, c.timestamp) for c in cosignatures] == [
        (key, w["timestamp"]) for key, w in zip(witnesses, vector["witnesses"], strict=True)
    ]
    policy = TrustPolicy((parse_vkey(vector["log_vkey"]),), tuple(PolicyWitness(w) for w in witnesses), 1, 10)
    assert quorum_time(cosignatures, policy.quorum) == vector["witnesses"][0]["timestamp"]
    # The same cosignature on another size does not verify: the whole note text is signed.
    forged = vector["note"].replace(str(expected["size"]), str(expected["size"] + 1), 1)
    with pytest.raises(NoteError, match="invalid cosignature"):
        verify_cosignatures(forged, witnesses)


@pytest.mark.parametrize("vector", VECTORS["pinned"], ids=lambda v: v["name"])
def test_our_cosignature_is_pinned_and_checks_out_with_an_independent_ed25519(vector: dict[str, Any]) -> None:
    seed = bytes.fromhex(vector["witness_seed_hex"])
    name, text, timestamp = vector["witness_name"], vector["checkpoint_text"], vector["timestamp"]
    ours = cosign(text, name, Ed25519PrivateKey.from_private_bytes(seed), timestamp)
    assert ours == vector["cosignature"]
    assert WitnessKey.of(name, Ed25519PrivateKey.from_private_bytes(seed)).vkey == vector["witness_vkey"]

    # Rebuilt from c2sp.org/tlog-cosignature by hand, verified with libsodium (PyNaCl), not with `cryptography`.
    verify_key = nacl.signing.SigningKey(seed).verify_key
    public = bytes(verify_key)
    key_id = hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
    encoded = base64.b64encode(b"\x04" + public).decode()
    assert vector["witness_vkey"] == f"{name}+{key_id.hex()}+{encoded}"
    prefix = f"— {name} "
    raw = base64.b64decode(vector["cosignature"].removeprefix(prefix).rstrip("\n"), validate=True)
    assert raw[:4] == key_id
    assert struct.unpack(">Q", raw[4:12]) == (timestamp,)
    message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
    verify_key.verify(message, raw[12:])
    # And our verifier accepts it as a note signature line.
    note = text + "\n" + vector["cosignature"]
    [cosignature] = verify_cosignatures(note, [parse_witness_vkey(vector["witness_vkey"])])
    assert cosignature.timestamp == timestamp
