"""Commitments to what the public ledger must not show but an auditor must be able to check.

A deposit's bank reference identifies a payment, and with it a payer: the ledger's ``deposit.confirmed`` carries
``bank_reference_commitment`` = lowercase hex SHA-256( salt || UTF-8(reference) ), the salt being 16 random bytes.
The platform keeps the reference and the salt (applications.deposit_reference and deposit_reference_salt, the salt
as 32 hex digits); an auditor with database access recomputes the hash and finds it in the ledger. Without the
salt, guessing a short reference from the hash is a brute force over 2^128 salts per guess.
Standard library only, like the rest of the verifier.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Final

SALT_BYTES: Final = 16
COMMITMENT_RE: Final = re.compile(r"[0-9a-f]{64}")


def bank_reference_commitment(salt: bytes, reference: str) -> str:
    """The ledger's commitment to a bank reference under a salt: hex SHA-256 of the salt, then the UTF-8 text."""
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a commitment salt has {SALT_BYTES} bytes, not {len(salt)}")
    return hashlib.sha256(salt + reference.encode("utf-8")).hexdigest()


def new_salt() -> bytes:
    """16 bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(SALT_BYTES)


def opens(commitment: str, salt_hex: str, reference: str) -> bool:
    """Whether the stored reference and salt open the ledger's commitment: the auditor's check."""
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return len(salt) == SALT_BYTES and secrets.compare_digest(bank_reference_commitment(salt, reference), commitment)


def is_commitment(value: object) -> bool:
    """A well-formed commitment: exactly 64 lowercase hex digits."""
    return isinstance(value, str) and COMMITMENT_RE.fullmatch(value) is not None
