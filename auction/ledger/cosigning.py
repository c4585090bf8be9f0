"""The platform's side of witnessing: collecting the witnesses' cosignatures on its checkpoints (docs/witnesses.md).

The integrator's leader runs one round after each batch and on every idle tick (`Cosigner.step`). A round sends the
newest signed checkpoint to every configured witness at once (c2sp.org/tlog-witness add-checkpoint), stores each
valid cosignature and each witness's size, records the quorum time as soon as a quorum has cosigned (a witness that
hangs until its timeout holds back no one), and keeps the `WitnessHealth` row that binding actions and the scheduler
read. Witnesses refuse stale times, so a checkpoint that still lacks a quorum after a few seconds, and the newest one
of an idle log every `refresh_seconds`, is re-signed with a fresh time line (same size and root) rather than re-sent.
Nothing here holds the tree lock over the network.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock, as_utc
from auction.db.engine import transaction
from auction.ledger.keys import LedgerKeys
from auction.ledger.models import (
    CheckpointCosignature,
    SignedCheckpoint,
    WitnessedCheckpoint,
    WitnessHealth,
    WitnessState,
)
from auction.ledger.queries import LedgerReader
from auction.ledger.verifier.note import DECIMAL_RE, SIGNATURE_PREFIX, Checkpoint, NoteError
from auction.ledger.verifier.witnessing import (
    Cosignature,
    PolicyWitness,
    checkpoint_time,
    quorum_time,
    verify_cosignatures,
)
from auction.ledger.witness_config import WitnessConfig

log = logging.getLogger(__name__)

HEALTH_ID = 1
ADD_CHECKPOINT = "/add-checkpoint"
SIZE_MEDIA_TYPE = "text/x.tlog.size"
# (status, content type, body text) of one add-checkpoint request.
Answer = tuple[int, str, str]
Submit = Callable[[str, str], Awaitable[Answer]]


def add_checkpoint_body(old_size: int, proof: Sequence[bytes], note: str) -> str:
    """The add-checkpoint body: ``old <size>``, the consistency proof (base64, one a line), an empty line, the note."""
    lines = [f"old {old_size}", *(base64.b64encode(h).decode("ascii") for h in proof)]
    return "\n".join(lines) + "\n\n" + note


def cosigned_note(note: str, lines: Iterable[str]) -> str:
    """A signed note with cosignature lines (each ending in a newline) appended after the log's signature."""
    return note + "".join(lines)


def tlog_size(answer: Answer) -> int | None:
    """The witness's size in a 409 ``text/x.tlog.size`` answer (its last cosigned size), or None if it is not one."""
    status, content_type, text = answer
    if status != 409 or content_type.split(";")[0].strip() != SIZE_MEDIA_TYPE:
        return None
    value = text.strip()
    return int(value) if DECIMAL_RE.fullmatch(value) else None


def cosignature_in(answer_text: str, note: str, witness: PolicyWitness) -> tuple[Cosignature, str] | None:
    """The witness's valid cosignature among the answer's lines and that line; raises NoteError on a bad one."""
    for line in answer_text.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            continue
        found = verify_cosignatures(cosigned_note(note, [line + "\n"]), [witness.key])
        if found:
            return found[0], line + "\n"
    return None


class HttpWitnesses:
    """The witnesses over HTTP: one keep-alive client for every round, each request bounded by the timeout."""

    def __init__(self, timeout_seconds: float) -> None:
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds),
            limits=httpx.Limits(max_keepalive_connections=20, keepalive_expiry=60.0),
            headers={"User-Agent": "achyk-platform"},
        )

    async def submit(self, url: str, body: str) -> Answer:
        response = await self.client.post(
            url + ADD_CHECKPOINT, content=body.encode("utf-8"), headers={"Content-Type": "text/plain; charset=utf-8"}
        )
        return response.status_code, response.headers.get("content-type", ""), response.text

    async def aclose(self) -> None:
        await self.client.aclose()


@dataclass(frozen=True, slots=True)
class Reply:
    """What one witness did with one checkpoint: cosigned it (cosignature and line), or told us its size, or neither."""

    witness: PolicyWitness
    cosignature: Cosignature | None = None
    line: str | None = None
    size: int | None = None  # the size this witness now holds as last cosigned, when it told us


@dataclass(frozen=True, slots=True)
class Round:
    """The outcome of sending one checkpoint: how many witnesses cosigned it, and its quorum time if it has one."""

    checkpoint_id: int
    cosigned: int
    witnessed_at: datetime | None


class Cosigner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keys: LedgerKeys,
        clock: Clock,
        config: WitnessConfig,
        submit: Submit,
        sign_current_tree: Callable[[], Awaitable[SignedCheckpoint | None]],
        *,
        fresh_after_seconds: float = 5.0,
        refresh_seconds: float = 30.0,
    ) -> None:
        """`sign_current_tree` is `Integrator.sign_current_tree`: one signer and one split-view guard for all."""
        self.sessions = sessions
        self.keys = keys
        self.clock = clock
        self.config = config
        self.submit = submit
        self.sign_current_tree = sign_current_tree
        self.fresh_after = timedelta(seconds=fresh_after_seconds)
        self.refresh = timedelta(seconds=refresh_seconds)
        self._sent: int | None = None  # the checkpoint id last sent: each is sent once, then re-signed if need be
        self._cleared = False
        self._health_known = False
        self._proofs: dict[tuple[int, int], list[bytes]] = {}

    async def step(self) -> Round | None:
        """One round: send the newest checkpoint if it is new, re-sign it if it went stale unwitnessed or the log has
        been idle for `refresh_seconds`, then bring the health row up to date. None when nothing was sent."""
        if not self.config.enabled:
            if not self._cleared:
                await self._clear_health()
                self._cleared = True
            return None
        async with self.sessions() as session:
            newest = await session.scalar(select(SignedCheckpoint).order_by(SignedCheckpoint.id.desc()).limit(1))
            witnessed = newest is not None and await session.get(WitnessedCheckpoint, newest.id) is not None
        if newest is None:
            await self._first_health()
            return None
        age = self.clock.now() - as_utc(newest.signed_at)
        if witnessed:
            stale = age >= self.refresh
        else:
            untimed = _time_of(newest) is None
            stale = untimed or (newest.id == self._sent and age > self.fresh_after) or age > 2 * self.fresh_after
        if not stale and (witnessed or newest.id == self._sent):
            await self._first_health()
            return None
        target = newest.id
        if stale:
            fresh = await self.sign_current_tree()
            if fresh is None:
                return None
            target = fresh.id
        return await self.cosign(target)

    async def cosign(self, checkpoint_id: int) -> Round:
        """Send one signed checkpoint to every witness that has not cosigned it, concurrently; store what comes back."""
        self._sent = checkpoint_id
        self._proofs.clear()
        async with self.sessions() as session:
            checkpoint = await session.get(SignedCheckpoint, checkpoint_id)
            if checkpoint is None:
                raise LookupError(f"no signed checkpoint {checkpoint_id}")
            have = set(
                await session.scalars(
                    select(CheckpointCosignature.witness_vkey).where(
                        CheckpointCosignature.checkpoint_id == checkpoint_id
                    )
                )
            )
            sizes = dict((await session.execute(select(WitnessState.witness_vkey, WitnessState.size))).all())
            asking = [w for w in self.config.witnesses if w.key.vkey not in have]
            # The proofs are read here, once per distinct old size, rather than in each witness's request.
            reader = LedgerReader(session, self.keys)
            for old in {sizes.get(w.key.vkey, 0) for w in asking}:
                if 0 < old < checkpoint.size:
                    self._proofs[(old, checkpoint.size)] = await reader.consistency(old, checkpoint.size)
        waiting = {asyncio.ensure_future(self._ask(w, checkpoint, sizes.get(w.key.vkey, 0))): w for w in asking}
        answered: list[Reply] = []
        unstored: list[Reply] = []
        witnessed_at: datetime | None = None
        try:
            while waiting:
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    witness = waiting.pop(task)
                    try:
                        reply = task.result()
                    except Exception as exc:
                        # A bug or a database error in one witness's request must not lose the others' cosignatures.
                        log.warning("witness %s: %s", witness.url, _describe(exc))
                        continue
                    answered.append(reply)
                    unstored.append(reply)
                cosigned = len(have) + sum(1 for r in answered if r.cosignature is not None)
                if waiting and witnessed_at is None and cosigned >= self.config.quorum:
                    # The quorum counts from the moment it is reached: a witness that hangs until its timeout must
                    # not hold back the time the others vouched for (bids near the close would count as late).
                    witnessed_at = await self._store(checkpoint, unstored)
                    unstored = []
                    await self.update_health()
        finally:
            for task in waiting:
                task.cancel()
        witnessed_at = await self._store(checkpoint, unstored) or witnessed_at
        await self.update_health()
        return Round(checkpoint_id, sum(1 for r in answered if r.cosignature is not None), witnessed_at)

    async def _ask(self, witness: PolicyWitness, checkpoint: SignedCheckpoint, old: int) -> Reply:
        """add-checkpoint to one witness; on 409 with its size, once more from that size. Logs one line on failure."""
        answer = await self._request(witness, checkpoint, old)
        if answer is None:
            return Reply(witness)
        told = tlog_size(answer)
        if told is not None:
            if told > checkpoint.size:
                log.warning("witness %s has cosigned size %d, larger than our %d", witness.url, told, checkpoint.size)
                return Reply(witness, size=told)
            answer = await self._request(witness, checkpoint, told)
            if answer is None:
                return Reply(witness, size=told)
        return self._judge(witness, checkpoint, answer, told)

    @staticmethod
    def _judge(witness: PolicyWitness, checkpoint: SignedCheckpoint, answer: Answer, told: int | None) -> Reply:
        """A cosignature if the witness answered 200 with a valid one; otherwise one log line and what it told us."""
        status, _, text = answer
        if status != 200:
            log.warning("witness %s refused checkpoint %d: %d %s", witness.url, checkpoint.size, status, text[:200])
            return Reply(witness, size=told)
        try:
            found = cosignature_in(text, checkpoint.note, witness)
        except NoteError as exc:
            log.warning("witness %s answered a bad cosignature: %s", witness.url, exc)
            return Reply(witness, size=told)
        if found is None:
            log.warning("witness %s answered 200 without its cosignature", witness.url)
            return Reply(witness, size=told)
        return Reply(witness, found[0], found[1], checkpoint.size)

    async def _request(self, witness: PolicyWitness, checkpoint: SignedCheckpoint, old: int) -> Answer | None:
        if witness.url is None:
            return None
        if old > checkpoint.size:
            log.warning("witness %s: remembered size %d is past checkpoint %d", witness.url, old, checkpoint.size)
            return None
        proof: list[bytes] = []
        if 0 < old < checkpoint.size:
            proof = self._proofs.get((old, checkpoint.size)) or await self._consistency(old, checkpoint.size)
        body = add_checkpoint_body(old, proof, checkpoint.note)
        try:
            return await asyncio.wait_for(self.submit(witness.url, body), timeout=self.config.timeout_seconds)
        except (TimeoutError, httpx.HTTPError, OSError) as exc:
            log.warning("witness %s unreachable: %s", witness.url, _describe(exc))
            return None

    async def _consistency(self, old: int, size: int) -> list[bytes]:
        """A proof from a size a witness told us about (409): rare, so read on its own."""
        async with self.sessions() as session:
            return await LedgerReader(session, self.keys).consistency(old, size)

    async def _store(self, checkpoint: SignedCheckpoint, replies: Sequence[Reply]) -> datetime | None:
        """Cosignatures and sizes in one transaction; then the quorum time, if this round completed a quorum."""
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            for reply in replies:
                vkey = reply.witness.key.vkey
                if reply.cosignature is not None and reply.line is not None:
                    session.add(
                        CheckpointCosignature(
                            checkpoint_id=checkpoint.id,
                            witness_vkey=vkey,
                            timestamp=reply.cosignature.timestamp,
                            line=reply.line,
                        )
                    )
                if reply.size is not None:
                    state = await session.get(WitnessState, vkey, with_for_update=True)
                    if state is None:
                        session.add(WitnessState(witness_vkey=vkey, size=reply.size, updated_at=now))
                    else:
                        state.size, state.updated_at = reply.size, now
            await session.flush()
            if await session.get(WitnessedCheckpoint, checkpoint.id) is not None:
                return None
            rows = await session.execute(
                select(CheckpointCosignature.witness_vkey, CheckpointCosignature.timestamp).where(
                    CheckpointCosignature.checkpoint_id == checkpoint.id
                )
            )
            by_vkey = {w.key.vkey: w.key for w in self.config.witnesses}
            cosignatures = [Cosignature(by_vkey[vkey], stamp) for vkey, stamp in rows if vkey in by_vkey]
            when = quorum_time(cosignatures, self.config.quorum)
            if when is None:
                return None
            witnessed_at = datetime.fromtimestamp(when, UTC)
            session.add(
                WitnessedCheckpoint(checkpoint_id=checkpoint.id, size=checkpoint.size, witnessed_at=witnessed_at)
            )
            return witnessed_at

    async def _first_health(self) -> None:
        """A new leader's first idle tick brings the health row up to date; later ones leave it to the rounds."""
        if not self._health_known:
            await self.update_health()

    async def update_health(self) -> None:
        """unwitnessed_since: when the oldest checkpoint after the newest witnessed one was signed (None if the newest
        is witnessed); witnessed_until: the newest quorum time; witnessed_size: the largest witnessed tree."""
        async with transaction(self.sessions) as session:
            newest_witnessed = await session.scalar(select(func.max(WitnessedCheckpoint.checkpoint_id)))
            since = await session.scalar(
                select(func.min(SignedCheckpoint.signed_at)).where(SignedCheckpoint.id > (newest_witnessed or 0))
            )
            newest = select(func.max(WitnessedCheckpoint.witnessed_at), func.max(WitnessedCheckpoint.size))
            until, size = (await session.execute(newest)).one()
            health = await _health_row(session)
            health.unwitnessed_since = None if since is None else as_utc(since)
            health.witnessed_until = None if until is None else as_utc(until)
            health.witnessed_size = size or 0
        self._health_known = True

    async def _clear_health(self) -> None:
        """Without witnesses nothing is vouched for: both moments stay None (the largest witnessed size stays known)."""
        async with transaction(self.sessions) as session:
            health = await _health_row(session)
            health.unwitnessed_since = None
            health.witnessed_until = None


async def _health_row(session: AsyncSession) -> WitnessHealth:
    health = await session.get(WitnessHealth, HEALTH_ID, with_for_update=True, populate_existing=True)
    if health is None:  # migration 0005 inserts it; a database built otherwise gets it here
        health = WitnessHealth(id=HEALTH_ID, witnessed_size=0)
        session.add(health)
    return health


def _time_of(checkpoint: SignedCheckpoint) -> int | None:
    try:
        return checkpoint_time(Checkpoint.from_note(checkpoint.note))
    except NoteError:
        return None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
