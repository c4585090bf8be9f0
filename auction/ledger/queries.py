"""Reading the ledger: checkpoints, entries, O(log n) proofs, proof files, and the export bundle."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import ColumnElement, Select, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from auction.errors import InvalidInput, NotFound
from auction.ledger.keys import LedgerKeys
from auction.ledger.models import (
    PLATFORM_CHAIN,
    CheckpointCosignature,
    LedgerEntry,
    PendingEntry,
    SignedCheckpoint,
    TreeNode,
    WitnessedCheckpoint,
)
from auction.ledger.rotation import ROTATION_KIND, key_history, vkey_of
from auction.ledger.verifier.bundle import (
    CHECKPOINTS_FILE,
    ENTRIES_FILE,
    ZipStream,
    bundle_head,
    checkpoints_piece,
    entries_piece,
)
from auction.ledger.verifier.merkle import consistency_proof, inclusion_proof, layered_subtree_hasher
from auction.ledger.verifier.note import parse_vkey
from auction.ledger.verifier.proof_file import build_proof
from auction.ledger.verifier.witnessing import TrustPolicy
from auction.ledger.witness_config import WitnessConfig

MAX_PAGE = 1000
EXPORT_BATCH = 1000  # rows a query when exporting: memory stays flat however long the ledger
PUBLISHED_KIND = "lot.published"


@dataclass(frozen=True, slots=True)
class LotChain:
    """One lot's chain at one moment: what is in the tree, and what still waits for the integrator."""

    integrated: list[LedgerEntry]
    pending: list[PendingEntry]


@dataclass(frozen=True, slots=True)
class Inclusion:
    index: int
    tree_size: int
    leaf_hash: bytes
    path: list[bytes]
    checkpoint_note: str
    # The note will not change any more: no witnesses are configured, or a quorum has cosigned it already (later
    # cosignatures may still come, but the note already stands against a trust policy). A cache may keep it.
    settled: bool = False


@dataclass(frozen=True, slots=True)
class Cosigned:
    """A signed checkpoint with its witnesses' cosignature lines and, once a quorum cosigned it, its quorum time."""

    checkpoint: SignedCheckpoint
    lines: list[str]
    witnessed_at: datetime | None

    @property
    def note(self) -> str:
        """The note as witnesses and inspectors read it: the log's signature, then each cosignature line."""
        return self.checkpoint.note + "".join(self.lines)


@dataclass(frozen=True, slots=True)
class Proven:
    """An integrated entry and its inclusion proof in a signed tree."""

    entry: LedgerEntry
    inclusion: Inclusion


@dataclass(frozen=True, slots=True)
class PublishedProof:
    """What a browser needs to trust a lot's published terms and key: see ``LedgerReader.published_proof``."""

    published: Proven
    rotations: list[Proven]


class _Recorder:
    """A node store that only notes which nodes a proof needs, so they can be fetched in one query."""

    def __init__(self) -> None:
        self.wanted: set[tuple[int, int]] = set()

    def node(self, level: int, index: int) -> bytes:
        self.wanted.add((level, index))
        return bytes(32)


class _Fetched:
    def __init__(self, nodes: dict[tuple[int, int], bytes]) -> None:
        self.nodes = nodes

    def node(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]


@dataclass(frozen=True, slots=True)
class _SignedTree:
    """A signed checkpoint as a proof needs it: its size, root and note with the cosignature lines so far."""

    size: int
    root: str
    note: str
    witnessed: bool


PROOF_CACHE_SIZE = 4096
"""Proofs kept per process. A proof is fixed by its sizes and the tree's root, so an entry never goes stale."""


class _ProofCache:
    """A small LRU of proof hashes keyed by (what, sizes..., root): stored nodes never change, so neither does a
    proof of a given tree; the root in the key keeps apart different databases served by one process (tests)."""

    def __init__(self, limit: int = PROOF_CACHE_SIZE) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple[object, ...], tuple[bytes, list[bytes]]] = OrderedDict()

    def get(self, key: tuple[object, ...]) -> tuple[bytes, list[bytes]] | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: tuple[object, ...], value: tuple[bytes, list[bytes]]) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


PROOFS = _ProofCache()

_NODES_BY_ARRAYS = text(
    "SELECT n.level, n.position, n.hash FROM ledger_tree_nodes AS n "
    "JOIN unnest(CAST(:levels AS bigint[]), CAST(:positions AS bigint[])) AS w(level, position) "
    "ON n.level = w.level AND n.position = w.position"
)


def _new_file(folder: Path, name: str) -> BinaryIO:
    """A bundle directory's file, never one that is there already."""
    folder.mkdir(parents=True, exist_ok=True)
    return (folder / name).open("xb")


class LedgerReader:
    def __init__(self, session: AsyncSession, keys: LedgerKeys, witnesses: WitnessConfig | None = None) -> None:
        """`witnesses`: the platform's configuration; with a quorum, what it publishes is what a quorum cosigned."""
        self.session = session
        self.keys = keys
        self.witnesses = witnesses

    def verifier_key(self) -> str:
        return vkey_of(self.keys)

    async def latest_checkpoint(self) -> SignedCheckpoint | None:
        return await self.session.scalar(select(SignedCheckpoint).order_by(SignedCheckpoint.id.desc()).limit(1))

    async def checkpoints(self, *, after_id: int = 0, limit: int = 100) -> list[SignedCheckpoint]:
        rows = await self.session.scalars(
            select(SignedCheckpoint)
            .where(SignedCheckpoint.id > after_id)
            .order_by(SignedCheckpoint.id)
            .limit(min(limit, MAX_PAGE))
        )
        return list(rows)

    async def cosigned(self, checkpoints: list[SignedCheckpoint]) -> list[Cosigned]:
        """Each checkpoint with its cosignature lines (in the order they came) and quorum time."""
        ids = [c.id for c in checkpoints]
        lines: dict[int, list[str]] = {i: [] for i in ids}
        witnessed: dict[int, datetime] = {}
        if ids:
            rows = await self.session.execute(
                select(CheckpointCosignature.checkpoint_id, CheckpointCosignature.line)
                .where(CheckpointCosignature.checkpoint_id.in_(ids))
                .order_by(CheckpointCosignature.id)
            )
            for checkpoint_id, line in rows:
                lines[checkpoint_id].append(line)
            witnessed = dict(
                (
                    await self.session.execute(
                        select(WitnessedCheckpoint.checkpoint_id, WitnessedCheckpoint.witnessed_at).where(
                            WitnessedCheckpoint.checkpoint_id.in_(ids)
                        )
                    )
                ).all()
            )
        return [Cosigned(c, lines[c.id], witnessed.get(c.id)) for c in checkpoints]

    async def latest_witnessed(self) -> SignedCheckpoint | None:
        """The newest checkpoint a quorum of witnesses cosigned."""
        return await self.session.scalar(
            select(SignedCheckpoint)
            .join(WitnessedCheckpoint, WitnessedCheckpoint.checkpoint_id == SignedCheckpoint.id)
            .order_by(SignedCheckpoint.id.desc())
            .limit(1)
        )

    async def published_checkpoint(self) -> Cosigned | None:
        """What the platform publishes as its checkpoint: with witnessing on, the newest one a quorum cosigned, with
        the cosignatures (the newest signed one until any is witnessed); without, the newest signed one."""
        chosen = None
        if self.witnesses is not None and self.witnesses.enabled:
            chosen = await self.latest_witnessed()
        chosen = chosen or await self.latest_checkpoint()
        return None if chosen is None else (await self.cosigned([chosen]))[0]

    async def trust_policy(self) -> TrustPolicy:
        """The platform's own trust policy: every key of the log's history, the configured witnesses, quorum, grace."""
        config = self.witnesses or WitnessConfig((), 0, 0, 0.0)
        keys = [parse_vkey(vkey) for vkey in await key_history(self.session, self.keys)]
        current = parse_vkey(vkey_of(self.keys))
        if current not in keys:  # a rotation admitted but not yet integrated: the new key signs already
            keys.append(current)
        return config.policy(keys)

    async def checkpoint_of_size(self, size: int) -> SignedCheckpoint:
        found = await self.session.scalar(
            select(SignedCheckpoint).where(SignedCheckpoint.size == size).order_by(SignedCheckpoint.id).limit(1)
        )
        if found is None:
            raise NotFound("ledger.checkpoint_not_found", field="size", size=size)
        return found

    async def entries(self, start: int, end: int) -> list[LedgerEntry]:
        if start < 0 or end <= start:
            raise InvalidInput("ledger.range_invalid", field="start")
        rows = await self.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.idx >= start, LedgerEntry.idx < min(end, start + MAX_PAGE))
            .order_by(LedgerEntry.idx)
        )
        return list(rows)

    async def entries_of_lot(self, lot_id: int) -> list[LedgerEntry]:
        rows = await self.session.scalars(
            select(LedgerEntry).where(LedgerEntry.chain_key == lot_id).order_by(LedgerEntry.lot_seq)
        )
        return list(rows)

    async def pending_of_lot(self, lot_id: int) -> list[PendingEntry]:
        rows = await self.session.scalars(
            select(PendingEntry).where(PendingEntry.chain_key == lot_id).order_by(PendingEntry.lot_seq)
        )
        return list(rows)

    async def chain_of_lot(self, lot_id: int) -> LotChain:
        """Every entry of the lot exactly once, even while the integrator moves bodies into the tree.

        Pending rows are read first: one integrated in between then shows up in the second read as well, and is dropped
        from the pending list, instead of falling between two reads and missing from both.
        """
        pending = await self.pending_of_lot(lot_id)
        integrated = await self.entries_of_lot(lot_id)
        last_integrated = integrated[-1].lot_seq if integrated else -1
        return LotChain(integrated, [p for p in pending if p.lot_seq > last_integrated])

    async def witnessed_at(self, index: int) -> datetime | None:
        """When a quorum of witnesses had first cosigned a tree holding entry `index` (docs/witnesses.md §5)."""
        return await self.session.scalar(
            select(func.min(WitnessedCheckpoint.witnessed_at)).where(WitnessedCheckpoint.size > index)
        )

    async def entry_by_body_hash(self, body_hash: str) -> LedgerEntry | None:
        return await self.session.scalar(select(LedgerEntry).where(LedgerEntry.body_hash == body_hash))

    async def inclusion(self, index: int, tree_size: int | None = None) -> Inclusion:
        """An inclusion proof of leaf ``index`` in a signed tree (the latest unless a size is given).

        Two statements whatever the tree's size: the checkpoint with its cosignatures, then every node the proof
        needs (the leaf's own hash included) in one indexed lookup; none when the proof is cached.
        """
        if tree_size:
            tree = await self._signed_tree(SignedCheckpoint.size == tree_size)
            if tree is None:
                raise NotFound("ledger.checkpoint_not_found", field="size", size=tree_size)
        else:
            tree = await self._signed_tree(None, newest=True)
        return await self._prove_inclusion(index, tree)

    async def _inclusion_in(self, index: int, checkpoint: SignedCheckpoint | None) -> Inclusion:
        tree = None
        if checkpoint is not None:
            tree = await self._signed_tree(SignedCheckpoint.id == checkpoint.id)
        return await self._prove_inclusion(index, tree)

    async def _prove_inclusion(self, index: int, tree: _SignedTree | None) -> Inclusion:
        if tree is None or not 0 <= index < tree.size:
            raise NotFound("ledger.entry_not_integrated", field="index", index=index)
        size = tree.size
        key = ("inclusion", index, size, tree.root)
        cached = PROOFS.get(key)
        if cached is None:
            recorder = _Recorder()
            inclusion_proof(index, size, layered_subtree_hasher(recorder))
            nodes = await self._nodes([*recorder.wanted, (0, index)])
            cached = (nodes[(0, index)], inclusion_proof(index, size, layered_subtree_hasher(_Fetched(nodes))))
            PROOFS.put(key, cached)
        leaf_hash, path = cached
        settled = tree.witnessed or self.witnesses is None or not self.witnesses.enabled
        return Inclusion(index, size, leaf_hash, list(path), tree.note, settled)

    async def _signed_tree(self, where: ColumnElement[bool] | None, *, newest: bool = False) -> _SignedTree | None:
        """One checkpoint (the oldest matching `where`, or the newest) with its cosignature lines, in one statement."""
        chosen: Select[tuple[int]] = select(SignedCheckpoint.id)
        if where is not None:
            chosen = chosen.where(where)
        order = SignedCheckpoint.id.desc() if newest else SignedCheckpoint.id.asc()
        picked = chosen.order_by(order).limit(1).scalar_subquery()
        rows = (
            await self.session.execute(
                select(
                    SignedCheckpoint.size,
                    SignedCheckpoint.root,
                    SignedCheckpoint.note,
                    WitnessedCheckpoint.checkpoint_id,
                    CheckpointCosignature.line,
                )
                .outerjoin(WitnessedCheckpoint, WitnessedCheckpoint.checkpoint_id == SignedCheckpoint.id)
                .outerjoin(CheckpointCosignature, CheckpointCosignature.checkpoint_id == SignedCheckpoint.id)
                .where(SignedCheckpoint.id == picked)
                .order_by(CheckpointCosignature.id)
            )
        ).all()
        if not rows:
            return None
        size, root, note, witnessed, _ = rows[0]
        lines = "".join(line for *_, line in rows if line is not None)
        return _SignedTree(size, root, note + lines, witnessed is not None)

    async def published_proof(self, lot_id: int) -> PublishedProof:
        """The lot's ``lot.published`` leaf with its inclusion in the latest signed tree, and every key rotation.

        Each rotation comes with its inclusion in the first checkpoint that covers it, which the retiring key
        may sign: a browser that pinned an older key follows the rotations it signed to the key in force.
        """
        entry = await self.session.scalar(
            select(LedgerEntry).where(LedgerEntry.chain_key == lot_id, LedgerEntry.lot_seq == 1)
        )
        if entry is None or entry.kind != PUBLISHED_KIND:
            raise NotFound("ledger.lot_not_published", field="lot_id", lot_id=lot_id)
        rotations = await self.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.chain_key == PLATFORM_CHAIN, LedgerEntry.kind == ROTATION_KIND)
            .order_by(LedgerEntry.lot_seq)
        )
        proven = [
            Proven(rotation, await self.inclusion(rotation.idx, await self._first_covering(rotation.idx)))
            for rotation in rotations
        ]
        return PublishedProof(Proven(entry, await self.inclusion(entry.idx)), proven)

    async def _first_covering(self, index: int) -> int:
        size = await self.session.scalar(
            select(SignedCheckpoint.size)
            .where(SignedCheckpoint.size > index)
            .order_by(SignedCheckpoint.size, SignedCheckpoint.id)
            .limit(1)
        )
        if size is None:
            raise NotFound("ledger.entry_not_integrated", field="index", index=index)
        return size

    async def consistency(self, size1: int, size2: int) -> list[bytes]:
        """RFC 6962 consistency proof between two sizes up to the latest signed tree: two statements (the latest
        checkpoint's size and root, then every node the proof needs in one lookup), one when cached."""
        latest = (
            await self.session.execute(
                select(SignedCheckpoint.size, SignedCheckpoint.root).order_by(SignedCheckpoint.id.desc()).limit(1)
            )
        ).first()
        if latest is None or not 0 < size1 <= size2 <= latest.size:
            raise InvalidInput("ledger.consistency_range_invalid", field="size1")
        # Every node of a tree up to the latest size is fixed by the latest root.
        key = ("consistency", size1, size2, latest.size, latest.root)
        cached = PROOFS.get(key)
        if cached is None:
            recorder = _Recorder()
            consistency_proof(size1, size2, layered_subtree_hasher(recorder))
            nodes = await self._nodes(recorder.wanted)
            cached = (b"", consistency_proof(size1, size2, layered_subtree_hasher(_Fetched(nodes))))
            PROOFS.put(key, cached)
        return list(cached[1])

    async def proof_file(self, body_hash: str, receipt: str | None = None) -> str:
        """A self-contained C2SP tlog-proof for the entry with this body hash.

        Given the entry's signed receipt note, the proof carries it in its extra line: the verifier then refuses
        the proof unless its index holds the entry the receipt names (a bidder's own proof, bound to their entry).
        """
        entry = await self.entry_by_body_hash(body_hash)
        if entry is None:
            raise NotFound("ledger.body_hash_unknown")
        # In the newest tree a quorum cosigned, if it holds the entry: such a proof stands against a trust policy.
        witnessed = await self.latest_witnessed()
        if witnessed is not None and witnessed.size > entry.idx:
            inclusion = await self._inclusion_in(entry.idx, witnessed)
        else:
            inclusion = await self.inclusion(entry.idx)
        extra = None if receipt is None else receipt.encode()
        return build_proof(inclusion.index, inclusion.path, inclusion.checkpoint_note, extra)

    async def _nodes(self, wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored hashes of these (level, position) nodes, in one statement on the primary key.

        On PostgreSQL the keys travel as two arrays joined against the primary key: one statement text whatever the
        proof's length, so it is compiled and prepared once (an expanding IN list is re-rendered for every proof).
        """
        keys = sorted(set(wanted))
        if not keys:
            return {}
        if self.session.get_bind().dialect.name == "postgresql":
            rows = await self.session.execute(
                _NODES_BY_ARRAYS, {"levels": [k[0] for k in keys], "positions": [k[1] for k in keys]}
            )
        else:
            rows = await self.session.execute(
                select(TreeNode.level, TreeNode.position, TreeNode.hash).where(
                    tuple_(TreeNode.level, TreeNode.position).in_(keys)
                )
            )
        return {(level, position): digest for level, position, digest in rows}

    async def export(self, out: Path) -> int:
        """Write the export bundle (see docs/ledger.md) to a .zip or a new directory; returns the entries written.

        Streamed like the download: the ledger is read a page at a time, so memory does not grow with it.
        """
        count = 0
        if out.suffix == ".zip":
            archive = ZipStream()
            with out.open("xb") as zipped:
                async for name, piece in self.export_parts():
                    zipped.write(archive.add(name, piece))
                    count += piece.count(b"\n") if name == ENTRIES_FILE else 0
                zipped.write(archive.close())
            return count
        files: dict[str, BinaryIO] = {}
        try:
            async for name, piece in self.export_parts():
                if name not in files:
                    files[name] = _new_file(out, name)
                files[name].write(piece)
                if name == ENTRIES_FILE:
                    count += piece.count(b"\n")
        finally:
            for file in files.values():
                file.close()
        return count

    async def export_zip(self, batch: int = EXPORT_BATCH) -> AsyncIterator[bytes]:
        """The export bundle as .zip bytes, made as the ledger is read (`batch` rows a query)."""
        archive = ZipStream()
        async for name, piece in self.export_parts(batch):
            chunk = archive.add(name, piece)
            if chunk:
                yield chunk
        yield archive.close()

    async def export_parts(self, batch: int = EXPORT_BATCH) -> AsyncIterator[tuple[str, bytes]]:
        """The bundle's files in order, as (file name, next piece): every checkpoint signed up to now and the
        entries its newest one covers, each read in keyset pages of `batch` rows.

        Bounded by the checkpoint the platform publishes at the start, so the bundle is one consistent cut of the log
        however long the download takes while the integrator goes on (every entry needs a checkpoint that covers it).
        With witnessing on that is the newest one a quorum cosigned: a verifier holding the trust policy requires
        the bundle's newest checkpoint to carry a quorum, and a fresher one may still be collecting cosignatures.
        """
        newest = None
        if self.witnesses is not None and self.witnesses.enabled:
            newest = await self.latest_witnessed()
        newest = newest or await self.latest_checkpoint()
        last_id, size = (newest.id, newest.size) if newest is not None else (0, 0)
        for name, content in bundle_head(self.keys.origin, await key_history(self.session, self.keys)):
            yield name, content
        yield CHECKPOINTS_FILE, b""
        after = number = 0
        while after < last_id:
            page = [
                (checkpoint_id, note)
                for checkpoint_id, note in await self.session.execute(
                    select(SignedCheckpoint.id, SignedCheckpoint.note)
                    .where(SignedCheckpoint.id > after, SignedCheckpoint.id <= last_id)
                    .order_by(SignedCheckpoint.id)
                    .limit(batch)
                )
            ]
            if not page:
                break
            lines: dict[int, list[str]] = {}
            for checkpoint_id, line in await self.session.execute(
                select(CheckpointCosignature.checkpoint_id, CheckpointCosignature.line)
                .where(CheckpointCosignature.checkpoint_id.in_([checkpoint_id for checkpoint_id, _ in page]))
                .order_by(CheckpointCosignature.id)
            ):
                lines.setdefault(checkpoint_id, []).append(line)
            # Each note with its cosignatures: the bundle carries what the witnesses vouched for (docs/ledger.md).
            notes = [note + "".join(lines.get(checkpoint_id, [])) for checkpoint_id, note in page]
            yield CHECKPOINTS_FILE, checkpoints_piece(notes, number)
            number += len(page)
            after = page[-1][0]
        yield ENTRIES_FILE, b""
        start = 0
        while start < size:
            leaves = list(
                await self.session.scalars(
                    select(LedgerEntry.leaf)
                    .where(LedgerEntry.idx >= start, LedgerEntry.idx < size)
                    .order_by(LedgerEntry.idx)
                    .limit(batch)
                )
            )
            if not leaves:
                break
            yield ENTRIES_FILE, entries_piece(leaves, start)
            start += len(leaves)
