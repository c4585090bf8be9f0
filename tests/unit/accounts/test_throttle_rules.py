"""Whose failures count against whom, who the client is behind proxies, and device tokens bound to one account."""

from __future__ import annotations

import ipaddress

from auction.accounts.throttle_rules import LoginLimits, device_key, device_of, device_token, login_failure_buckets
from web.lib.throttle import client_address

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32"))
LIMITS = LoginLimits(failures_per_device=5, failures_per_unknown_device_account=20, window_seconds=900)
KEY = device_key("a deployment secret")


def test_an_untrusted_peer_cannot_name_another_address() -> None:
    assert client_address("203.0.113.9", ["198.51.100.1"], PROXIES) == "203.0.113.9"
    assert client_address("203.0.113.9", ["198.51.100.1"], ()) == "203.0.113.9"


def test_behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() -> None:
    assert client_address("10.0.0.5", ["198.51.100.1"], PROXIES) == "198.51.100.1"
    # The client wrote the leftmost entry itself; only what the proxies appended is believed.
    assert client_address("10.0.0.5", ["6.6.6.6, 198.51.100.1, 10.0.0.7"], PROXIES) == "198.51.100.1"
    assert client_address("10.0.0.5", ["6.6.6.6", "198.51.100.1"], PROXIES) == "198.51.100.1"
    assert client_address("2001:db8::1", ["2001:db8::2, 2a00::1"], PROXIES) == "2a00::1"


def test_a_trusted_proxy_without_a_header_or_with_garbage_is_not_a_free_pass() -> None:
    assert client_address("10.0.0.5", [], PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", ["not-an-address"], PROXIES) == "unknown"
    assert client_address(None, [], PROXIES) == "unknown"


def test_a_known_device_spends_only_its_own_allowance() -> None:
    (own,) = login_failure_buckets(LIMITS, "officer@x.kg", "198.51.100.1", "device-1")
    assert own.limit.scope == "login.device"
    assert own.limit.allowed == 5
    stranger = login_failure_buckets(LIMITS, "officer@x.kg", "203.0.113.9", None)
    assert [b.limit.scope for b in stranger] == ["login.source", "login.account"]
    assert own.stored_key not in {b.stored_key for b in stranger}
    assert [b.limit.allowed for b in stranger] == [5, 20]
    # Stored keys are hashes: the table holds no e-mail or address in clear.
    assert "officer" not in own.stored_key
    assert len(own.stored_key) == 64


def test_a_device_token_counts_only_for_the_account_it_was_issued_to() -> None:
    token = device_token(KEY, "owner@x.kg", "dev42")
    assert device_of(KEY, "owner@x.kg", token) == "dev42"
    assert device_of(KEY, "OWNER@x.kg", token) == "dev42"
    # A stranger's own device token gives no allowance on someone else's account, nor does a forged one.
    assert device_of(KEY, "victim@x.kg", token) is None
    assert device_of(device_key("another secret"), "owner@x.kg", token) is None
    assert device_of(KEY, "owner@x.kg", "dev42." + "0" * 64) is None
    assert device_of(KEY, "owner@x.kg", "garbage") is None
    assert device_of(KEY, "owner@x.kg", None) is None
