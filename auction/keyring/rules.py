"""Pure rules of the deployment's keys: keyed fingerprints, sealing at rest, and whether a host agrees.

No I/O here: auction.keyring.service reads and writes the rows, the serve command and the app's lifespan act on
the answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from auction.ledger.keys import LedgerKeys
from auction.ledger.verifier.note import NoteError, format_vkey, parse_vkey, verify_note

SESSION_SECRET = "ACHYK_SECRET_KEY"  # noqa: S105 (the name of a setting)
SIGNING_KEY = "ACHYK_LEDGER_SIGNING_KEY"
PSEUDONYM_KEY = "ACHYK_LEDGER_PSEUDONYM_KEY"
# The settings whose values the database can hold for every host, in the order they are made.
SHARED_SECRETS = (SESSION_SECRET, SIGNING_KEY, PSEUDONYM_KEY)

SEALED_PREFIX = "sealed:"
FINGERPRINT_PREFIX = "fingerprint:"
LEDGER_VKEY = "published:ledger_vkey"
_FINGERPRINT_LABEL = b"achyk-key-fingerprint/v1"
_NONCE_BYTES = 12


class KeysRefused(ValueError):
    """A host's keys cannot be the deployment's: it must not start serving (the CLI exits with 2)."""


class KeysDisagree(KeysRefused):
    """The host's keys differ from the ones the deployment published."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "This host's keys are not the ones this deployment published, so it will not serve:\n"
            + "\n".join(f"  - {problem}" for problem in problems)
            + "\nSet the same keys on every host (or ACHYK_KEY_ENCRYPTION_KEY alone to use the ones in the database); "
            "after 'auction ledger rotate-key', set the new signing key."
        )


class KeyEncryptionKeyWrong(KeysRefused):
    """The sealed keys do not open under the configured key-encryption key: it is not the deployment's."""


def fingerprint(secret: str) -> str:
    """A keyed fingerprint of ``secret``: HMAC-SHA256 under the secret itself of a fixed label.

    It tells whether two hosts hold the same secret, and reveals nothing a guess could be checked against faster
    than the secret's own strength allows.
    """
    return hmac.new(secret.encode(), _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


def decode_key_encryption_key(text: str) -> bytes:
    """ACHYK_KEY_ENCRYPTION_KEY: base64 of 32 random bytes (an AES-256 key)."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise KeysRefused("ACHYK_KEY_ENCRYPTION_KEY must be base64 of 32 random bytes") from None
    if len(raw) != 32:
        raise KeysRefused(f"ACHYK_KEY_ENCRYPTION_KEY must be base64 of exactly 32 bytes, not {len(raw)}")
    return raw


def seal(key_encryption_key: bytes, purpose: str, secret: str, nonce: bytes) -> bytes:
    """``secret`` encrypted with AES-256-GCM; the purpose is the associated data, so rows cannot be swapped."""
    if len(nonce) != _NONCE_BYTES:
        raise ValueError("an AES-GCM nonce is 12 bytes")
    return nonce + AESGCM(key_encryption_key).encrypt(nonce, secret.encode(), purpose.encode())


def unseal(key_encryption_key: bytes, purpose: str, sealed: bytes) -> str:
    """The secret sealed for ``purpose``; KeyEncryptionKeyWrong if it does not open (wrong key, or tampered)."""
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        return AESGCM(key_encryption_key).decrypt(nonce, ciphertext, purpose.encode()).decode()
    except (InvalidTag, ValueError):
        raise KeyEncryptionKeyWrong(
            f"the deployment's keys in the database do not open with this ACHYK_KEY_ENCRYPTION_KEY ({purpose}): "
            "set the key-encryption key every other host of this deployment uses"
        ) from None


@dataclass(frozen=True)
class HostKeys:
    """What a starting host would sign and name with, as public facts and keyed fingerprints only."""

    ledger_vkey: str
    session_fingerprint: str
    pseudonym_fingerprint: str


@dataclass(frozen=True)
class PublishedKeys:
    """What the deployment published: the ledger's current key and the fingerprints recorded at its first start.

    ``rotated_to`` is the newest key a ``key.rotated`` entry announced (None before any rotation); ``first_vkey``
    the key the first host recorded; ``first_checkpoint`` the oldest signed checkpoint, which the first key signed.
    """

    rotated_to: str | None
    first_vkey: str | None
    first_checkpoint: str | None
    session_fingerprint: str | None
    pseudonym_fingerprint: str | None


def host_keys(secret_key: str, ledger_keys: LedgerKeys) -> HostKeys:
    """The public face of a host's keys: its ledger verifier key and the fingerprints of its two secrets."""
    return HostKeys(
        ledger_vkey=format_vkey(ledger_keys.key_name, ledger_keys.public_key),
        session_fingerprint=fingerprint(secret_key),
        pseudonym_fingerprint=fingerprint(base64.b64encode(ledger_keys.pseudonym_key).decode()),
    )


def key_mismatches(host: HostKeys, published: PublishedKeys) -> list[str]:
    """Why the host must not serve (empty when its keys are the deployment's); each reason names the setting."""
    problems: list[str] = []
    if published.rotated_to is not None:
        if host.ledger_vkey != published.rotated_to:
            problems.append(
                f"{SIGNING_KEY}: this host would sign with {host.ledger_vkey}, but the ledger's current key (its "
                f"latest key.rotated entry) is {published.rotated_to}"
            )
    elif published.first_checkpoint is not None and not _signed_by(published.first_checkpoint, host.ledger_vkey):
        problems.append(
            f"{SIGNING_KEY}: this host would sign with {host.ledger_vkey}, which did not sign the ledger's "
            "checkpoints, and no key.rotated entry names it"
        )
    elif published.first_vkey is not None and host.ledger_vkey != published.first_vkey:
        problems.append(
            f"{SIGNING_KEY}: this host would sign with {host.ledger_vkey}, but the deployment published "
            f"{published.first_vkey}"
        )
    if published.pseudonym_fingerprint not in (None, host.pseudonym_fingerprint):
        problems.append(
            f"{PSEUDONYM_KEY}: not the pseudonym key this deployment names bidders with "
            "(its fingerprint differs from the one recorded at the first start)"
        )
    if published.session_fingerprint not in (None, host.session_fingerprint):
        problems.append(
            f"{SESSION_SECRET}: not the session secret this deployment's other hosts use "
            "(its fingerprint differs from the one recorded at the first start)"
        )
    return problems


def _signed_by(note: str, vkey: str) -> bool:
    try:
        verify_note(note, [parse_vkey(vkey)])
    except NoteError:
        return False
    return True
