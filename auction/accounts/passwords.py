"""Password and token hashing: argon2id for passwords, SHA-256 for high-entropy API tokens.

Argon2 is slow and memory-hard on purpose, so it never runs on the event loop (every other request would wait
behind it): ``hash_password_off_loop`` and ``check_password`` run it in a pool of ``HASHING_THREADS`` threads of
its own, so a flood of registrations or logins queues there instead of taking every thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this when the e-mail is unknown keeps the response time the same either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 10
# Each hash takes ~64 MiB and one core for ~0.1 s: a few at a time keep memory bounded and threads free.
HASHING_THREADS: Final = 4
# A pool of its own: waiting hashes queue here and never occupy the default executor's threads.
_hashing = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="argon2")


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the argon2 parameters; for test suites that create hundreds of accounts, never for production."""
    global _hasher, _DUMMY_HASH  # noqa: PLW0603 - one process-wide hasher is the point
    _hasher = hasher
    # The dummy must cost what a real account's hash costs, so it is made with the same parameters.
    _DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an unknown user still costs one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_off_loop(password: str) -> str:
    """``hash_password`` in a worker thread, waiting for one of the few hashing slots."""
    return await asyncio.get_running_loop().run_in_executor(_hashing, hash_password, password)


async def check_password(password_hash: str | None, password: str) -> bool:
    """``verify_password`` in a worker thread; ``None`` (no such account) still costs one verification."""
    return await asyncio.get_running_loop().run_in_executor(_hashing, _verify, password_hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    # Looked up at call time, so a test can count the verifications.
    return verify_password(password_hash, password)


def new_api_token() -> tuple[str, str]:
    """A fresh bearer token and the hash stored in its place (the token itself is shown once)."""
    token = "achyk_" + secrets.token_urlsafe(32)
    return token, hash_api_token(token)


def hash_api_token(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough and lets lookups use an index.
    return hashlib.sha256(token.encode()).hexdigest()
