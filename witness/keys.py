"""The witness's own key: DIR/witness.key holds the base64 of a 32-byte Ed25519 seed, readable by its owner only.

Made on first run. DIR/witness.vkey is the public verifier key under the witness's name, written for convenience:
it is what the witness publishes and inspectors put in their trust policy.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from auction.ledger.verifier.witnessing import WitnessKey

KEY_FILE = "witness.key"
VKEY_FILE = "witness.vkey"
SEED_SIZE = 32


class KeyFileError(ValueError):
    """The key file cannot be read or made; the message says which file and why."""


def load_or_create_key(directory: Path) -> Ed25519PrivateKey:
    """The witness's private key, creating DIR/witness.key (mode 0600) if there is none yet."""
    path = directory / KEY_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    except OSError as exc:
        raise KeyFileError(f"cannot create {path}: {exc.strerror}") from None
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    with os.fdopen(descriptor, "w") as out:
        out.write(base64.b64encode(seed).decode("ascii") + "\n")
    return key


def _read_key(path: Path) -> Ed25519PrivateKey:
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        seed = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise KeyFileError(f"{path} does not hold base64") from None
    if len(seed) != SEED_SIZE:
        raise KeyFileError(f"{path} must hold the base64 of a {SEED_SIZE}-byte Ed25519 seed")
    return Ed25519PrivateKey.from_private_bytes(seed)


def write_vkey(directory: Path, name: str, key: Ed25519PrivateKey) -> str:
    """Write DIR/witness.vkey for `name` and return the vkey."""
    vkey = WitnessKey.of(name, key).vkey
    (directory / VKEY_FILE).write_text(vkey + "\n")
    return vkey
