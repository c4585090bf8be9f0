"""Bidders' keys in tests: Ed25519 software keys (as API clients hold), and a software passkey that answers
WebAuthn ceremonies as a browser's authenticator would, so the passkey path is tested without a browser.

`SoftwareAuthenticator.register` makes a real "none"-attestation RegistrationResponseJSON that py_webauthn
verifies; `signature` makes an assertion over a statement exactly as docs/keys.md 1.2 describes (authenticator
data, client data JSON with the statement's hash as challenge, a DER ECDSA P-256 signature).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.bidding.keys import KeyService
from auction.bidding.signer import Ed25519Signer, StatementSigner, next_statement, sign
from auction.clock import Clock
from auction.ledger.keys import LedgerKeys
from auction.ledger.verifier import statements as st
from auction.ledger.verifier.canonical import format_time
from tests.kit.world import World

__all__ = [
    "Ed25519Signer",
    "SoftwareAuthenticator",
    "StatementSigner",
    "api_application",
    "api_signed",
    "cbor",
    "register_signer",
    "sign",
    "signed_next",
]

USER_PRESENT, USER_VERIFIED, ATTESTED = 0x01, 0x04, 0x40


def cbor(value: object) -> bytes:
    """The little CBOR (RFC 8949) an attestation needs: maps, byte and text strings, integers, lists."""

    def head(major: int, n: int) -> bytes:
        if n < 24:
            return bytes([major << 5 | n])
        for extra, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
            if n < 1 << (8 * struct.calcsize(fmt)):
                return bytes([major << 5 | extra]) + struct.pack(fmt, n)
        raise ValueError(n)

    if isinstance(value, bool):
        return bytes([0xF5 if value else 0xF4])
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode()
        return head(3, len(data)) + data
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(cbor(item) for item in value)
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(type(value))


class SoftwareAuthenticator:
    """One passkey (ES256) on a make-believe platform authenticator that always verifies its user."""

    def __init__(self, rp_id: str = "localhost", origin: str = "http://localhost:8000") -> None:
        self.rp_id = rp_id
        self.origin = origin
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(16)
        self.counter = 0
        numbers = self.private_key.public_key().public_numbers()
        self.x, self.y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        self.key = st.key_object(st.WEBAUTHN_ES256, st.b64u(b"\x04" + self.x + self.y), rp_id)
        self.flags = USER_PRESENT | USER_VERIFIED

    def _auth_data(self, flags: int, extra: bytes = b"") -> bytes:
        self.counter += 1
        return hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.counter) + extra

    def register(self, options: dict[str, Any]) -> dict[str, Any]:
        """navigator.credentials.create() answered: the RegistrationResponseJSON for `options`."""
        assert options["rp"]["id"] == self.rp_id, options["rp"]
        cose = cbor({1: 2, 3: -7, -1: 1, -2: self.x, -3: self.y})
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose
        auth_data = self._auth_data(USER_PRESENT | USER_VERIFIED | ATTESTED, attested)
        client_data = json.dumps(
            {"type": "webauthn.create", "challenge": options["challenge"], "origin": self.origin, "crossOrigin": False}
        ).encode()
        attestation = cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": st.b64u(self.credential_id),
            "rawId": st.b64u(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": st.b64u(client_data),
                "attestationObject": st.b64u(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def signature(self, stmt: dict[str, Any]) -> dict[str, str]:
        """navigator.credentials.get() with the statement's hash as challenge: the parts `signed` carries."""
        client_data = json.dumps(
            {"type": "webauthn.get", "challenge": st.b64u(st.challenge(stmt)), "origin": self.origin}
        ).encode()
        auth_data = self._auth_data(self.flags)
        sig = self.private_key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "sig": st.b64u(sig),
            "authenticator_data": st.b64u(auth_data),
            "client_data_json": st.b64u(client_data),
        }


def signed_by(signer: StatementSigner, stmt: dict[str, Any]) -> dict[str, Any]:
    return sign(signer, stmt)


async def api_signed(
    client: httpx.AsyncClient,
    world: World,
    who: str,
    lot_id: int,
    action: str,
    fields: dict[str, Any] | None = None,
    *,
    signer: StatementSigner | None = None,
) -> dict[str, Any] | None:
    """``who``'s `signed` object for their next action, built as an API client does: from GET
    /api/lots/{id}/me/statement. None for someone with no key (an official, an anonymous caller)."""
    signer = signer or world.signers.get(who)
    if signer is None or who not in world.tokens:
        return None
    context = await client.get(f"/api/lots/{lot_id}/me/statement", headers=world.auth(who))
    assert context.status_code == 200, context.text
    body = context.json()
    seen_at = format_time(world.clock.now())
    stmt = st.statement(lot_id, body["bidder"], action, body["next_seq"], seen_at, fields or {})
    return sign(signer, stmt)


async def api_application(client: httpx.AsyncClient, world: World, who: str, lot_id: int) -> dict[str, Any]:
    """The JSON body of ``who``'s signed application to a lot."""
    keys = world.key_list(who)
    return {
        "keys": keys,
        "signed": await api_signed(client, world, who, lot_id, "application.submitted", {"keys": keys}),
    }


async def register_signer(session: AsyncSession, clock: Clock, user: User) -> Ed25519Signer:
    """A new software key, registered on the account of a bidder made outside the kit's world."""
    signer = Ed25519Signer()
    await KeyService(session, clock).add_ed25519(user, signer.public_key, signer.proof(user.id), "test")
    return signer


async def signed_next(
    session: AsyncSession,
    keys: LedgerKeys,
    clock: Clock,
    user: User,
    signer: StatementSigner,
    lot_id: int,
    action: str,
    fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The `signed` object of ``user``'s next action on a lot, read from the database the action will use."""
    stmt = await next_statement(session, keys, user.id, lot_id, action, fields or {}, clock.now())
    return sign(signer, stmt)
