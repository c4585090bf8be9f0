"""Proofs read from stored tree nodes: each verifies against its signed root, and costs a fixed number of
statements however large the tree (the checkpoint with its cosignatures, then every node in one lookup)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.errors import InvalidInput, NotFound
from auction.ledger.integrator import signed_checkpoint
from auction.ledger.models import TreeNode
from auction.ledger.queries import PROOFS, LedgerReader
from auction.ledger.verifier.merkle import CompactRange, verify_consistency, verify_inclusion
from auction.settings import Settings
from tests.kit.ledger import keys_of


@contextmanager
def counted(session: AsyncSession) -> Iterator[list[str]]:
    """The statements the session sends while the block runs."""
    bind = session.bind
    assert bind is not None
    sync_engine = bind.sync_engine
    statements: list[str] = []

    def count(_: Any, __: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)


async def store_tree(
    session: AsyncSession, settings: Settings, clock: FrozenClock, size: int, every: int
) -> tuple[list[bytes], dict[int, bytes]]:
    """Leaves 0..size-1 stored as the integrator stores them, signed every `every` leaves and at the end."""
    keys = keys_of(settings)
    # Distinct per tree: two trees of one test run never share a root, so a cached proof cannot leak between them.
    salt = f"{size}:{every}:".encode()
    hashes = [hashlib.sha256(salt + i.to_bytes(8, "big")).digest() for i in range(size)]
    tree = CompactRange()
    roots: dict[int, bytes] = {}
    rows: list[dict[str, Any]] = []
    for start in range(0, size, every):
        batch = hashes[start : start + every]
        created = tree.extend_collecting(batch)
        rows += [{"level": 0, "position": start + i, "hash": h} for i, h in enumerate(batch)]
        rows += [{"level": level, "position": position, "hash": h} for level, position, h in created]
        roots[tree.end] = tree.root()
        session.add(signed_checkpoint(keys, tree.end, roots[tree.end], clock.now()))
    for first in range(0, len(rows), 5000):
        await session.execute(insert(TreeNode), rows[first : first + 5000])
    await session.flush()
    return hashes, roots


@pytest.mark.parametrize(("size", "every"), [(13, 4), (2_500, 300)])
async def test_proofs_verify_and_cost_two_statements_at_any_size(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock, size: int, every: int
) -> None:
    rng = random.Random(size)
    async with sessions() as session:
        hashes, roots = await store_tree(session, settings, clock, size, every)
        reader = LedgerReader(session, keys_of(settings))
        sizes = sorted(roots)
        asks = [(index, tree) for tree in sizes for index in rng.sample(range(tree), min(tree, 6))]
        for index, tree in asks:
            PROOFS.clear()
            with counted(session) as statements:
                proof = await reader.inclusion(index, tree)
            assert len(statements) == 2, statements
            assert proof.leaf_hash == hashes[index]
            verify_inclusion(index, tree, proof.leaf_hash, proof.path, roots[tree])
            with counted(session) as statements:
                again = await reader.inclusion(index, tree)
            # Nodes never change: the second ask reads only the checkpoint (its note may gain cosignatures).
            assert len(statements) == 1, statements
            assert again == proof
        latest = await reader.inclusion(size - 1)
        verify_inclusion(size - 1, size, hashes[-1], latest.path, roots[size])
        for old in sizes:
            for new in (s for s in sizes if s >= old):
                PROOFS.clear()
                with counted(session) as statements:
                    path = await reader.consistency(old, new)
                # Equal sizes need no node at all: only the latest checkpoint is read.
                assert len(statements) == (2 if old < new else 1), statements
                verify_consistency(old, new, path, roots[old], roots[new])
        # Sizes between checkpoints are proven too: the latest tree fixes every node below it.
        middle = sizes[0] + 1
        verify_consistency(
            middle, size, await reader.consistency(middle, size), hashes_root(hashes[:middle]), roots[size]
        )
        with pytest.raises(NotFound):
            await reader.inclusion(size, size)
        with pytest.raises(NotFound):
            await reader.inclusion(0, sizes[0] + 1)
        with pytest.raises(InvalidInput):
            await reader.consistency(1, size + 1)
        await session.rollback()


def hashes_root(hashes: list[bytes]) -> bytes:
    tree = CompactRange()
    tree.extend(hashes)
    return tree.root()
