"""The pure rules of sessions: when one is live, and how a device is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auction.accounts.session_rules import device_of, is_live
from auction.settings import Settings

T0 = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
IDLE = timedelta(hours=2)


def test_the_defaults_are_twelve_hours_and_two_idle() -> None:
    assert Settings.model_fields["session_lifetime_seconds"].default == 12 * 3600
    assert Settings.model_fields["session_idle_seconds"].default == 2 * 3600


def test_a_session_is_live_until_revoked_expired_or_idle() -> None:
    end = T0 + timedelta(hours=12)
    assert is_live(now=T0, expires_at=end, last_seen_at=T0, revoked_at=None, idle=IDLE)
    assert not is_live(now=T0, expires_at=end, last_seen_at=T0, revoked_at=T0, idle=IDLE)
    assert not is_live(now=end, expires_at=end, last_seen_at=end, revoked_at=None, idle=IDLE)
    assert not is_live(now=T0 + IDLE, expires_at=end, last_seen_at=T0, revoked_at=None, idle=IDLE)
    assert is_live(now=T0 + IDLE - timedelta(seconds=1), expires_at=end, last_seen_at=T0, revoked_at=None, idle=IDLE)


def test_devices_are_named_as_people_know_them() -> None:
    firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"
    chrome_android = (
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537"
    )
    assert device_of(firefox) == "Firefox on Windows"
    assert device_of(chrome_android) == "Chrome on Android"
    assert device_of("curl/8.0\x00\n") == "curl/8.0"
    assert device_of("") == "unknown"
