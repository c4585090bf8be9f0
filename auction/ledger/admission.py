"""Admission: a body enters its chain in the same transaction as the change it records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ScalarSelect, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.clock import Clock, as_utc
from auction.errors import Unavailable
from auction.ledger.keys import LedgerKeys
from auction.ledger.models import PLATFORM_CHAIN, ChainHead, PendingEntry
from auction.ledger.verifier.entry import ZERO_HASH, body_hash, make_body
from auction.ledger.verifier.note import Receipt, ReceiptEntry, sign_receipt
from auction.ledger.witness_config import WitnessConfig
from auction.ledger.witnessed_time import BINDING_KINDS, refuse_unless_witnessed


@dataclass(frozen=True, slots=True)
class Admitted:
    """What the ledger promised at admission: the body, its hash, and the signed receipt note naming it."""

    body: bytes
    body_hash: str
    lot_seq: int
    admitted_at: datetime
    receipt: str
    kind: str
    lot_id: int | None


class LedgerWriter:
    """Writes bodies into the caller's transaction; the caller's commit makes change and entry durable together."""

    def __init__(
        self,
        session: AsyncSession,
        keys: LedgerKeys,
        clock: Clock,
        *,
        backlog_limit: int = 20_000,
        max_merge_delay_seconds: int = 60,
        witnesses: WitnessConfig | None = None,
    ) -> None:
        self.session = session
        self.keys = keys
        self.clock = clock
        self.backlog_limit = backlog_limit
        self.max_merge_delay_seconds = max_merge_delay_seconds
        # None or disabled: time is the server's alone, as before witnessing (docs/witnesses.md §5).
        self.witnesses = witnesses if witnesses is not None and witnesses.enabled else None

    async def next_time(self, lot_id: int | None) -> datetime:
        """The admission time the chain's next body will carry: now, or the head's time if a host's clock lags.

        Rules that depend on the moment (is bidding open, the Dutch price) use this time, and pass it to
        ``record``, so that the verifier re-deriving them from the body reaches the same answer.
        """
        head = await self.session.get(ChainHead, PLATFORM_CHAIN if lot_id is None else lot_id)
        now = self.clock.now()
        return now if head is None else max(now, as_utc(head.admitted_at))

    async def record(
        self,
        kind: str,
        lot_id: int | None,
        actor: str,
        payload: dict[str, Any],
        *,
        at: datetime | None = None,
        draining: bool = False,
    ) -> Admitted:
        """Append a body to the lot's chain (or the platform chain) and queue it for integration.

        The chain head's row lock orders the chain; callers changing a lot already hold the lot's lock,
        so this never waits on another lot. ``draining``: the integrator's own incident, which the backlog it is
        about to drain must not refuse.
        """
        chain_key = PLATFORM_CHAIN if lot_id is None else lot_id
        if not draining:
            await self._refuse_if_backlogged()
        if kind in BINDING_KINDS:
            # Here rather than in each service, so that no binding action can be written around the gate.
            await refuse_unless_witnessed(self.session, self.clock.now(), self.witnesses)
        head = await self.session.get(ChainHead, chain_key, with_for_update=True, populate_existing=True)
        now = self.clock.now() if at is None else at
        if head is None:
            head = ChainHead(chain_key=chain_key, lot_seq=0, head_hash=ZERO_HASH, admitted_at=now)
            self.session.add(head)
        # Hosts' clocks may differ slightly; a chain's times must never go backwards.
        if at is not None and at < as_utc(head.admitted_at):
            raise ValueError("an explicit admission time must not precede the chain's head")
        at = max(now, as_utc(head.admitted_at))
        admitted = self.entry(kind, lot_id, actor, payload, after=(head.lot_seq, head.head_hash), at=at)
        self.session.add(pending_entry(admitted))
        head.lot_seq, head.head_hash, head.admitted_at = admitted.lot_seq, admitted.body_hash, at
        await self.session.flush()
        return admitted

    def entry(
        self,
        kind: str,
        lot_id: int | None,
        actor: str,
        payload: dict[str, Any],
        *,
        after: tuple[int, str],
        at: datetime,
    ) -> Admitted:
        """The body following the chain head ``after`` (its sequence number and hash), and its signed receipt.

        No I/O: the caller holds the chain's order (its head's or its lot's lock) and writes the entry itself.
        """
        seq = after[0] + 1
        body = make_body(kind=kind, lot=lot_id, lot_seq=seq, prev_body=after[1], at=at, actor=actor, payload=payload)
        digest = body_hash(body)
        promise = Receipt(self.keys.origin, digest, at, self.max_merge_delay_seconds, ReceiptEntry(lot_id, seq, kind))
        receipt = sign_receipt(promise, self.keys.key_name, self.keys.signing_key)
        return Admitted(
            body=body, body_hash=digest, lot_seq=seq, admitted_at=at, receipt=receipt, kind=kind, lot_id=lot_id
        )

    def backlog(self) -> ScalarSelect[int]:
        """How many bodies wait for integration, counted only up to the limit (all a refusal needs to know): a
        scalar subquery, for a caller to fold into a statement it sends anyway."""
        waiting = select(literal(1)).select_from(PendingEntry).limit(self.backlog_limit).subquery()
        return select(func.count()).select_from(waiting).scalar_subquery()

    def refuse_at_backlog(self, backlog: int | None) -> None:
        """The refusal while the backlog is at its limit: new bodies wait until the integrator catches up."""
        if backlog is not None and backlog >= self.backlog_limit:
            raise Unavailable("ledger.backlog")

    async def chain_head(self, lot_id: int) -> tuple[int, str]:
        """The lot's latest sequence number and body hash (0 and zeros before its first entry)."""
        head = await self.session.get(ChainHead, lot_id)
        return (0, ZERO_HASH) if head is None else (head.lot_seq, head.head_hash)

    async def pending_for(self, lot_id: int) -> int:
        """How many of the lot's bodies still wait for a global index."""
        count = await self.session.scalar(
            select(func.count()).select_from(PendingEntry).where(PendingEntry.chain_key == lot_id)
        )
        return int(count or 0)

    async def _refuse_if_backlogged(self) -> None:
        self.refuse_at_backlog(await self.session.scalar(select(self.backlog())))


def pending_entry(admitted: Admitted) -> PendingEntry:
    """The queued row of an admitted body, for the integrator to give a global index."""
    chain_key = PLATFORM_CHAIN if admitted.lot_id is None else admitted.lot_id
    return PendingEntry(
        chain_key=chain_key,
        lot_seq=admitted.lot_seq,
        kind=admitted.kind,
        body=admitted.body,
        body_hash=admitted.body_hash,
        admitted_at=admitted.admitted_at,
    )
