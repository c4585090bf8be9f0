"""The ledger export streams: a long ledger is read in pages while the zip is sent, and what arrives verifies.

The ledger here is made cheaply: an honest log signed in memory with the platform's key (tests.unit.ledger.factory),
its leaves and checkpoints written straight into the tables the platform keeps them in.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.ledger.keys import LedgerKeys
from auction.ledger.models import PLATFORM_CHAIN, LedgerEntry, SignedCheckpoint
from auction.ledger.queries import LedgerReader
from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.merkle import hash_leaf
from auction.ledger.verifier.note import Checkpoint, format_vkey
from auction.ledger.verifier.verify import verify_bundle
from auction.settings import Settings
from tests.kit.policy import policy_of
from tests.unit.ledger.factory import Log
from web.cli import main

# The API and the command read what the test committed, through connections of their own.
pytestmark = pytest.mark.own_database

ENTRIES = 3000
BATCH = 100


def _log_with(keys: LedgerKeys) -> Log:
    """Bids over seven lots under the platform's key and origin, checkpointed every 250 entries."""
    log = Log(origin=keys.origin, key=keys.signing_key, key_name=keys.key_name)
    log.add("platform.opened", None, {"name": "Achyk test"}, actor="system")
    while len(log.leaves) < ENTRIES:
        n = len(log.leaves)
        lot = 1 + n % 7
        kind = "lot.opened" if log.heads.get(lot) is None else "bid.placed"
        log.add(kind, lot, {"amount": 100 * n, "currency": "KGS", "round": 1}, actor=f"b-{n % 5:016x}")
        if len(log.leaves) % 250 == 0:
            log.checkpoint()
    return log


async def _store(sessions: async_sessionmaker[AsyncSession], log: Log) -> None:
    rows: list[dict[str, Any]] = []
    for leaf in log.leaves:
        parsed = parse_leaf(leaf)
        body = parsed.body
        rows.append(
            {
                "idx": parsed.index,
                "chain_key": PLATFORM_CHAIN if body.lot is None else body.lot,
                "lot_seq": body.lot_seq,
                "kind": body.kind,
                "body_hash": body.hash,
                "leaf": leaf,
                "leaf_hash": hash_leaf(leaf),
                "admitted_at": body.at_datetime,
                "integrated_at": parsed.integrated_at_datetime,
            }
        )
    checkpoints = []
    for note in log.checkpoints:
        checkpoint = Checkpoint.from_note(note)
        checkpoints.append(
            {
                "size": checkpoint.size,
                "root": checkpoint.root.hex(),
                "note": note,
                "key_name": log.key_name,
                "signed_at": parsed.integrated_at_datetime,
            }
        )
    async with sessions() as session:
        await session.execute(insert(LedgerEntry), rows)
        await session.execute(insert(SignedCheckpoint), checkpoints)
        await session.commit()


@pytest.fixture
async def stored(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> Log:
    log = _log_with(settings.ledger_keys())
    await _store(sessions, log)
    return log


def _verified(bundle: Path, log: Log) -> None:
    report = verify_bundle(bundle, policy=policy_of([format_vkey(log.key_name, log.key.public_key())]))
    assert report.exit_code == 0, report.text()
    assert report.trusted
    assert report.entries == ENTRIES
    assert report.checkpoints == len(log.checkpoints)


async def test_the_api_streams_an_export_that_verifies(
    client: AsyncTestClient[Litestar], stored: Log, tmp_path: Path
) -> None:
    response = await client.get("/api/v1/ledger/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "content-length" not in response.headers  # a stream: its length is not known when it starts
    bundle = tmp_path / "api.zip"
    bundle.write_bytes(response.content)
    _verified(bundle, stored)


@pytest.mark.usefixtures("server_environment")
@pytest.mark.parametrize("form", ["bundle.zip", "bundle"])
async def test_the_command_exports_a_bundle_that_verifies(stored: Log, tmp_path: Path, form: str) -> None:
    out = tmp_path / form
    assert await asyncio.to_thread(main, ["ledger", "export", str(out)]) == 0
    _verified(out, stored)


class _CountingSession:
    """The reader's session, counting the queries that fetch entries."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.entry_pages = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    async def scalars(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if "ledger_entries.idx >=" in str(statement):  # a page of entries, not the key history
            self.entry_pages += 1
        return await self._session.scalars(statement, *args, **kwargs)


async def test_the_zip_is_sent_while_the_ledger_is_still_being_read(
    sessions: async_sessionmaker[AsyncSession], stored: Log, settings: Settings, tmp_path: Path
) -> None:
    """Bytes leave after each page, not once the whole ledger is in memory: at most one page is held at a time."""
    pages = -(-ENTRIES // BATCH)
    sent_at: list[tuple[int, int]] = []  # (entry pages read so far, bytes in the chunk)
    chunks = []
    async with sessions() as session:
        counting = _CountingSession(session)
        reader = LedgerReader(counting, settings.ledger_keys())  # type: ignore[arg-type]
        async for chunk in reader.export_zip(batch=BATCH):
            sent_at.append((counting.entry_pages, len(chunk)))
            chunks.append(chunk)
    assert counting.entry_pages == pages
    total = sum(size for _, size in sent_at)
    before_last_page = sum(size for read, size in sent_at if read < pages)
    # Most of the zip had left before the last page was read (deflate holds back at most its window).
    assert before_last_page > total // 2, sent_at
    assert max(size for _, size in sent_at) < total // 4, sent_at
    bundle = tmp_path / "streamed.zip"
    bundle.write_bytes(b"".join(chunks))
    _verified(bundle, stored)
