"""Password and token hashing: argon2id for passwords, SHA-256 for high-entropy API tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this when the e-mail is unknown keeps the response time the same either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 10


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the argon2 parameters; for test suites that create hundreds of accounts, never for production."""
    global _hasher  # noqa: PLW0603 - one process-wide hasher is the point
    _hasher = hasher


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an unknown user still costs one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_api_token() -> tuple[str, str]:
    """A fresh bearer token and the hash stored in its place (the token itself is shown once)."""
    token = "achyk_" + secrets.token_urlsafe(32)
    return token, hash_api_token(token)


def hash_api_token(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough and lets lookups use an index.
    return hashlib.sha256(token.encode()).hexdigest()
