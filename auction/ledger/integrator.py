"""The integrator: gives admitted bodies their global index, grows the Merkle tree and signs checkpoints.

Any number of app processes run this loop; a lease row in the database elects one leader, and the tree
state's row lock (taken once per batch, never per bid) makes even two overlapping leaders safe.

The leader does not poll an empty queue: admitting bodies NOTIFYs ``achyk_pending`` (migration 0010_due_indexes)
and wakes it; otherwise it looks only as often as its lease needs renewing. Followers only try the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock, as_utc
from auction.db.engine import transaction
from auction.db.wakeups import PENDING, Wakeups
from auction.ledger.admission import LedgerWriter
from auction.ledger.keys import LedgerKeys
from auction.ledger.lease import INTEGRATOR_LEASE, Lease
from auction.ledger.models import (
    PLATFORM_CHAIN,
    ChainHead,
    LedgerEntry,
    PendingEntry,
    SignedCheckpoint,
    TreeNode,
    TreeState,
)
from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.entry import make_leaf
from auction.ledger.verifier.incident import DELAYED, INCIDENT_ACTOR, INCIDENT_KIND
from auction.ledger.verifier.merkle import CompactRange, hash_leaf
from auction.ledger.verifier.note import sign_checkpoint
from auction.ledger.verifier.witnessing import timed_checkpoint

log = logging.getLogger(__name__)

TREE_STATE_ID = 1
LEASE_ID = INTEGRATOR_LEASE


class SplitViewRefused(RuntimeError):
    """The tree state and the last signed checkpoint disagree: signing again could fork the log."""


class CosigningRound(Protocol):
    """What the leader runs after each batch to have the newest checkpoint witnessed (auction.ledger.cosigning)."""

    async def step(self) -> object: ...


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
        cosigner: CosigningRound | None = None,
        max_merge_delay_seconds: int = 60,
    ) -> None:
        self.sessions = sessions
        self.keys = keys
        self.clock = clock
        self.batch_size = batch_size
        self.interval = interval_seconds
        self.leadership = Lease(sessions, clock, INTEGRATOR_LEASE, lease_seconds)
        self.lease = self.leadership.term
        self.holder = self.leadership.holder
        self.cosigner = cosigner
        # What receipts promise (settings.ledger_max_merge_delay_seconds): a batch past it records an incident.
        self.max_merge_delay = timedelta(seconds=max_merge_delay_seconds)
        self._cosigning: asyncio.Task[None] | None = None
        self._round_sent = False  # the last witnessing round sent a checkpoint (None from step: nothing to do)

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
            late = [row for row in pending if integrated_at - as_utc(row.admitted_at) > self.max_merge_delay]
            if late:
                pending, integrated_at = await self._record_incident(session, state, pending, late, integrated_at)
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
            checkpoint = signed_checkpoint(self.keys, state.size, bytes.fromhex(state.root), now)
            session.add(checkpoint)
            await session.flush()
            return BatchResult(len(pending), state.size, checkpoint.id)

    async def _record_incident(
        self,
        session: AsyncSession,
        state: TreeState,
        pending: list[PendingEntry],
        late: list[PendingEntry],
        integrated_at: datetime,
    ) -> tuple[list[PendingEntry], datetime]:
        """Admit a ledger.incident that ends this batch and names every entry before it (auction.ledger.verifier
        .incident): the receipts these entries carry promised an earlier integration, and the log says why not.

        The incident continues the platform chain, so every platform body still pending joins the batch ahead of
        it; it takes the batch's integration time as its own `at`, which its `to` repeats.
        """
        log.warning(
            "integrating %d entries past their %s merge delay: recording an incident", len(late), self.max_merge_delay
        )
        # The platform head's lock first: a platform body admitted meanwhile must be in this batch, not after it.
        await session.get(ChainHead, PLATFORM_CHAIN, with_for_update=True, populate_existing=True)
        taken = {row.id for row in pending}
        platform = await session.scalars(
            select(PendingEntry).where(PendingEntry.chain_key == PLATFORM_CHAIN, PendingEntry.id.not_in(taken))
        )
        rows = sorted([*pending, *platform], key=lambda row: (row.admitted_at, row.chain_key, row.lot_seq))
        writer = LedgerWriter(session, self.keys, self.clock, max_merge_delay_seconds=0)
        at = max(integrated_at, await writer.next_time(None))
        payload = {
            "from": format_time(min(as_utc(row.admitted_at) for row in late)),
            "to": format_time(at),
            "reason": DELAYED,
            "first": state.size,
            "last": state.size + len(rows) - 1,
        }
        admitted = await writer.record(INCIDENT_KIND, None, INCIDENT_ACTOR, payload, at=at, draining=True)
        incident = await session.scalar(
            select(PendingEntry).where(
                PendingEntry.chain_key == PLATFORM_CHAIN, PendingEntry.lot_seq == admitted.lot_seq
            )
        )
        assert incident is not None
        return [*rows, incident], at

    async def _refuse_split_view(self, session: AsyncSession, state: TreeState) -> None:
        await refuse_split_view(session, state)

    async def sign_current_tree(self) -> SignedCheckpoint | None:
        """Sign the current tree again with a fresh time line (same size and root); None while the tree is empty.

        Witnesses refuse a checkpoint whose time is stale, so one still lacking a quorum after a while, or the
        newest one of an idle log, is re-signed rather than re-sent. The tree lock and the split-view guard are the
        batch's: a batch running meanwhile either comes before (we sign its tree) or waits for us.
        """
        async with transaction(self.sessions) as session:
            state = await session.get(TreeState, TREE_STATE_ID, with_for_update=True, populate_existing=True)
            if state is None or state.size == 0:
                return None
            await refuse_split_view(session, state)
            checkpoint = signed_checkpoint(self.keys, state.size, bytes.fromhex(state.root), self.clock.now())
            session.add(checkpoint)
            await session.flush()
            return checkpoint

    async def integrate_all(self) -> int:
        """Integrate until nothing is pending (used by tests, the demo and the CLI)."""
        total = 0
        while (result := await self.integrate_batch()).integrated:
            total += result.integrated
        return total

    async def hold_lease(self) -> bool:
        """Take or renew the leader lease; True while this process leads."""
        return await self.leadership.hold()

    async def run(self, stop: asyncio.Event, wakeups: Wakeups | None = None) -> None:
        """The background loop: lead when the lease allows, integrate, sleep; survive database outages.

        With a listening ``wakeups`` the leader sleeps until bodies are admitted (or its lease needs renewing);
        without (SQLite, or the listener reconnecting) it polls every ``interval`` as before. Either way at most
        one batch per ``interval``: under load bodies gather into batches as they always did.
        """
        term = self.lease.total_seconds()
        while not stop.is_set():
            leading = False
            try:
                leading = await self.hold_lease()
                if leading:
                    while (await self.integrate_batch()).integrated >= self.batch_size:
                        pass
                    self._start_cosigning()
            except Exception:
                # An outage must not kill the loop: the next tick retries, and nothing is lost meanwhile.
                log.exception("ledger integration failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
            if wakeups is not None and wakeups.listening and not (leading and self._witnessing()):
                # The leader renews well within its term; a follower retries twice per term.
                rest = (term / 2.5 if leading else term / 2) - self.interval
                await wakeups[PENDING].sleep(rest, stop)
        with contextlib.suppress(Exception):
            await self.leadership.release()
        if self._cosigning is not None:
            # Every request in a round has its own timeout, so waiting for the last round is bounded.
            await asyncio.gather(self._cosigning, return_exceptions=True)

    def _witnessing(self) -> bool:
        """Whether a witnessing round is under way or the last one sent something: the grace is short, so the
        leader keeps its quick beat until the newest checkpoint rests witnessed."""
        return self._cosigning is not None and (not self._cosigning.done() or self._round_sent)

    def _start_cosigning(self) -> None:
        """Start a witnessing round unless one is still running: witnesses are asked outside the batch transaction
        and beside the loop, so a slow witness delays neither integration nor the tree lock."""
        if self.cosigner is None or (self._cosigning is not None and not self._cosigning.done()):
            return
        self._cosigning = asyncio.create_task(self._cosign_round(self.cosigner))

    async def _cosign_round(self, cosigner: CosigningRound) -> None:
        self._round_sent = True
        try:
            self._round_sent = await cosigner.step() is not None
        except Exception:
            log.exception("witnessing round failed; retrying")


def signed_checkpoint(keys: LedgerKeys, size: int, root: bytes, now: datetime) -> SignedCheckpoint:
    """A checkpoint of (size, root) signed with the log key, carrying the signer's clock as its time line."""
    checkpoint = timed_checkpoint(keys.origin, size, root, int(now.timestamp()))
    note = sign_checkpoint(checkpoint, keys.key_name, keys.signing_key)
    return SignedCheckpoint(size=size, root=root.hex(), note=note, key_name=keys.key_name, signed_at=now)


async def refuse_split_view(session: AsyncSession, state: TreeState) -> None:
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
