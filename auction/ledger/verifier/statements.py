"""Bidder statements (docs/keys.md section 1): key objects, key ids, the signed statement and its checks.

Pure functions with `cryptography` only: the platform refuses with them, and the offline replay finds with
them, so a statement the service took is one an inspector's verifier accepts, and the reverse.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from auction.ledger.verifier.canonical import canonical, format_time, is_time_string, parse_time

STATEMENT = "achyk-bidder-statement/v1"
REGISTRATION = "achyk-key-registration/v1"
ED25519 = "ed25519"
WEBAUTHN_ES256 = "webauthn-es256"
ALGS = frozenset({ED25519, WEBAUTHN_ES256})
STATEMENT_MAX_SKEW_SECONDS = 300
MAX_KEYS = 5

# The action fields each signed kind carries into its statement (docs/keys.md 1.1).
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "application.submitted": ("keys",),
    "bid.placed": ("amount",),
    "bid.sealed": ("ciphertext_hash",),
    "bid.withdrawn": (),
    "bid.accepted": ("limit",),
    "award.signed": ("price",),
    "award.declined": (),
    "bidder.key.added": ("key",),
    "bidder.key.replaced": ("key", "reason"),
    "runoff.offer": ("offer_hash",),
}
SIGNED_KINDS = frozenset(ACTION_FIELDS)

_KEY_ID_RE = re.compile(r"[0-9a-f]{32}")
_B64U_RE = re.compile(r"[A-Za-z0-9_-]*")
_RP_ID_RE = re.compile(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")
_UP, _UV = 0x01, 0x04


class StatementError(ValueError):
    """A key or a `signed` object is malformed, or its signature does not verify; `code` names the refusal."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str, what: str) -> bytes:
    if type(text) is not str or _B64U_RE.fullmatch(text) is None or len(text) % 4 == 1:
        raise StatementError("statement.bad_signature", f"{what} is not base64url without padding")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise StatementError("statement.bad_signature", f"{what} is not base64url") from None


# --- keys ---------------------------------------------------------------------------------------------------


def key_object(alg: str, public_key: str, rp_id: str | None = None) -> dict[str, str]:
    """The key object of docs/keys.md: what the ledger records and the key id hashes."""
    obj = {"alg": alg, "public_key": public_key}
    if alg == WEBAUTHN_ES256:
        assert rp_id is not None, "a passkey's key object names its relying party"
        obj["rp_id"] = rp_id
    return obj


def key_id(key: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(key)).hexdigest()[:32]


def check_key(key: object) -> dict[str, str]:
    """A well-formed key object (exact fields, a decodable public key), or StatementError."""
    if type(key) is not dict:
        raise StatementError("statement.unknown_key", "a key must be an object")
    alg = key.get("alg")
    expected = {"alg", "public_key", "rp_id"} if alg == WEBAUTHN_ES256 else {"alg", "public_key"}
    if alg not in ALGS:
        raise StatementError("statement.unknown_key", f"key alg {alg!r} is not one of {sorted(ALGS)}")
    if set(key) != expected:
        raise StatementError("statement.unknown_key", f"a {alg} key has exactly the fields {sorted(expected)}")
    raw = unb64u(key["public_key"], "public_key")
    problem = _key_problem(alg, raw, key.get("rp_id"))
    if problem is not None:
        raise StatementError("statement.unknown_key", f"the key is not usable: {problem}")
    return dict(key)


def _key_problem(alg: str, raw: bytes, rp_id: object) -> str | None:
    if alg == ED25519:
        return None if len(raw) == 32 else "an Ed25519 public key is 32 bytes"
    if len(raw) != 65 or raw[0] != 0x04:
        return "a passkey public key is a 65-byte uncompressed P-256 point"
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return "the passkey public key is not a point of P-256"
    if type(rp_id) is not str or _RP_ID_RE.fullmatch(rp_id) is None:
        return f"rp_id {rp_id!r} is not a relying party id"
    return None


def check_keys(keys: object) -> list[dict[str, str]]:
    """An application's `keys`: 1..5 distinct key objects, sorted by key id."""
    if type(keys) is not list or not 1 <= len(keys) <= MAX_KEYS:
        raise StatementError("statement.unknown_key", f"keys must list 1 to {MAX_KEYS} key objects")
    checked = [check_key(key) for key in keys]
    ids = [key_id(key) for key in checked]
    if ids != sorted(set(ids)):
        raise StatementError("statement.unknown_key", "keys must be distinct and sorted by key_id")
    return checked


def registration_message(user_id: int, public_key: str) -> bytes:
    """What an API client signs with a new Ed25519 key to prove it holds it."""
    return f"{REGISTRATION}|user={user_id}|public_key={public_key}".encode()


def verify_registration(user_id: int, public_key: str, proof: str) -> None:
    raw = unb64u(public_key, "public_key")
    if len(raw) != 32:
        raise StatementError("statement.bad_signature", "an Ed25519 public key is 32 bytes")
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(
            unb64u(proof, "proof"), registration_message(user_id, public_key)
        )
    except (InvalidSignature, ValueError):
        raise StatementError("statement.bad_signature", "the proof is not the key's signature") from None


# --- the statement ------------------------------------------------------------------------------------------


def statement(lot: int, bidder: str, action: str, seq: int, seen_at: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The statement a bidder signs for one action (docs/keys.md 1.1)."""
    head = {"statement": STATEMENT, "lot": lot, "bidder": bidder, "action": action, "seq": seq, "seen_at": seen_at}
    return head | fields


def action_fields(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The action's fields, taken from a ledger payload (missing ones are left out and fail the signature)."""
    return {name: payload[name] for name in ACTION_FIELDS[action] if name in payload}


def challenge(stmt: dict[str, Any]) -> bytes:
    """The WebAuthn challenge of a statement: SHA256(JCS(statement))."""
    return hashlib.sha256(canonical(stmt)).digest()


def parse_signed(signed: object) -> dict[str, Any]:
    """The `signed` object's shape: key_id, seq, seen_at, sig (+ the WebAuthn parts), or StatementError."""
    if signed is None:
        raise StatementError("statement.missing", "the action is not signed")
    if type(signed) is not dict:
        raise StatementError("statement.missing", "signed must be an object")
    base = {"key_id", "seq", "seen_at", "sig"}
    allowed = base | {"authenticator_data", "client_data_json"}
    unknown = sorted(set(signed) - allowed)
    missing = sorted(base - set(signed))
    if unknown or missing:
        raise StatementError("statement.missing", f"signed has unknown fields {unknown} or misses {missing}")
    if ("authenticator_data" in signed) != ("client_data_json" in signed):
        raise StatementError("statement.missing", "signed needs both authenticator_data and client_data_json")
    if type(signed["key_id"]) is not str or _KEY_ID_RE.fullmatch(signed["key_id"]) is None:
        raise StatementError("statement.unknown_key", "signed key_id is not 32 lower-case hex digits")
    if type(signed["seq"]) is not int or signed["seq"] < 1:
        raise StatementError("statement.wrong_sequence", "signed seq must be an integer of at least 1")
    if type(signed["seen_at"]) is not str or not is_time_string(signed["seen_at"]):
        raise StatementError("statement.stale", "signed seen_at is not a ledger time string")
    return dict(signed)


def verify_signature(key: dict[str, Any], stmt: dict[str, Any], signed: dict[str, Any]) -> None:
    """The signature in `signed` is the key's over the statement; StatementError otherwise."""
    sig = unb64u(signed["sig"], "sig")
    message = canonical(stmt)
    public = unb64u(key["public_key"], "public_key")
    if key["alg"] == ED25519:
        if "authenticator_data" in signed:
            raise StatementError("statement.bad_signature", "an Ed25519 signature has no WebAuthn parts")
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(sig, message)
        except (InvalidSignature, ValueError):
            raise StatementError("statement.bad_signature", "the Ed25519 signature does not verify") from None
        return
    if "authenticator_data" not in signed:
        raise StatementError("statement.bad_signature", "a passkey signature needs authenticator_data")
    auth_data = unb64u(signed["authenticator_data"], "authenticator_data")
    client_raw = unb64u(signed["client_data_json"], "client_data_json")
    try:
        client = json.loads(client_raw)
    except (UnicodeDecodeError, ValueError):
        raise StatementError("statement.bad_signature", "client_data_json is not JSON") from None
    if type(client) is not dict or client.get("type") != "webauthn.get":
        raise StatementError("statement.bad_signature", "client_data_json type is not webauthn.get")
    if client.get("challenge") != b64u(challenge(stmt)):
        raise StatementError("statement.bad_signature", "the passkey signed another statement")
    if len(auth_data) < 37 or auth_data[:32] != hashlib.sha256(key["rp_id"].encode()).digest():
        raise StatementError("statement.bad_signature", "authenticator_data is not for the key's relying party")
    if auth_data[32] & (_UP | _UV) != _UP | _UV:
        raise StatementError("statement.bad_signature", "the passkey did not verify the user")
    try:
        point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
        point.verify(sig, auth_data + hashlib.sha256(client_raw).digest(), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        raise StatementError("statement.bad_signature", "the passkey signature does not verify") from None


def check_fresh(seen_at: str, at: datetime) -> None:
    """The bidder saw the action within STATEMENT_MAX_SKEW_SECONDS of its admission."""
    skew = abs((at - parse_time(seen_at)).total_seconds())
    if skew > STATEMENT_MAX_SKEW_SECONDS:
        raise StatementError(
            "statement.stale",
            f"signed seen_at {seen_at} is {skew:.0f} s from the admission at {format_time(at)} "
            f"(at most {STATEMENT_MAX_SKEW_SECONDS} s)",
        )


def check_signed(
    lot: int, kind: str, payload: dict[str, Any], at: datetime, keys: Mapping[str, dict[str, Any]], seq: int
) -> dict[str, Any]:
    """The entry's `signed` is by one of `keys`, carries `seq`, is fresh at `at` and verifies (docs/keys.md 1.3).

    `payload` is the ledger payload of `kind` (with `bidder` and `signed`); returns the parsed `signed`.
    """
    signed = parse_signed(payload.get("signed"))
    key = keys.get(signed["key_id"])
    if key is None:
        raise StatementError("statement.unknown_key", f"key {signed['key_id']} is not registered on the lot")
    bidder = payload.get("bidder")
    if type(bidder) is not str:
        raise StatementError("statement.bad_signature", "the payload names no bidder")
    stmt = statement(lot, bidder, kind, signed["seq"], signed["seen_at"], action_fields(kind, payload))
    verify_signature(key, stmt, signed)
    if signed["seq"] != seq:
        raise StatementError("statement.wrong_sequence", f"signed seq {signed['seq']} where {seq} comes next")
    check_fresh(signed["seen_at"], at)
    return signed
