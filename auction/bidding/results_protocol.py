"""The results protocol of a decided lot: issued into the ledger with the award, signed by the commission's own keys.

The document is the verifier's (`auction.ledger.verifier.protocol.build_protocol`) built from the lot's chain, so the
replay rebuilds exactly what was issued. A member signs its hash with a key registered on their own account from
their own device (docs/keys.md 3); the platform only checks and logs the signature, it holds no member's key.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.bidding.keys import KeyService, key_out
from auction.bidding.models import Award
from auction.clock import Clock
from auction.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.models import LedgerEntry, PendingEntry
from auction.ledger.verifier import protocol as pr
from auction.ledger.verifier.entry import Body, parse_body, parse_leaf
from auction.lots.models import Lot
from auction.lots.service import LotService, actor_of

SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Signature:
    """One member's logged signature on the protocol hash."""

    member: int
    key: dict[str, Any]
    signed: dict[str, Any]
    at: str
    lot_seq: int


@dataclass(frozen=True, slots=True)
class ProtocolView:
    """The issued protocol as the ledger holds it, and who of the commission has signed it."""

    document: dict[str, Any]
    protocol_hash: str
    issued_at: str
    lot_seq: int
    body_hash: str
    signatures: list[Signature]

    @property
    def commission(self) -> list[int]:
        return list(self.document["commission"]["members"])

    @property
    def required(self) -> int:
        return int(self.document["commission"]["required"])

    @property
    def signers(self) -> list[int]:
        return [s.member for s in self.signatures]

    @property
    def complete(self) -> bool:
        return pr.complete(self.commission, self.signers)

    def statement(self, member: int) -> dict[str, Any]:
        return pr.signature_statement(int(self.document["lot"]), member, self.protocol_hash)


class ProtocolService:
    """The caller owns the transaction."""

    def __init__(self, session: AsyncSession, clock: Clock, ledger: LedgerWriter) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.lots = LotService(session, clock, ledger)

    async def issue(self, lot: Lot) -> Admitted:
        """Build the protocol from the lot's chain (its award just recorded) and log it; the caller holds the lock."""
        chain = await self._bodies(lot.id, pr.SOURCE_KINDS)
        document = pr.build_protocol(chain, await self._winner_name(lot.id, chain))
        payload = {"protocol": document, "protocol_hash": pr.protocol_hash(document)}
        return await self.ledger.record(pr.ISSUED, lot.id, SYSTEM, payload)

    async def view(self, lot_id: int) -> ProtocolView | None:
        """The lot's protocol and its signatures, or None before it is issued."""
        bodies = await self._bodies(lot_id, {pr.ISSUED, pr.SIGNED})
        issued = next((b for b in bodies if b.kind == pr.ISSUED), None)
        if issued is None:
            return None
        signatures = [
            Signature(b.payload["member"], b.payload["key"], b.payload["signed"], b.at, b.lot_seq)
            for b in bodies
            if b.kind == pr.SIGNED
        ]
        return ProtocolView(
            issued.payload["protocol"],
            issued.payload["protocol_hash"],
            issued.at,
            issued.lot_seq,
            issued.hash,
            signatures,
        )

    async def get(self, lot_id: int) -> ProtocolView:
        await self.lots.get(lot_id)
        view = await self.view(lot_id)
        if view is None:
            raise NotFound("protocol.not_issued", lot_id=lot_id)
        return view

    async def sign(self, member: User, lot_id: int, key_id: str, signed: dict[str, Any]) -> Admitted:
        """A commission member's signature on the protocol hash, by a key of their own account."""
        lot = await self.lots.lock(lot_id)
        view = await self.view(lot.id)
        if view is None:
            raise NotFound("protocol.not_issued", lot_id=lot.id)
        if member.id not in view.commission or member.municipality_id != lot.municipality_id:
            raise PermissionDenied("protocol.not_member", lot_id=lot.id)
        if member.id in view.signers:
            raise Conflict("protocol.already_signed", lot_id=lot.id)
        # Only a key the member registered, unrevoked: a key the server made up is no key of theirs.
        key = (await KeyService(self.session, self.clock).active(member)).get(key_id)
        if key is None:
            raise InvalidInput("protocol.unknown_key", field="key_id", key_id=key_id)
        key_object = key_out(key)
        signed = {"key_id": key_id, **{k: v for k, v in signed.items() if k != "key_id"}}
        try:
            pr.check_signature(lot.id, member.id, view.protocol_hash, key_object, signed)
        except pr.ProtocolError as exc:
            raise InvalidInput("protocol.bad_signature", field="signed", reason=exc.reason) from None
        payload = {"member": member.id, "key": key_object, "signed": signed}
        admitted = await self.ledger.record(pr.SIGNED, lot.id, actor_of(member), payload)
        await self.session.flush()
        return admitted

    async def names(self, ids: Collection[int]) -> dict[int, str]:
        """Commission members' names by user id (officials act in public)."""
        if not ids:
            return {}
        rows = await self.session.scalars(select(User).where(User.id.in_(list(ids))))
        return {user.id: user.full_name for user in rows}

    async def _winner_name(self, lot_id: int, chain: list[Body]) -> str | None:
        """The awarded bidder's name: the pseudonym is linked to it once the lot is awarded."""
        award = [b for b in chain if b.kind in pr.AWARD_KINDS][-1]
        if award.kind != "award.made":
            return None
        winner = await self.session.scalar(select(Award).where(Award.lot_id == lot_id, Award.rank == 1))
        assert winner is not None, "award.made is recorded with its award row"
        user = await self.session.get(User, winner.bidder_id)
        assert user is not None
        return user.full_name

    async def _bodies(self, lot_id: int, kinds: Collection[str]) -> list[Body]:
        """The lot's bodies of these kinds in chain order, pending or integrated, each once."""
        # Pending first: a body integrated between the two reads then shows up in the second and is not lost.
        pending = await self.session.scalars(
            select(PendingEntry)
            .where(PendingEntry.chain_key == lot_id, PendingEntry.kind.in_(list(kinds)))
            .order_by(PendingEntry.lot_seq)
        )
        pending_bodies = {row.lot_seq: parse_body(row.body) for row in pending}
        integrated = await self.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.chain_key == lot_id, LedgerEntry.kind.in_(list(kinds)))
            .order_by(LedgerEntry.lot_seq)
        )
        bodies = {row.lot_seq: parse_leaf(row.leaf).body for row in integrated}
        return [bodies.get(seq) or pending_bodies[seq] for seq in sorted(bodies.keys() | pending_bodies.keys())]
