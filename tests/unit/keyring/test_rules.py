"""The pure rules of the deployment's keys: fingerprints, sealing at rest, and which host disagrees (and why)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.keyring.rules import (
    KeyEncryptionKeyWrong,
    KeysRefused,
    PublishedKeys,
    decode_key_encryption_key,
    fingerprint,
    host_keys,
    key_mismatches,
    seal,
    unseal,
)
from auction.ledger.integrator import signed_checkpoint
from auction.ledger.keys import LedgerKeys

KEK = b"k" * 32
NONCE = b"n" * 12
SECRET = "the-deployment-session-secret-0123456789"


def ledger_keys(seed: bytes = b"s", pseudonym: bytes = b"p") -> LedgerKeys:
    return LedgerKeys(
        origin="test.achyk.kg/ledger",
        key_name="test.achyk.kg/ledger",
        signing_key=Ed25519PrivateKey.from_private_bytes(seed * 32),
        pseudonym_key=pseudonym * 32,
    )


def first_start(secret: str = SECRET, keys: LedgerKeys | None = None, **changes: str | None) -> PublishedKeys:
    """What a deployment published when a host with these keys started first (no checkpoint, no rotation)."""
    host = host_keys(secret, keys or ledger_keys())
    published = {
        "rotated_to": None,
        "first_vkey": host.ledger_vkey,
        "first_checkpoint": None,
        "session_fingerprint": host.session_fingerprint,
        "pseudonym_fingerprint": host.pseudonym_fingerprint,
        **changes,
    }
    return PublishedKeys(**published)


def test_a_sealed_secret_opens_only_with_its_key_and_for_its_purpose() -> None:
    sealed = seal(KEK, "sealed:ACHYK_SECRET_KEY", SECRET, NONCE)
    assert SECRET.encode() not in sealed
    assert unseal(KEK, "sealed:ACHYK_SECRET_KEY", sealed) == SECRET
    with pytest.raises(KeyEncryptionKeyWrong, match="ACHYK_KEY_ENCRYPTION_KEY"):
        unseal(b"w" * 32, "sealed:ACHYK_SECRET_KEY", sealed)
    # A row copied under another purpose (the session secret offered as the signing key) does not open.
    with pytest.raises(KeyEncryptionKeyWrong):
        unseal(KEK, "sealed:ACHYK_LEDGER_SIGNING_KEY", sealed)


def test_a_fingerprint_is_keyed_and_names_no_secret() -> None:
    assert fingerprint(SECRET) == fingerprint(SECRET)
    assert fingerprint(SECRET) != fingerprint(SECRET + "x")
    assert SECRET not in fingerprint(SECRET)
    host = host_keys(SECRET, ledger_keys())
    assert base64.b64encode(b"p" * 32).decode() not in repr(host)


@pytest.mark.parametrize("text", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_key_encryption_key_must_be_32_bytes_of_base64(text: str) -> None:
    with pytest.raises(KeysRefused, match="ACHYK_KEY_ENCRYPTION_KEY"):
        decode_key_encryption_key(text)


def test_the_host_that_published_agrees_and_nothing_published_is_no_mismatch() -> None:
    assert key_mismatches(host_keys(SECRET, ledger_keys()), first_start()) == []
    nothing = PublishedKeys(None, None, None, None, None)
    assert key_mismatches(host_keys("any", ledger_keys(b"z", b"y")), nothing) == []


@pytest.mark.parametrize(
    ("secret", "keys", "named"),
    [
        (SECRET, ledger_keys(seed=b"x"), ["ACHYK_LEDGER_SIGNING_KEY"]),
        (SECRET, ledger_keys(pseudonym=b"y"), ["ACHYK_LEDGER_PSEUDONYM_KEY"]),
        ("another-secret-0123456789", ledger_keys(), ["ACHYK_SECRET_KEY"]),
        (
            "another-secret-0123456789",
            ledger_keys(b"x", b"y"),
            ["ACHYK_LEDGER_SIGNING_KEY", "ACHYK_LEDGER_PSEUDONYM_KEY", "ACHYK_SECRET_KEY"],
        ),
    ],
)
def test_each_key_that_differs_is_named(secret: str, keys: LedgerKeys, named: list[str]) -> None:
    problems = key_mismatches(host_keys(secret, keys), first_start())
    assert [problem.split(":", 1)[0] for problem in problems] == named


def test_after_a_rotation_only_the_new_key_is_the_deployments() -> None:
    old, new = host_keys(SECRET, ledger_keys(b"s")), host_keys(SECRET, ledger_keys(b"t"))
    rotated = first_start(rotated_to=new.ledger_vkey)
    assert key_mismatches(new, rotated) == []
    [problem] = key_mismatches(old, rotated)
    assert problem.startswith("ACHYK_LEDGER_SIGNING_KEY:")
    assert "key.rotated" in problem


def test_without_a_record_of_the_first_key_the_first_checkpoints_signer_is_expected() -> None:
    """A database older than the record: the key that signed its first checkpoint is the deployment's."""
    from datetime import UTC, datetime

    note = signed_checkpoint(ledger_keys(b"s"), 0, bytes(32), datetime(2026, 6, 1, tzinfo=UTC)).note
    published = first_start(first_vkey=None, first_checkpoint=note)
    assert key_mismatches(host_keys(SECRET, ledger_keys(b"s")), published) == []
    [problem] = key_mismatches(host_keys(SECRET, ledger_keys(b"x")), published)
    assert problem.startswith("ACHYK_LEDGER_SIGNING_KEY:")
    assert "did not sign" in problem
