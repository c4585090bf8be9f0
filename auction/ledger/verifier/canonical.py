"""RFC 8785 canonical JSON for the ledger: the writer's encoder, the verifier's checker, and time strings.

Value domain of every ledger document: objects with string keys, arrays, strings, booleans, null and
integers within +-(2**53 - 1). Floats are refused because two encoders may print them differently.

`canonical` is the writer's encoder and always goes through the `rfc8785` reference implementation.
`is_canonical` is the verifier's checker and normally takes a fast path: parse with `json`, re-encode with
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` and compare. For the domain above
that re-encoding is byte-identical to RFC 8785:

* integers of at most 16 digits print as plain decimal in both (ECMAScript prints integral doubles below
  1e21 without exponent), booleans and null are spelled the same, there is no insignificant whitespace;
* strings: both escape exactly ``"`` and ``\\`` and the controls below U+0020, use the short escapes
  ``\\b \\t \\n \\f \\r`` and lowercase ``\\u00xx`` for the other controls, and emit everything else
  (U+007F, U+2028, non-ASCII) as raw UTF-8;
* object keys: `sort_keys` orders by code point while RFC 8785 orders by UTF-16 code unit; the two orders
  agree on ASCII keys.

Where that argument does not hold the checker falls back to `rfc8785`: a non-ASCII object key, any float
(e.g. ``100.00``, which RFC 8785 prints as ``100``), or an integer outside the safe range (which
`rfc8785` refuses, so the document is not canonical).
"""

from __future__ import annotations

import json
import json.encoder
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

import rfc8785

MAX_SAFE_INTEGER = 2**53 - 1


# Maps digits to "0", "-" to itself, the three bytes that can precede a JSON number to ":" and everything
# else to a space, so that an integer literal of 16+ digits (the only kind that can leave the safe range)
# shows up as a plain substring search. String contents can match too; that only costs a precise check.
_NUMBER_MAP = bytes(
    0x30 if 0x30 <= b <= 0x39 else 0x3A if b in b":,[" else 0x2D if b == 0x2D else 0x20 for b in range(256)
)
_LONG_INT = b":" + b"0" * 16
_LONG_NEG_INT = b":-" + b"0" * 16

# A ledger time string's shape; its fields sit at fixed offsets (_TIME_FIELDS). The verifier's block scanner
# embeds the same pattern in its whole-leaf expressions.
TIME_PATTERN = (
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z"
)
_TIME_RE = re.compile(TIME_PATTERN)
_TIME_FIELDS = ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19), (20, 26))


class CanonicalError(ValueError):
    """A value cannot be written as ledger canonical JSON."""


class _FloatSeen(Exception):
    """Raised from inside the JSON parser when the document has a non-integer number."""


def _reject_float(text: str) -> Any:
    raise _FloatSeen(text)


def reject_constant(text: str) -> Any:
    """A `parse_constant` for `json` decoders: NaN and Infinity are Python extensions, not JSON."""
    raise ValueError(f"{text} is not JSON")


_DECODE = json.JSONDecoder(parse_float=_reject_float, parse_constant=reject_constant).decode
_DECODE_WITH_FLOATS = json.JSONDecoder(parse_constant=reject_constant).decode


def _refuse(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON")


def _fast_encoder() -> Callable[[object, int], Sequence[str]]:
    make = getattr(json.encoder, "c_make_encoder", None)  # absent on Pythons without the C accelerator
    if make is None:
        slow = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return lambda value, _level: [slow.encode(value)]
    # The C encoder called directly skips JSONEncoder.encode's per-call set-up, a third of its cost on a
    # ledger payload: arguments are markers, default, string encoder, indent, key and item separators,
    # sort_keys, skipkeys, allow_nan.
    encoder: Callable[[object, int], Sequence[str]] = make(
        None, _refuse, json.encoder.encode_basestring, None, ":", ",", True, False, False
    )
    return encoder


encode_pieces = _fast_encoder()
"""``encode_pieces(value, 0)``: the pieces of `value`'s fast-path JSON (sorted keys, no whitespace, raw UTF-8),
which for the ledger's value domain joins to its RFC 8785 form (see the module docstring)."""


def check_domain(value: object, path: str) -> None:
    """Raise CanonicalError if `value` leaves the ledger's JSON value domain."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalError(f"{path}: integer {value} is outside +-(2**53 - 1)")
        return
    if isinstance(value, float):
        raise CanonicalError(f"{path}: floats are not allowed in ledger JSON (got {value!r}); use integers")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise CanonicalError(f"{path}: string is not valid Unicode (lone surrogate)") from None
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_domain(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: object key {key!r} is not a string")
            check_domain(key, f"{path} key")
            check_domain(item, f"{path}.{key}")
        return
    raise CanonicalError(f"{path}: {type(value).__name__} is not a JSON value")


def canonical(obj: object) -> bytes:
    """RFC 8785 canonical JSON bytes of `obj`; refuses floats, unsafe integers and non-JSON types."""
    check_domain(obj, "$")
    try:
        out: bytes = rfc8785.dumps(cast(Any, obj))
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalError(str(exc)) from exc
    return out


def has_long_int_literal(raw: bytes) -> bool:
    """True if `raw` may contain an integer literal of 16 or more digits (false positives allowed)."""
    mapped = raw.translate(_NUMBER_MAP)
    return _LONG_INT in mapped or _LONG_NEG_INT in mapped


def _has_unsafe_int(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    if isinstance(value, list):
        return any(_has_unsafe_int(item) for item in value)
    if isinstance(value, dict):
        return any(_has_unsafe_int(item) for item in value.values())
    return False


def keys_ascii(value: object) -> bool:
    """True if every object key anywhere inside `value` is ASCII."""
    if isinstance(value, dict):
        return all(key.isascii() and keys_ascii(item) for key, item in value.items())
    if isinstance(value, list):
        return all(keys_ascii(item) for item in value)
    return True


def _reference_equal(obj: object, raw: bytes) -> bool:
    try:
        return bool(rfc8785.dumps(cast(Any, obj)) == raw)
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return False


def _parse(raw: bytes) -> tuple[object, bool] | None:
    """The JSON in `raw` and whether it holds a float; None if it is not UTF-8 JSON."""
    try:
        text = raw.decode("utf-8")
        try:
            return _DECODE(text), False
        except _FloatSeen:
            return _DECODE_WITH_FLOATS(text), True
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None


def is_canonical(raw: bytes) -> tuple[bool, object]:
    """Whether `raw` is exactly the RFC 8785 form of the JSON it holds, and that JSON (None if unparsable)."""
    parsed = _parse(raw)
    if parsed is None:
        return False, None
    obj, has_float = parsed
    try:
        if (
            has_float
            or (has_long_int_literal(raw) and _has_unsafe_int(obj))
            or (not raw.isascii() and not keys_ascii(obj))
        ):
            return _reference_equal(obj, raw), obj
        return "".join(encode_pieces(obj, 0)).encode("utf-8") == raw, obj
    except (ValueError, RecursionError):
        # Too deep to re-encode, or a lone surrogate that cannot be written: not canonical either way.
        return False, obj


def is_time_string(text: str) -> bool:
    """True if `text` is a valid ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` time string."""
    if _TIME_RE.fullmatch(text) is None:
        return False
    day = int(text[8:10])
    if day <= 28:
        return True
    try:
        date(int(text[0:4]), int(text[5:7]), day)
    except ValueError:
        return False
    return True


def format_time(moment: datetime) -> str:
    """The ledger's fixed UTC time format, microseconds always present: 2026-01-31T09:05:00.000000Z."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("ledger times must be timezone-aware")
    u = moment.astimezone(UTC)
    # Spelled out rather than strftime: %Y does not zero-pad years below 1000 on every platform.
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}Z"


def parse_time(text: str) -> datetime:
    """Parse a ledger time string strictly (exact format, real calendar date) into an aware UTC datetime."""
    if _TIME_RE.fullmatch(text) is None:
        raise ValueError(f"not a ledger time string (YYYY-MM-DDTHH:MM:SS.ffffffZ): {text!r}")
    year, month, day, hour, minute, second, micro = (int(text[a:b]) for a, b in _TIME_FIELDS)
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError:
        raise ValueError(f"not a real calendar time: {text!r}") from None
