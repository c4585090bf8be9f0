"""Rules of signed-in browser sessions, without I/O: when one is still good, and how a device is named to its owner."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

# Refreshing last_seen_at on every request would write a row per page view; a minute of slack in the idle limit
# costs nothing and keeps reads reads.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """How long a session may last at all (counted from login) and how long it may sit unused."""

    lifetime: timedelta
    idle: timedelta


def session_token_hash(token: str) -> str:
    """What the table keeps of a session id: its SHA-256, so a copy of the table signs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_live(
    *, now: datetime, expires_at: datetime, last_seen_at: datetime, revoked_at: datetime | None, idle: timedelta
) -> bool:
    """A session is good until revoked, until its absolute end, or until it has been idle too long."""
    return revoked_at is None and now < expires_at and now - last_seen_at < idle


def needs_touch(*, now: datetime, last_seen_at: datetime) -> bool:
    return now - last_seen_at >= TOUCH_EVERY


BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("YaBrowser/", "Yandex Browser"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_of(user_agent: str) -> str:
    """A short name of the browser and system ("Firefox on Windows") a person recognises in their sessions list;
    anything unrecognised keeps the start of the raw header (printable characters only)."""
    browser = next((name for marker, name in BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system or ""
    return re.sub(r"[^\x20-\x7e]", "", user_agent)[:100].strip() or "unknown"
