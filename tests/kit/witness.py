"""A minimal honest witness for tests of the platform's side (auction/ledger/cosigning.py).

It answers add-checkpoint bodies exactly as docs/witnesses.md §3 says, in the order the table checks them, with real
Ed25519 cosignatures (witnessing.cosign) and a real consistency check against the size and root it remembers. It is
called in-process through the Cosigner's `submit(url, body)` seam; the real program (`achyk-witness serve`) over
HTTP is tested where it lives.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock, FrozenClock
from auction.db.engine import transaction
from auction.ledger.admission import LedgerWriter
from auction.ledger.cosigning import Answer, Cosigner
from auction.ledger.integrator import Integrator
from auction.ledger.keys import LedgerKeys
from auction.ledger.models import CheckpointCosignature, SignedCheckpoint, WitnessedCheckpoint, WitnessHealth
from auction.ledger.verifier.merkle import ProofError, verify_consistency
from auction.ledger.verifier.note import (
    SIGNATURE_PREFIX,
    Checkpoint,
    NoteError,
    VerifierKey,
    b64decode_strict,
    open_checkpoint,
)
from auction.ledger.verifier.witnessing import PolicyWitness, WitnessKey, checkpoint_time, cosign
from auction.ledger.witness_config import WitnessConfig
from tests.kit.ledger import verifier

SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True, slots=True)
class AddCheckpoint:
    """A parsed add-checkpoint body."""

    old: int
    proof: list[bytes]
    note: str


def parse_add_checkpoint(body: str) -> AddCheckpoint:
    """Split ``old N``, the proof lines and, after the empty line, the note; ValueError if malformed."""
    head, sep, note = body.partition("\n\n")
    if not sep:
        raise ValueError("no empty line before the checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        raise ValueError("the first line is not 'old <size>'")
    return AddCheckpoint(int(lines[0][4:]), [b64decode_strict(line) for line in lines[1:]], note)


@dataclass
class TestWitness:
    """One witness: its key, its clock (offset from the platform's), what it last cosigned, and whether it is up."""

    __test__ = False  # not a pytest class

    name: str
    log: VerifierKey
    clock: Clock
    offset: timedelta = timedelta(0)
    skew_seconds: int = 10
    url: str = ""
    down: bool = False
    hung: asyncio.Event | None = None  # set: the witness answers only once the event is set (a host that hangs)
    forges: bool = False  # answers with a line under its name and key ID whose signature does not verify
    size: int = 0
    root: bytes = b""
    requests: list[AddCheckpoint] = field(default_factory=list)
    private: Ed25519PrivateKey = field(init=False)

    def __post_init__(self) -> None:
        self.private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(self.name.encode()).digest())
        self.url = self.url or f"https://{self.name}"

    @property
    def key(self) -> WitnessKey:
        return WitnessKey.of(self.name, self.private)

    @property
    def policy(self) -> PolicyWitness:
        return PolicyWitness(self.key, self.url)

    @property
    def setting(self) -> str:
        """This witness as an ACHYK_WITNESSES item."""
        return f"{self.key.vkey} {self.url}"

    def now(self) -> int:
        return int((self.clock.now() + self.offset).timestamp())

    def add_checkpoint(self, body: str) -> Answer:
        try:
            request = parse_add_checkpoint(body)
            checkpoint = Checkpoint.from_note(request.note)
        except (ValueError, NoteError) as exc:
            return 400, "text/plain", str(exc)
        self.requests.append(request)
        if request.old > checkpoint.size:
            return 400, "text/plain", "old size is larger than the checkpoint's"
        try:
            open_checkpoint(request.note, [self.log])
        except NoteError:
            return 403, "text/plain", "no signature from the log's key"
        if request.old != self.size:
            return 409, SIZE_TYPE, f"{self.size}\n"
        if checkpoint.size == self.size and self.size and checkpoint.root != self.root:
            return 409, "text/plain", "same size, different root"
        if 0 < self.size < checkpoint.size:
            try:
                verify_consistency(self.size, checkpoint.size, request.proof, self.root, checkpoint.root)
            except ProofError:
                return 422, "text/plain", "the consistency proof does not verify"
        stated = checkpoint_time(checkpoint)
        if stated is None or abs(stated - self.now()) > self.skew_seconds:
            return 422, "text/plain", "no time line, or a time outside the skew"
        self.size, self.root = checkpoint.size, checkpoint.root
        text, _, _ = request.note.partition("\n\n")
        line = cosign(text + "\n", self.name, self.private, self.now())
        if self.forges:
            name, encoded = line[len(SIGNATURE_PREFIX) :].split()
            raw = bytearray(base64.b64decode(encoded))
            raw[-1] ^= 1
            line = f"{SIGNATURE_PREFIX}{name} {base64.b64encode(raw).decode()}\n"
        return 200, "text/plain", line


class Witnesses:
    """The `submit` seam over several test witnesses, by URL; a witness that is down fails like a refused connection."""

    def __init__(self, *witnesses: TestWitness) -> None:
        self.by_url = {w.url: w for w in witnesses}

    async def submit(self, url: str, body: str) -> Answer:
        witness = self.by_url[url]
        if witness.down:
            raise httpx.ConnectError(f"connection to {url} refused")
        if witness.hung is not None:
            await witness.hung.wait()
        return witness.add_checkpoint(body)


def three_witnesses(keys: LedgerKeys, clock: Clock, url: str = "") -> list[TestWitness]:
    """Witnesses A, B and C, whose clocks run 1, 2 and 3 seconds ahead of the platform's."""
    return [
        TestWitness(
            f"witness-{name}.example.kg",
            verifier(keys),
            clock,
            offset=timedelta(seconds=n),
            url=url.format(name=name) if url else "",
        )
        for n, name in enumerate("abc", start=1)
    ]


class Platform:
    """The integrator and its cosigner over test witnesses (quorum 2 by default), and what tests read back."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keys: LedgerKeys,
        clock: FrozenClock,
        witnesses: list[TestWitness],
        quorum: int = 2,
    ) -> None:
        self.sessions, self.keys, self.clock = sessions, keys, clock
        self.witnesses = witnesses
        self.integrator = Integrator(sessions, keys, clock)
        config = WitnessConfig(tuple(w.policy for w in self.witnesses), quorum, 10, 2.0)
        self.cosigner = Cosigner(
            sessions, keys, clock, config, Witnesses(*self.witnesses).submit, self.integrator.sign_current_tree
        )

    async def admit(self, count: int) -> int:
        async with transaction(self.sessions) as session:
            writer = LedgerWriter(session, self.keys, self.clock)
            for n in range(count):
                await writer.record("notice.posted", None, "system", {"n": n})
        return await self.integrator.integrate_all()

    async def newest(self) -> SignedCheckpoint:
        async with self.sessions() as session:
            found = await session.scalar(select(SignedCheckpoint).order_by(SignedCheckpoint.id.desc()).limit(1))
        assert found is not None
        return found

    async def health(self) -> WitnessHealth:
        async with self.sessions() as session:
            row = await session.get(WitnessHealth, 1)
        assert row is not None
        return row

    async def witnessed(self) -> list[WitnessedCheckpoint]:
        async with self.sessions() as session:
            return list(await session.scalars(select(WitnessedCheckpoint).order_by(WitnessedCheckpoint.checkpoint_id)))

    async def count(self, model: type[CheckpointCosignature] | type[SignedCheckpoint]) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
