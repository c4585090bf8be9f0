"""Pure rules of the throttles: which buckets a login or a registration draws on, and signed device tokens.

Threat: a stranger who knows an e-mail (an officer's is public) must not be able to lock its owner out by failing
on purpose. So failures are not counted per account alone:

- from a device the account has logged in on before (it holds a device token signed for that e-mail), failures
  count against that device's own allowance, which nobody else can spend;
- from anywhere else, they count per (e-mail, source address), and per e-mail for all unknown devices together, a
  larger allowance that stops guessing spread over many addresses. Exhausting it locks out new devices only.

Addresses also have limits of their own on the login and registration routes, whatever the e-mail.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

DEVICE_COOKIE: Final = "achyk_device"
DEVICE_COOKIE_MAX_AGE: Final = 400 * 24 * 3600  # the longest lifetime browsers keep a cookie for
LOGIN_REQUESTS_PER_MINUTE: Final = 30  # per address, as the in-memory limiter allowed before
REGISTRATIONS_PER_HOUR: Final = 20  # per address: a sign-up desk behind one office address still fits
RESETS_PER_HOUR: Final = 10  # password-reset requests per address: each one sends an e-mail
RESETS_PER_EMAIL_PER_HOUR: Final = 3  # and per e-mail, so nobody floods a mailbox from many addresses
_DEVICE_ID_BYTES: Final = 16


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``allowed`` hits per ``window_seconds`` in each bucket of ``scope``; the window starts at the
    bucket's first hit, so a lockout lasts the whole window, as people were told it does."""

    scope: str
    allowed: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Bucket:
    limit: Limit
    key: str  # hashed before it is stored

    @property
    def stored_key(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LoginLimits:
    failures_per_device: int
    failures_per_unknown_device_account: int
    window_seconds: int


def login_failure_buckets(limits: LoginLimits, email: str, source: str, device: str | None) -> list[Bucket]:
    """The buckets one login attempt draws on, in the order they are checked (a refused one stops the rest).

    ``device`` is a device id whose token was verified for this e-mail, or None. The per-source bucket comes
    before the account-wide one, so a stranger refused from their address no longer spends the account's
    allowance for unknown devices.
    """
    window = limits.window_seconds
    if device is not None:
        return [Bucket(Limit("login.device", limits.failures_per_device, window), f"{email}\n{device}")]
    return [
        Bucket(Limit("login.source", limits.failures_per_device, window), f"{email}\n{source}"),
        Bucket(Limit("login.account", limits.failures_per_unknown_device_account, window), email),
    ]


def source_bucket(action: str, source: str) -> Bucket:
    """The per-address bucket of a throttled route: ``login``, ``register`` or ``reset``."""
    if action == "reset":
        return Bucket(Limit("reset.source", RESETS_PER_HOUR, 3600), source)
    if action == "register":
        return Bucket(Limit("register.source", REGISTRATIONS_PER_HOUR, 3600), source)
    return Bucket(Limit("login.requests", LOGIN_REQUESTS_PER_MINUTE, 60), source)


def reset_email_bucket(email: str) -> Bucket:
    """The per-e-mail bucket of password-reset requests (counted whether or not an account has the address)."""
    return Bucket(Limit("reset.email", RESETS_PER_EMAIL_PER_HOUR, 3600), email.strip().lower())


def retry_after(window_ends: int, now: int) -> int:
    """Whole seconds until the window ends; at least one, so a client never retries at once."""
    return max(1, window_ends - now)


def new_device_id() -> str:
    return secrets.token_urlsafe(_DEVICE_ID_BYTES)


def device_token(key: bytes, email: str, device: str) -> str:
    """A token naming a device, bound to the account (by e-mail) that logged in on it: it gives no allowance on
    any other account, so logging into one's own account cannot mint allowances for guessing someone else's."""
    return f"{device}.{_device_mac(key, email, device)}"


def device_of(key: bytes, email: str, token: str | None) -> str | None:
    """The device id a token names, if it was signed for this e-mail; else None (an unknown device)."""
    if not token or token.count(".") != 1:
        return None
    device, mac = token.split(".")
    if not device or not hmac.compare_digest(mac, _device_mac(key, email, device)):
        return None
    return device


def device_key(secret: str) -> bytes:
    """A key of its own for device tokens, derived from the deployment's secret."""
    return hashlib.sha256(b"achyk device token\n" + secret.encode()).digest()


def _device_mac(key: bytes, email: str, device: str) -> str:
    return hmac.new(key, f"{email.lower()}\n{device}".encode(), hashlib.sha256).hexdigest()
