"""The ledger on a real database: same-transaction admission, integration, proofs, append-only storage."""

from __future__ import annotations

import asyncio
import base64
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.clock import FrozenClock
from auction.db.engine import transaction
from auction.errors import Unavailable
from auction.ledger.admission import LedgerWriter
from auction.ledger.integrator import Integrator
from auction.ledger.keys import load_keys
from auction.ledger.models import LedgerEntry, PendingEntry, SignedCheckpoint
from auction.ledger.queries import LedgerReader
from auction.ledger.rotation import record_rotation
from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.merkle import hash_leaf, verify_consistency, verify_inclusion
from auction.ledger.verifier.note import open_checkpoint, open_receipt
from auction.ledger.verifier.proof_file import parse_proof, verify_proof
from auction.ledger.verifier.verify import verify_bundle
from auction.lots.models import Lot, LotState
from auction.lots.schemas import LotCreate
from auction.settings import Settings
from tests.kit.ledger import integrate, keys_of, lot_service, verifier
from tests.kit.world import World, lot_terms

Client = AsyncTestClient[Litestar]


async def publish_lots(client: Client, world: World, clock: FrozenClock, count: int) -> list[int]:
    auth = world.auth("officer_tokmok")
    ids = []
    for number in range(count):
        lot = (
            await client.post("/api/v1/lots", json=lot_terms(clock.now(), title_en=f"Plot {number}"), headers=auth)
        ).json()
        published = await client.post(f"/api/v1/lots/{lot['id']}/publish", headers=auth)
        assert published.status_code == 200, published.text
        ids.append(lot["id"])
    return ids


async def rows(sessions: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_publication_is_admitted_then_integrated_and_signed(
    client: Client,
    world: World,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    keys = keys_of(settings)
    [lot_id] = await publish_lots(client, world, clock, 1)
    chain = (await client.get(f"/api/v1/ledger/lots/{lot_id}/entries")).json()
    assert chain["integrated"] == []
    assert [p["kind"] for p in chain["pending"]] == ["lot.published"]
    assert (await client.get("/api/v1/ledger/checkpoint")).status_code == 404

    assert await integrate(sessions, keys, clock) == 1
    note = (await client.get("/api/v1/ledger/checkpoint")).text
    checkpoint, _ = open_checkpoint(note, [verifier(keys)])
    assert (checkpoint.origin, checkpoint.size) == ("test.achyk.kg/ledger", 1)
    assert (await client.get("/api/v1/ledger/key")).text.startswith("test.achyk.kg/ledger+")

    [entry] = (await client.get("/api/v1/ledger/entries", params={"start": 0, "end": 10})).json()
    leaf = parse_leaf(entry["leaf"].encode())
    assert leaf.body.kind == "lot.published"
    assert leaf.body.lot == lot_id
    assert leaf.body.payload["terms"]["starting_price"] == 100_000_00
    assert leaf.body.payload["terms"]["applications_close_at"] == "2026-06-22T06:00:00.000000Z"
    assert leaf.body.actor == f"officer:{world.user_ids['officer_tokmok']}"
    assert hash_leaf(entry["leaf"].encode()) == checkpoint.root  # a one-leaf tree's root is its leaf hash


async def test_a_lots_chain_read_while_the_integrator_runs_misses_no_entry(
    client: Client,
    world: World,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The integrator commits between the reader's two statements: the entry shows once, as integrated."""
    if backend != "postgres":
        pytest.skip("SQLite runs one transaction at a time: no integrator commits inside a read")
    keys = keys_of(settings)
    [lot_id] = await publish_lots(client, world, clock, 1)
    integrated_once: list[int] = []

    def then_integrate(read: Callable[[LedgerReader, int], Awaitable[list[Any]]]) -> Any:
        async def read_then_integrate(reader: LedgerReader, lot: int) -> list[Any]:
            rows = await read(reader, lot)
            if not integrated_once:  # whichever statement the reader sends first, the integrator commits after it
                integrated_once.append(await integrate(sessions, keys, clock))
            return rows

        return read_then_integrate

    for method in ("entries_of_lot", "pending_of_lot"):
        monkeypatch.setattr(LedgerReader, method, then_integrate(getattr(LedgerReader, method)))
    async with sessions() as session:
        chain = await LedgerReader(session, keys).chain_of_lot(lot_id)
    assert integrated_once == [1]
    assert [entry.kind for entry in chain.integrated] == ["lot.published"]
    assert chain.pending == []


async def test_proofs_verify_against_signed_checkpoints(
    client: Client,
    world: World,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    keys = keys_of(settings)
    await publish_lots(client, world, clock, 3)
    await integrate(sessions, keys, clock)
    first = (await client.get("/api/v1/ledger/checkpoint")).text
    await publish_lots(client, world, clock, 4)
    await integrate(sessions, keys, clock)
    second, _ = open_checkpoint((await client.get("/api/v1/ledger/checkpoint")).text, [verifier(keys)])
    older, _ = open_checkpoint(first, [verifier(keys)])
    assert (older.size, second.size) == (3, 7)

    entries = (await client.get("/api/v1/ledger/entries", params={"start": 0, "end": 7})).json()
    for entry in entries:
        proof = (await client.get("/api/v1/ledger/proof/inclusion", params={"index": entry["index"]})).json()
        path = [base64.b64decode(h) for h in proof["path"]]
        verify_inclusion(entry["index"], 7, bytes.fromhex(entry["leaf_hash"]), path, second.root)
    pinned = await client.get("/api/v1/ledger/proof/inclusion", params={"index": 2, "size": 3})
    path = [base64.b64decode(h) for h in pinned.json()["path"]]
    verify_inclusion(2, 3, bytes.fromhex(entries[2]["leaf_hash"]), path, older.root)
    # Sizes given and no witnesses to wait for: the answer never changes, so it may be kept for good; the proof
    # in the newest tree follows the tree, so it may not.
    assert "immutable" in pinned.headers["cache-control"]
    latest = await client.get("/api/v1/ledger/proof/inclusion", params={"index": 2})
    assert "immutable" not in latest.headers.get("cache-control", "")
    answer = await client.get("/api/v1/ledger/proof/consistency", params={"size1": 3, "size2": 7})
    assert "immutable" in answer.headers["cache-control"]
    consistency = answer.json()
    verify_consistency(3, 7, [base64.b64decode(h) for h in consistency["path"]], older.root, second.root)

    history = (await client.get("/api/v1/ledger/checkpoints")).json()
    assert [c["size"] for c in history] == [3, 7]
    bad = await client.get("/api/v1/ledger/proof/consistency", params={"size1": 5, "size2": 99})
    assert bad.status_code == 422


async def test_receipt_then_proof_file(
    client: Client,
    world: World,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    keys = keys_of(settings)
    async with transaction(sessions) as session:
        writer = LedgerWriter(session, keys, clock)
        admitted = await writer.record("test.note", None, "system", {"n": 1})
    receipt, _ = open_receipt(admitted.receipt, [verifier(keys)])
    assert receipt.body_hash == admitted.body_hash
    missing = await client.get(f"/api/v1/ledger/receipts/{admitted.body_hash}/proof")
    assert missing.status_code == 404
    await integrate(sessions, keys, clock)
    text_proof = (await client.get(f"/api/v1/ledger/receipts/{admitted.body_hash}/proof")).text
    proof = parse_proof(text_proof)
    async with sessions() as session:
        entry = await session.scalar(select(LedgerEntry).where(LedgerEntry.body_hash == admitted.body_hash))
        assert entry is not None
        verify_proof(proof, entry.leaf_hash, keys.origin, [verifier(keys)])
    malformed = await client.get("/api/v1/ledger/receipts/not-a-hash/proof")
    assert malformed.status_code == 422


async def test_no_entry_without_its_change_and_no_change_without_its_entry(
    world: World,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    keys = keys_of(settings)
    async with transaction(sessions) as session:
        officer = await session.get(User, world.user_ids["officer_tokmok"])
        assert officer is not None
        lot = await lot_service(session, clock, keys).create(officer, LotCreate(**lot_terms(clock.now())))
        lot_id = lot.id

    class Boom(Exception):
        pass

    async def publish_then_fail() -> None:
        async with transaction(sessions) as session:
            officer = await session.get(User, world.user_ids["officer_tokmok"])
            assert officer is not None
            await lot_service(session, clock, keys).publish(officer, lot_id)
            assert await session.scalar(select(func.count()).select_from(PendingEntry)) == 1
            raise Boom

    async def change_with_unadmittable_entry() -> None:
        async with transaction(sessions) as session:
            locked = await session.get(Lot, lot_id)
            assert locked is not None
            locked.state = LotState.PUBLISHED
            await LedgerWriter(session, keys, clock).record("lot.published", lot_id, "system", {"x": 1.5})

    # Fail the transaction after the state change and its entry were both written: neither survives.
    with pytest.raises(Boom):
        await publish_then_fail()
    # Fail inside admission itself (a float cannot enter the ledger): the state change is rolled back too.
    with pytest.raises(Exception, match="float"):
        await change_with_unadmittable_entry()
    async with sessions() as session:
        lot_after = await session.get(Lot, lot_id)
        assert lot_after is not None
        assert lot_after.state == LotState.DRAFT
    assert await rows(sessions, PendingEntry) == 0
    assert await rows(sessions, LedgerEntry) == 0


async def test_backlog_pushes_back_without_writing(
    world: World,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    keys = keys_of(settings)
    async with transaction(sessions) as session:
        writer = LedgerWriter(session, keys, clock, backlog_limit=3)
        for n in range(3):
            await writer.record("test.note", None, "system", {"n": n})
    with pytest.raises(Unavailable, match="Retry"):
        async with transaction(sessions) as session:
            await LedgerWriter(session, keys, clock, backlog_limit=3).record("test.note", None, "system", {})
    assert await rows(sessions, PendingEntry) == 3


@pytest.mark.own_database  # several transactions at once need several connections
async def test_concurrent_integrators_give_contiguous_indexes_and_consistent_checkpoints(
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    keys = keys_of(settings)

    async def admit(chain: int) -> None:
        for n in range(10):
            async with transaction(sessions) as session:
                await LedgerWriter(session, keys, clock).record("test.note", chain, "system", {"n": n})

    async def integrate_small() -> None:
        integrator = Integrator(sessions, keys, clock, batch_size=7)
        for _ in range(30):
            await integrator.integrate_batch()
            await asyncio.sleep(0)

    await asyncio.gather(*(admit(chain) for chain in (1001, 1002, 1003)), integrate_small(), integrate_small())
    await integrate(sessions, keys, clock)
    async with sessions() as session:
        indexes = list(await session.scalars(select(LedgerEntry.idx).order_by(LedgerEntry.idx)))
        checkpoints = list(await session.scalars(select(SignedCheckpoint).order_by(SignedCheckpoint.id)))
        leaves = list(await session.scalars(select(LedgerEntry.leaf).order_by(LedgerEntry.idx)))
    assert indexes == list(range(30))
    sizes = [c.size for c in checkpoints]
    assert sizes == sorted(set(sizes))
    assert sizes[-1] == 30
    previous = "0" * 64
    for raw in leaves:
        leaf = parse_leaf(raw)
        assert leaf.prev_leaf == previous
        previous = hash_leaf(raw).hex()


async def test_only_one_process_holds_the_integrator_lease(
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    from datetime import timedelta

    keys = keys_of(settings)
    first, second = Integrator(sessions, keys, clock), Integrator(sessions, keys, clock)
    assert await first.hold_lease()
    assert not await second.hold_lease()
    assert await first.hold_lease()
    clock.advance(timedelta(seconds=6))
    assert await second.hold_lease()
    assert not await first.hold_lease()


async def test_postgres_refuses_to_rewrite_the_ledger(
    backend: str,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    if backend != "postgres":
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite is the single-user embedded default")
    keys = keys_of(settings)
    async with transaction(sessions) as session:
        await LedgerWriter(session, keys, clock).record("test.note", None, "system", {"n": 1})
    await integrate(sessions, keys, clock)
    for statement in (
        "UPDATE ledger_entries SET kind = 'forged'",
        "DELETE FROM ledger_entries",
        "TRUNCATE ledger_entries",
        "UPDATE ledger_checkpoints SET note = 'x'",
        "DELETE FROM ledger_tree_nodes",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with transaction(sessions) as session:
                await session.execute(text(statement))
    assert await rows(sessions, LedgerEntry) == 1


async def test_key_rotation_keeps_old_checkpoints_verifiable(
    clock: FrozenClock, sessions: async_sessionmaker[AsyncSession], settings: Settings, tmp_path: Path
) -> None:
    old = keys_of(settings)
    new = load_keys(
        origin=old.origin,
        key_name=old.key_name,
        signing_seed=base64.b64encode(b"n" * 32).decode(),
        pseudonym_seed=base64.b64encode(b"p" * 32).decode(),
        data_dir=tmp_path,
    )
    async with transaction(sessions) as session:
        await LedgerWriter(session, old, clock).record("test.note", None, "system", {"n": 1})
    await integrate(sessions, old, clock)
    async with transaction(sessions) as session:
        await record_rotation(LedgerWriter(session, old, clock), "admin:1", new)
    await integrate(sessions, old, clock)
    async with transaction(sessions) as session:
        await LedgerWriter(session, new, clock).record("test.note", None, "system", {"n": 2})
    await integrate(sessions, new, clock)
    async with sessions() as session:
        await LedgerReader(session, new).export(tmp_path / "rotated.zip")
        signers = list(await session.scalars(select(SignedCheckpoint.note).order_by(SignedCheckpoint.id)))
    assert len(signers) == 3
    report = verify_bundle(tmp_path / "rotated.zip")
    assert report.ok, report
    # The bundle names both keys; a checkpoint signed by a key it does not list would fail.
    with zipfile.ZipFile(tmp_path / "rotated.zip") as bundle:
        assert len(bundle.read("vkeys.txt").decode().splitlines()) == 2


async def test_a_row_edited_behind_the_applications_back_is_found(
    backend: str,
    client: Client,
    world: World,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    tmp_path: Path,
) -> None:
    if backend != "postgres":
        pytest.skip("needs PostgreSQL's superuser to switch the append-only trigger off, as an insider could")
    keys = keys_of(settings)
    await publish_lots(client, world, clock, 4)
    await integrate(sessions, keys, clock)
    async with transaction(sessions) as session:
        await session.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only"))
        await session.execute(
            text(
                "UPDATE ledger_entries SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), :was, :now), "
                "'UTF8') WHERE idx = 2"
            ),
            {"was": '"starting_price":10000000', "now": '"starting_price":1000000'},
        )
        await session.execute(text("ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only"))
    async with sessions() as session:
        await LedgerReader(session, keys).export(tmp_path / "tampered.zip")
    report = verify_bundle(tmp_path / "tampered.zip")
    assert not report.ok
    assert report.failure is not None
    # The altered leaf 2 no longer hashes to what leaf 3 committed to.
    assert report.failure.index == 3
    assert "not the hash of leaf 2" in report.failure.reason
