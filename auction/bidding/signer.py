"""A software Ed25519 bidder key: what an API client (or the demo's seeded bidders) signs statements with.

The platform itself never holds a bidder's private key; this module is for the client side only: the demo's
make-believe bidders and the tests' kit. It builds the statement of docs/keys.md 1.1 from what the platform
tells any bidder (their pseudonym and next seq, as GET /api/lots/{id}/me/statement does) and signs it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.ext.asyncio import AsyncSession

from auction.bidding.keys import find_application
from auction.ledger.keys import LedgerKeys
from auction.ledger.verifier import statements as st
from auction.ledger.verifier.canonical import canonical, format_time


class StatementSigner(Protocol):
    """A bidder key: its key object, and the signature parts of `signed` over a statement."""

    @property
    def key(self) -> dict[str, str]: ...

    def signature(self, stmt: dict[str, Any]) -> dict[str, str]: ...


class Ed25519Signer:
    def __init__(self, private_key: Ed25519PrivateKey | None = None) -> None:
        self.private_key = private_key or Ed25519PrivateKey.generate()
        raw = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key = st.key_object(st.ED25519, st.b64u(raw))

    @property
    def public_key(self) -> str:
        return self.key["public_key"]

    def proof(self, user_id: int) -> str:
        """The proof of possession POST /api/me/keys asks for."""
        return st.b64u(self.private_key.sign(st.registration_message(user_id, self.public_key)))

    def signature(self, stmt: dict[str, Any]) -> dict[str, str]:
        return {"sig": st.b64u(self.private_key.sign(canonical(stmt)))}


def sign(signer: StatementSigner, stmt: dict[str, Any]) -> dict[str, Any]:
    """The `signed` object of a statement."""
    return {"key_id": st.key_id(signer.key), "seq": stmt["seq"], "seen_at": stmt["seen_at"], **signer.signature(stmt)}


async def next_statement(
    session: AsyncSession,
    keys: LedgerKeys,
    user_id: int,
    lot_id: int,
    action: str,
    fields: dict[str, Any],
    seen_at: datetime,
) -> dict[str, Any]:
    """The statement of the bidder's next action on a lot: their pseudonym there and the seq that comes next."""
    application = await find_application(session, lot_id, user_id)
    seq = 1 if application is None else application.last_seq + 1
    return st.statement(lot_id, keys.pseudonym(lot_id, user_id), action, seq, format_time(seen_at), fields)
