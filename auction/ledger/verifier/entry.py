"""Ledger entry format: the body fixed at admission and the leaf fixed at integration.

body = canonical JSON of
    {"v":1, "kind":str, "lot":int|null, "lot_seq":int>=1, "prev_body":hex64, "at":time, "actor":str,
     "payload":object}
  `prev_body` is the hex SHA-256 of the previous body of the same lot (lot null is the platform chain),
  or 64 zeros when lot_seq is 1. The body hash is the hex SHA-256 of the body bytes.

leaf = canonical JSON of {"v":1, "index":int>=0, "integrated_at":time, "prev_leaf":hex64, "body":<body object>}
  `integrated_at` is when the integrator appended the body, never earlier than the body's `at`.
  `prev_leaf` is the hex RFC 6962 leaf hash (`merkle.hash_leaf`: SHA-256(0x00 || leaf bytes)) of the leaf at index-1,
  or 64 zeros at index 0.

Canonical JSON nests: the leaf bytes are ``{"body":`` + body bytes + a fixed tail, because "body" sorts
before "index", "integrated_at", "prev_leaf" and "v". The verifier relies on this to hash the body without
re-encoding it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auction.ledger.verifier.canonical import (
    MAX_SAFE_INTEGER,
    CanonicalError,
    canonical,
    check_domain,
    format_time,
    is_canonical,
    is_time_string,
    parse_time,
)
from auction.ledger.verifier.merkle import hash_leaf

FORMAT_VERSION = 1
ZERO_HASH = "0" * 64
LEAF_PREFIX = b'{"body":'
BODY_KEYS = frozenset({"v", "kind", "lot", "lot_seq", "prev_body", "at", "actor", "payload"})
LEAF_KEYS = frozenset({"v", "index", "integrated_at", "prev_leaf", "body"})
MAX_KIND_LENGTH = 64
MAX_ACTOR_LENGTH = 256

# Kinds are ASCII identifiers such as "bid.sealed"; the verifier's fast path relies on them needing no
# JSON escaping.
KIND_RE = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")
HEX64_RE = re.compile(r"[0-9a-f]{64}")


class LedgerFormatError(ValueError):
    """An entry does not follow the ledger format; `reason` says which rule it breaks."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _is_int(value: object, low: int) -> bool:
    return type(value) is int and low <= value <= MAX_SAFE_INTEGER


def _is_time(value: object) -> bool:
    return type(value) is str and is_time_string(value)


def _is_hex64(value: object) -> bool:
    return type(value) is str and HEX64_RE.fullmatch(value) is not None


def _fields_problem(obj: dict[str, Any], keys: frozenset[str], what: str) -> str | None:
    if obj.keys() == keys:
        return None
    missing, extra = sorted(keys - obj.keys()), sorted(obj.keys() - keys)
    return f"{what} fields wrong (missing {missing}, unexpected {extra})"


def _body_problems(obj: dict[str, Any]) -> Iterator[str]:
    # Rules in reporting order; the caller takes only the first, so later rules may rely on earlier ones.
    if not (type(obj["v"]) is int and obj["v"] == FORMAT_VERSION):
        yield f"body v must be {FORMAT_VERSION}"
    if type(obj["kind"]) is not str or KIND_RE.fullmatch(obj["kind"]) is None:
        yield "body kind must match [a-z0-9][a-z0-9_.-]{0,63}"
    if obj["lot"] is not None and not _is_int(obj["lot"], 1):
        yield "body lot must be null or an integer >= 1"
    if not _is_int(obj["lot_seq"], 1):
        yield "body lot_seq must be an integer >= 1"
    if not _is_hex64(obj["prev_body"]):
        yield "body prev_body must be 64 lowercase hex digits"
    if obj["lot_seq"] == 1 and obj["prev_body"] != ZERO_HASH:
        yield "body prev_body must be 64 zeros when lot_seq is 1"
    if not _is_time(obj["at"]):
        yield "body at must be a time string YYYY-MM-DDTHH:MM:SS.ffffffZ"
    if type(obj["actor"]) is not str or not 1 <= len(obj["actor"]) <= MAX_ACTOR_LENGTH:
        yield f"body actor must be a string of 1..{MAX_ACTOR_LENGTH} characters"
    if type(obj["payload"]) is not dict:
        yield "body payload must be a JSON object"
    try:
        check_domain(obj["payload"], "payload")
    except CanonicalError as exc:
        yield f"body {exc}"


def body_problem(obj: object) -> str | None:
    """Why `obj` is not a valid body object, or None if it is."""
    if type(obj) is not dict:
        return "body is not a JSON object"
    return _fields_problem(obj, BODY_KEYS, "body") or next(_body_problems(obj), None)


def leaf_problem(obj: object) -> str | None:
    """Why `obj` is not a valid leaf object (body included), or None if it is."""
    if type(obj) is not dict:
        return "leaf is not a JSON object"
    problem = _fields_problem(obj, LEAF_KEYS, "leaf")
    if problem is None and not (type(obj["v"]) is int and obj["v"] == FORMAT_VERSION):
        problem = f"leaf v must be {FORMAT_VERSION}"
    if problem is None and not _is_int(obj["index"], 0):
        problem = "leaf index must be an integer >= 0"
    if problem is None and not _is_time(obj["integrated_at"]):
        problem = "leaf integrated_at must be a time string YYYY-MM-DDTHH:MM:SS.ffffffZ"
    if problem is None and not _is_hex64(obj["prev_leaf"]):
        problem = "leaf prev_leaf must be 64 lowercase hex digits"
    if problem is None and obj["index"] == 0 and obj["prev_leaf"] != ZERO_HASH:
        problem = "leaf prev_leaf must be 64 zeros at index 0"
    problem = problem or body_problem(obj["body"])
    if problem is None:
        # Both are fixed-format UTC time strings, so text order is time order.
        problem = admission_after_integration(obj["body"]["at"], obj["integrated_at"])
    return problem


def admission_after_integration(at: str, integrated_at: str) -> str | None:
    """The reason a leaf breaks "the body's at is not after the leaf's integrated_at", or None."""
    if at > integrated_at:
        return f"body at {at} is after the leaf's integrated_at {integrated_at}"
    return None


@dataclass(frozen=True, slots=True)
class Body:
    """A parsed, validated body; `raw` is its exact canonical bytes."""

    kind: str
    lot: int | None
    lot_seq: int
    prev_body: str
    at: str
    actor: str
    payload: dict[str, Any]
    raw: bytes = field(repr=False)

    @property
    def hash(self) -> str:
        """Hex SHA-256 of the body bytes."""
        return body_hash(self.raw)

    @property
    def at_datetime(self) -> datetime:
        """`at` as an aware UTC datetime."""
        return parse_time(self.at)


@dataclass(frozen=True, slots=True)
class Leaf:
    """A parsed, validated leaf; `raw` is its exact canonical bytes."""

    index: int
    integrated_at: str
    prev_leaf: str
    body: Body
    raw: bytes = field(repr=False)

    @property
    def hash(self) -> bytes:
        """RFC 6962 leaf hash of the leaf bytes (what the next leaf's `prev_leaf` holds, in hex)."""
        return hash_leaf(self.raw)

    @property
    def integrated_at_datetime(self) -> datetime:
        """`integrated_at` as an aware UTC datetime."""
        return parse_time(self.integrated_at)


def _body_from_obj(obj: dict[str, Any], raw: bytes) -> Body:
    return Body(
        kind=obj["kind"],
        lot=obj["lot"],
        lot_seq=obj["lot_seq"],
        prev_body=obj["prev_body"],
        at=obj["at"],
        actor=obj["actor"],
        payload=obj["payload"],
        raw=raw,
    )


def _parse_canonical(raw: bytes, what: str) -> object:
    ok, obj = is_canonical(raw)
    if obj is None:
        raise LedgerFormatError(f"{what} is not valid UTF-8 JSON")
    if not ok:
        raise LedgerFormatError(f"{what} bytes are not canonical JSON (RFC 8785)")
    return obj


def parse_body(raw: bytes) -> Body:
    """Parse and validate body bytes; raises LedgerFormatError."""
    obj = _parse_canonical(raw, "body")
    problem = body_problem(obj)
    if problem is not None:
        raise LedgerFormatError(problem)
    assert isinstance(obj, dict)
    return _body_from_obj(obj, raw)


def leaf_tail(index: int, integrated_at: str, prev_leaf: str) -> bytes:
    """The bytes that follow the body inside a canonical leaf (no field here needs JSON escaping)."""
    return (
        f',"index":{index},"integrated_at":"{integrated_at}","prev_leaf":"{prev_leaf}","v":{FORMAT_VERSION}}}'
    ).encode()


def parse_leaf(raw: bytes) -> Leaf:
    """Parse and validate leaf bytes (body included); raises LedgerFormatError."""
    obj = _parse_canonical(raw, "leaf")
    problem = leaf_problem(obj)
    if problem is not None:
        raise LedgerFormatError(problem)
    assert isinstance(obj, dict)
    tail = leaf_tail(obj["index"], obj["integrated_at"], obj["prev_leaf"])
    body_raw = raw[len(LEAF_PREFIX) : len(raw) - len(tail)]
    body = _body_from_obj(obj["body"], body_raw)
    return Leaf(index=obj["index"], integrated_at=obj["integrated_at"], prev_leaf=obj["prev_leaf"], body=body, raw=raw)


def make_body(
    *,
    kind: str,
    lot: int | None,
    lot_seq: int,
    prev_body: str,
    at: datetime | str,
    actor: str,
    payload: dict[str, Any],
) -> bytes:
    """Canonical body bytes; raises LedgerFormatError if any field breaks the format."""
    obj: dict[str, Any] = {
        "v": FORMAT_VERSION,
        "kind": kind,
        "lot": lot,
        "lot_seq": lot_seq,
        "prev_body": prev_body,
        "at": format_time(at) if isinstance(at, datetime) else at,
        "actor": actor,
        "payload": payload,
    }
    problem = body_problem(obj)
    if problem is not None:
        raise LedgerFormatError(problem)
    return canonical(obj)


def body_hash(body: bytes) -> str:
    """Hex SHA-256 of body bytes: what `prev_body` and receipts refer to."""
    return hashlib.sha256(body).hexdigest()


def make_leaf(index: int, prev_leaf: str, body: bytes, integrated_at: datetime | str) -> bytes:
    """Canonical leaf bytes wrapping already-canonical body bytes; raises LedgerFormatError.

    `integrated_at` must not be earlier than the body's `at`.
    """
    parsed = parse_body(body)
    integrated = format_time(integrated_at) if isinstance(integrated_at, datetime) else integrated_at
    problem = None
    if not _is_int(index, 0):
        problem = "leaf index must be an integer >= 0"
    elif not _is_time(integrated):
        problem = "leaf integrated_at must be a time string YYYY-MM-DDTHH:MM:SS.ffffffZ"
    elif not _is_hex64(prev_leaf):
        problem = "leaf prev_leaf must be 64 lowercase hex digits"
    elif index == 0 and prev_leaf != ZERO_HASH:
        problem = "leaf prev_leaf must be 64 zeros at index 0"
    else:
        problem = admission_after_integration(parsed.at, integrated)
    if problem is not None:
        raise LedgerFormatError(problem)
    return LEAF_PREFIX + body + leaf_tail(index, integrated, prev_leaf)
