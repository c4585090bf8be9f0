"""Canonical JSON: the rfc8785 writer, the verifier's fast checker, and ledger time strings."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785

from auction.ledger.verifier.canonical import (
    MAX_SAFE_INTEGER,
    CanonicalError,
    canonical,
    format_time,
    has_long_int_literal,
    is_canonical,
    is_time_string,
    parse_time,
)


def test_canonical_sorts_keys_and_drops_whitespace() -> None:
    assert canonical({"b": [1, True, None], "a": "x"}) == b'{"a":"x","b":[1,true,null]}'
    assert canonical({"é": 1, "z": "\u2028\x1f"}) == '{"z":"\u2028\\u001f","é":1}'.encode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"amount": 100.0}, "floats are not allowed"),
        ([1, 2.5], "floats are not allowed"),
        ({"n": MAX_SAFE_INTEGER + 1}, "outside"),
        ({"n": -MAX_SAFE_INTEGER - 1}, "outside"),
        ({1: "x"}, "not a string"),
        ({"s": {1, 2}}, "not a JSON value"),
        ({"s": "\ud800"}, "lone surrogate"),
    ],
)
def test_canonical_refuses_values_outside_the_domain(value: Any, message: str) -> None:
    with pytest.raises(CanonicalError, match=message):
        canonical(value)


def test_canonical_accepts_the_edges_of_the_integer_range() -> None:
    assert canonical([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]) == b"[9007199254740991,-9007199254740991]"


def _random_string(rng: random.Random) -> str:
    alphabet = ["a", "Z", "0", " ", '"', "\\", "/", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "Ж", "\u2028", "€", "😀"]
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 6)))


def _random_value(rng: random.Random, depth: int) -> Any:
    roll = rng.randrange(8 if depth < 3 else 5)
    if roll == 0:
        return None
    if roll == 1:
        return rng.choice([True, False])
    if roll == 2:
        return rng.choice([0, -1, 7, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, rng.randrange(-(10**12), 10**12)])
    if roll in (3, 4):
        return _random_string(rng)
    if roll == 5:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    # Keys mix ASCII with characters whose UTF-16 order differs from code point order (U+FFxx vs emoji).
    keys = ["a", "b", "aa", "B", "é", "\uff61", "😀", "k" + _random_string(rng)]
    return {rng.choice(keys): _random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))}


def test_fast_checker_agrees_with_rfc8785_on_random_documents() -> None:
    rng = random.Random(8785)
    for _ in range(3000):
        value = _random_value(rng, 0)
        encoded = rfc8785.dumps(value)
        ok, parsed = is_canonical(encoded)
        assert ok, encoded
        assert parsed == value
        assert canonical(value) == encoded


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1, "b":2}',  # whitespace
        b' {"a":1}',
        b'{"a":1}\n',
        b'{"b":2,"a":1}',  # key order
        b'{"a":1,"a":1}',  # duplicate key
        b'{"amount":100.00}',  # 100 re-encoded as 100.00
        b'{"amount":100.0}',
        b'{"amount":1e2}',
        b"[-0]",
        b"[9007199254740992]",  # beyond the safe integer range: no canonical form
        b"[12345678901234567890]",
        b'["\\u00e9"]',  # escaped where RFC 8785 writes UTF-8
        b'["\\u001F"]',  # uppercase hex escape
        b'["\\/"]',
        b'["\\ud800"]',  # lone surrogate
        b'["\\u2028"]',
        b"\xef\xbb\xbf[1]",  # byte order mark
        b"[NaN]",
        b"[Infinity]",
        b'["\xff"]',  # not UTF-8
        b'{"\xc3\xa9":1,"z":2}',  # non-ASCII key sorted by code point, not first
        b'{"\xef\xbd\xa1":1,"\xf0\x9f\x98\x80":2}',  # U+FF61 before U+1F600: code point order, not UTF-16
        b"",
        b"{",
    ],
)
def test_fast_checker_rejects_non_canonical_bytes(raw: bytes) -> None:
    ok, _ = is_canonical(raw)
    assert not ok


def test_fast_checker_accepts_what_rfc8785_writes_for_floats_and_non_ascii_keys() -> None:
    # The checker answers the RFC 8785 question exactly; refusing floats is the entry format's job.
    assert is_canonical(b"[1.5]") == (True, [1.5])
    assert is_canonical(b'{"\xf0\x9f\x98\x80":2,"\xef\xbd\xa1":1}')[0]
    assert is_canonical('{"z":2,"é":1}'.encode())[0]


def test_long_int_literal_scan() -> None:
    assert has_long_int_literal(b'{"a":1234567890123456}')
    assert has_long_int_literal(b"[-1234567890123456]")
    assert not has_long_int_literal(b'{"a":123456789012345}')
    assert not has_long_int_literal(b'{"h":"a1234567890123456"}')


def test_format_time_is_fixed_width_utc_with_microseconds() -> None:
    bishkek = timezone(timedelta(hours=6))
    assert format_time(datetime(2026, 3, 1, 15, 4, 5, tzinfo=bishkek)) == "2026-03-01T09:04:05.000000Z"
    assert format_time(datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == "0999-01-02T03:04:05.000006Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_time(datetime(2026, 3, 1))  # noqa: DTZ001 - the naive value is the point


def test_parse_time_round_trips() -> None:
    moment = datetime(2028, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_time(format_time(moment)) == moment
    assert is_time_string("2028-02-29T23:59:59.999999Z")


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-01T09:04:05Z",
        "2026-03-01T09:04:05.000Z",
        "2026-03-01T09:04:05.000000+00:00",
        "2026-03-01 09:04:05.000000Z",
        "2026-03-01T09:04:05.000000z",
        "2026-3-01T09:04:05.000000Z",
        "2026-02-30T09:04:05.000000Z",
        "2027-02-29T09:04:05.000000Z",
        "2026-04-31T09:04:05.000000Z",
        "2026-03-01T24:00:00.000000Z",
        "2026-03-01T23:59:60.000000Z",
        "２026-03-01T09:04:05.000000Z",  # fullwidth digit
        "2026-03-01T09:04:05.000000Z\n",
    ],
)
def test_parse_time_is_strict(text: str) -> None:
    assert not is_time_string(text)
    with pytest.raises(ValueError, match="time"):
        parse_time(text)
