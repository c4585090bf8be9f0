"""The integrator: gives admitted bodies their global index, grows the Merkle tree and signs checkpoints.

Any number of app processes run this loop; a lease row in the database elects one leader, and the tree
state's row lock (taken once per batch, never per bid) makes even two overlapping leaders safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock, as_utc
from auction.db.engine import transaction
from auction.ledger.keys import LedgerKeys
from auction.ledger.models import (
    IntegratorLease,
    LedgerEntry,
    PendingEntry,
    SignedCheckpoint,
    TreeNode,
    TreeState,
)
from auction.ledger.verifier.entry import make_leaf
from auction.ledger.verifier.merkle import CompactRange, hash_leaf
from auction.ledger.verifier.note import Checkpoint, sign_checkpoint

log = logging.getLogger(__name__)

TREE_STATE_ID = 1
LEASE_ID = 1


class SplitViewRefused(RuntimeError):
    """The tree state and the last signed checkpoint disagree: signing again could fork the log."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    integrated: int
    size: int
    checkpoint_id: int | None


class Integrator:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keys: LedgerKeys,
        clock: Clock,
        *,
        batch_size: int = 256,
        interval_seconds: float = 0.25,
        lease_seconds: float = 5.0,
    ) -> None:
        self.sessions = sessions
        self.keys = keys
        self.clock = clock
        self.batch_size = batch_size
        self.interval = interval_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def integrate_batch(self) -> BatchResult:
        """Integrate up to one batch of pending bodies in one transaction, and sign the grown tree."""
        async with transaction(self.sessions) as session:
            state = await session.get(TreeState, TREE_STATE_ID, with_for_update=True, populate_existing=True)
            if state is None:
                raise RuntimeError("ledger_tree_state is missing; run 'auction db upgrade'")
            pending = list(
                await session.scalars(
                    select(PendingEntry)
                    .order_by(PendingEntry.admitted_at, PendingEntry.chain_key, PendingEntry.lot_seq)
                    .limit(self.batch_size)
                )
            )
            if not pending:
                return BatchResult(0, state.size, None)
            await self._refuse_split_view(session, state)
            edge = CompactRange.from_hex_list(state.size, state.right_edge)
            now = self.clock.now()
            integrated_at = max(now, as_utc(state.last_integrated_at)) if state.last_integrated_at else now
            # A leaf never claims integration before its body's admission, even if the admitting host's clock
            # ran ahead of this one's (the verifier checks at <= integrated_at).
            integrated_at = max(integrated_at, *(as_utc(row.admitted_at) for row in pending))
            prev_leaf, hashes = state.last_leaf_hash, []
            for offset, row in enumerate(pending):
                index = state.size + offset
                leaf = make_leaf(index, prev_leaf, row.body, integrated_at)
                digest = hash_leaf(leaf)
                hashes.append(digest)
                session.add(
                    LedgerEntry(
                        idx=index,
                        chain_key=row.chain_key,
                        lot_seq=row.lot_seq,
                        kind=row.kind,
                        body_hash=row.body_hash,
                        leaf=leaf,
                        leaf_hash=digest,
                        admitted_at=row.admitted_at,
                        integrated_at=integrated_at,
                    )
                )
                prev_leaf = digest.hex()
            start = state.size
            created = edge.extend_collecting(hashes)
            nodes = [TreeNode(level=0, position=start + i, hash=h) for i, h in enumerate(hashes)]
            nodes += [TreeNode(level=level, position=position, hash=h) for level, position, h in created]
            session.add_all(nodes)
            await session.execute(delete(PendingEntry).where(PendingEntry.id.in_([row.id for row in pending])))
            state.size = edge.end
            state.right_edge = edge.to_hex_list()
            state.root = edge.root().hex()
            state.last_leaf_hash = prev_leaf
            state.last_integrated_at = integrated_at
            checkpoint = self._sign(state.size, bytes.fromhex(state.root), now)
            session.add(checkpoint)
            await session.flush()
            return BatchResult(len(pending), state.size, checkpoint.id)

    def _sign(self, size: int, root: bytes, now: datetime) -> SignedCheckpoint:
        note = sign_checkpoint(Checkpoint(self.keys.origin, size, root), self.keys.key_name, self.keys.signing_key)
        return SignedCheckpoint(size=size, root=root.hex(), note=note, key_name=self.keys.key_name, signed_at=now)

    async def _refuse_split_view(self, session: AsyncSession, state: TreeState) -> None:
        """Sign only trees that extend the last signed one: its size and root must be the state we grow from."""
        last = await session.scalar(select(SignedCheckpoint).order_by(SignedCheckpoint.id.desc()).limit(1))
        if last is None:
            if state.size != 0:
                raise SplitViewRefused("the tree has leaves but no signed checkpoint")
            return
        if last.size != state.size or last.root != state.root:
            raise SplitViewRefused(
                f"last checkpoint is size {last.size} root {last.root}, tree state is {state.size} {state.root}"
            )

    async def integrate_all(self) -> int:
        """Integrate until nothing is pending (used by tests, the demo and the CLI)."""
        total = 0
        while (result := await self.integrate_batch()).integrated:
            total += result.integrated
        return total

    async def hold_lease(self) -> bool:
        """Take or renew the leader lease; True while this process leads."""
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            result = await session.execute(
                update(IntegratorLease)
                .where(
                    IntegratorLease.id == LEASE_ID,
                    or_(IntegratorLease.holder == self.holder, IntegratorLease.expires_at < now),
                )
                .values(holder=self.holder, expires_at=now + self.lease)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def run(self, stop: asyncio.Event) -> None:
        """The background loop: lead when the lease allows, integrate, sleep; survive database outages."""
        while not stop.is_set():
            try:
                if await self.hold_lease():
                    while (await self.integrate_batch()).integrated >= self.batch_size:
                        pass
            except Exception:
                # An outage must not kill the loop: the next tick retries, and nothing is lost meanwhile.
                log.exception("ledger integration failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
