"""The log's signing key and the pseudonym key: from configuration, or generated once for a first run.

Neither key is ever logged; ``repr`` of the holder shows only public facts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from auction.kept_secret import kept_secret


@dataclass(frozen=True)
class LedgerKeys:
    """Everything the platform needs to sign checkpoints and receipts and to name bidders per lot."""

    origin: str
    key_name: str
    signing_key: Ed25519PrivateKey = field(repr=False)
    pseudonym_key: bytes = field(repr=False)

    @property
    def public_key(self) -> bytes:
        return self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def pseudonym(self, lot_id: int, user_id: int) -> str:
        """A bidder's name in one lot's records: stable within the lot, unlinkable across lots."""
        digest = hmac.new(self.pseudonym_key, f"achyk-pseudonym/v1|{lot_id}|{user_id}".encode(), hashlib.sha256)
        return "b-" + digest.hexdigest()[:16]


def decode_seed(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise ValueError(f"{what} must be base64 of 32 random bytes") from None
    if len(raw) != 32:
        raise ValueError(f"{what} must be base64 of exactly 32 bytes, not {len(raw)}")
    return raw


def load_keys(*, origin: str, key_name: str, signing_seed: str, pseudonym_seed: str, data_dir: Path) -> LedgerKeys:
    """Keys from configuration, else from (or newly into) owner-only files in the data directory."""
    signing = decode_seed(
        signing_seed or kept_secret(data_dir / "ledger_signing_key", new_seed), "ACHYK_LEDGER_SIGNING_KEY"
    )
    pseudonym = decode_seed(
        pseudonym_seed or kept_secret(data_dir / "ledger_pseudonym_key", new_seed), "ACHYK_LEDGER_PSEUDONYM_KEY"
    )
    return LedgerKeys(
        origin=origin,
        key_name=key_name or origin,
        signing_key=Ed25519PrivateKey.from_private_bytes(signing),
        pseudonym_key=pseudonym,
    )


def new_seed() -> str:
    """A fresh 32-byte seed, base64-encoded as the configuration expects it."""
    return base64.b64encode(secrets.token_bytes(32)).decode()
