"""What the platform publishes once witnesses cosign: the cosigned checkpoint, the checkpoints with their
cosignatures, its trust policy, cosigned proofs and export bundles, and the `witness.policy` entries."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.db.engine import transaction
from auction.ledger.admission import LedgerWriter
from auction.ledger.models import PLATFORM_CHAIN, LedgerEntry, PendingEntry
from auction.ledger.rotation import vkey_of
from auction.ledger.verifier.entry import parse_body, parse_leaf
from auction.ledger.verifier.note import Checkpoint, open_checkpoint
from auction.ledger.verifier.proof_file import parse_proof
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.verify import verify_bundle
from auction.ledger.verifier.witnessing import parse_policy, verify_cosignatures
from auction.ledger.witness_config import POLICY_KIND
from auction.settings import Settings, get_settings
from tests.kit.ledger import keys_of, verifier
from tests.kit.witness import Platform, TestWitness, three_witnesses
from tests.web.conftest import Client
from web.app import create_app
from web.cli import main

pytestmark = pytest.mark.own_database


def witnessed_settings(settings: Settings, witnesses: list[TestWitness], quorum: int = 2) -> Settings:
    return settings.model_copy(update={"witnesses": "; ".join(w.setting for w in witnesses), "witness_quorum": quorum})


@pytest.fixture
def platform(sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock) -> Platform:
    return Platform(sessions, keys_of(settings), clock, three_witnesses(keys_of(settings), clock))


@pytest.fixture
async def site(settings: Settings, clock: FrozenClock, platform: Platform) -> AsyncIterator[Client]:
    """The site configured with the platform's three witnesses, quorum 2."""
    app = create_app(witnessed_settings(settings, platform.witnesses), clock)
    async with AsyncTestClient(app=app) as client:
        yield client


async def admitted(platform: Platform, count: int) -> str:
    """Admit `count` entries (the platform's witness policy, a kind the replay knows), integrate them, and return the
    last one's body hash."""
    payload = platform.cosigner.config.payload()
    async with transaction(platform.sessions) as session:
        writer = LedgerWriter(session, platform.keys, platform.clock)
        for _ in range(count):
            last = await writer.record(POLICY_KIND, None, "system", payload)
    await platform.integrator.integrate_all()
    return last.body_hash


async def test_the_published_checkpoint_is_the_newest_a_quorum_cosigned(
    site: Client, platform: Platform, clock: FrozenClock
) -> None:
    log = verifier(platform.keys)
    await admitted(platform, 3)
    await platform.cosigner.step()
    witnessed = await platform.newest()
    clock.advance(timedelta(seconds=1))
    await admitted(platform, 2)  # signed, not yet sent to the witnesses

    answer = await site.get("/api/v1/ledger/checkpoint")
    assert answer.status_code == 200, answer.text
    note = answer.text
    assert note.startswith(witnessed.note)
    checkpoint, _ = open_checkpoint(note, [log])
    assert checkpoint.size == 3
    cosigners = {c.witness for c in verify_cosignatures(note, [w.key for w in platform.witnesses])}
    assert cosigners == {w.key for w in platform.witnesses}

    listed = (await site.get("/api/v1/ledger/checkpoints")).json()
    assert [(item["size"], len(item["cosignatures"])) for item in listed] == [(3, 3), (5, 0)]
    assert listed[0]["witnessed_at"] is not None
    assert listed[1]["witnessed_at"] is None
    assert note == listed[0]["note"] + "".join(line + "\n" for line in listed[0]["cosignatures"])


async def test_before_any_quorum_the_newest_signed_checkpoint_is_published(site: Client, platform: Platform) -> None:
    for witness in platform.witnesses[1:]:
        witness.down = True
    await admitted(platform, 2)
    await platform.cosigner.step()
    newest = await platform.newest()
    answer = await site.get("/api/v1/ledger/checkpoint")
    # One cosignature is below the quorum; it is still shown, and the verifier will say the quorum is missing.
    assert answer.text.startswith(newest.note)
    assert len(verify_cosignatures(answer.text, [w.key for w in platform.witnesses])) == 1


async def test_the_policy_is_the_platforms_configuration_for_inspectors_to_check(
    site: Client, platform: Platform
) -> None:
    answer = await site.get("/api/v1/ledger/policy")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    assert "\n# " in answer.text
    assert "check each key with its owner" in answer.text
    policy = parse_policy(answer.text)
    assert [key.vkey for key in policy.logs] == [vkey_of(platform.keys)]
    assert [(w.key, w.url) for w in policy.witnesses] == [(w.key, w.url) for w in platform.witnesses]
    assert (policy.quorum, policy.grace_seconds) == (2, 10)


async def test_without_witnesses_the_policy_has_quorum_zero_and_the_checkpoint_is_the_newest(
    client: Client, platform: Platform
) -> None:
    await admitted(platform, 1)
    policy = parse_policy((await client.get("/api/v1/ledger/policy")).text)
    assert (policy.witnesses, policy.quorum) == ((), 0)
    assert (await client.get("/api/v1/ledger/checkpoint")).text == (await platform.newest()).note


async def test_proofs_and_exports_carry_the_cosignatures(
    site: Client, platform: Platform, clock: FrozenClock, tmp_path: Path
) -> None:
    body_hash = await admitted(platform, 4)
    await platform.cosigner.step()
    clock.advance(timedelta(seconds=1))
    await admitted(platform, 1)  # a newer, unwitnessed checkpoint: the proof still uses the cosigned one

    proof = parse_proof((await site.get(f"/api/v1/ledger/receipts/{body_hash}/proof")).text)
    assert Checkpoint.from_note(proof.checkpoint_note).size == 4
    assert len(verify_cosignatures(proof.checkpoint_note, [w.key for w in platform.witnesses])) == 3

    export = await site.get("/api/v1/ledger/export")
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.content)) as bundle:
        checkpoints = bundle.read("checkpoints.txt").decode()
        bundle.extractall(tmp_path / "bundle")
    for witness in platform.witnesses:
        assert checkpoints.count(f"— {witness.name} ") == 1
    report = verify_bundle(tmp_path / "bundle", key=vkey_of(platform.keys), replay=replay)
    assert report.exit_code == 0, report.failure
    # The bundle ends at the checkpoint a quorum cosigned, as the proof does: the fifth entry waits for the next one.
    assert report.entries == 4
    assert "witness policy in force (entry 3, 4 logged): quorum 2 of 3, grace 10 s" in report.notes


async def witness_policies(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, object]]:
    """Every witness.policy body, integrated or still pending, in chain order."""
    async with sessions() as session:
        leaves = await session.scalars(
            select(LedgerEntry.leaf).where(LedgerEntry.chain_key == PLATFORM_CHAIN, LedgerEntry.kind == POLICY_KIND)
        )
        bodies = [parse_leaf(leaf).body for leaf in leaves]
        pending = await session.scalars(
            select(PendingEntry.body).where(PendingEntry.chain_key == PLATFORM_CHAIN, PendingEntry.kind == POLICY_KIND)
        )
        bodies += [parse_body(body) for body in pending]
    return [dict(body.payload) for body in sorted(bodies, key=lambda body: body.lot_seq)]


async def start_and_stop(settings: Settings, clock: FrozenClock) -> None:
    app = create_app(settings, clock)
    async with app.lifespan():
        await asyncio.sleep(0)


async def test_the_witness_policy_is_logged_once_per_change_however_many_processes_start(
    settings: Settings, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession], backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("several processes share one database only on PostgreSQL")
    # Nothing listens on the discard port: the started integrator's witnessing rounds fail fast, once per witness.
    witnesses = three_witnesses(keys_of(settings), clock, url="http://127.0.0.1:9/{name}")
    serving = settings.model_copy(update={"run_background_jobs": True})
    witnessed = witnessed_settings(serving, witnesses)

    await start_and_stop(serving, clock)
    assert await witness_policies(sessions) == []  # never had witnesses: nothing to say

    await asyncio.gather(start_and_stop(witnessed, clock), start_and_stop(witnessed, clock))
    logged = await witness_policies(sessions)
    assert len(logged) == 1
    assert logged[0] == {
        "grace_seconds": 10,
        "quorum": 2,
        "witnesses": [{"url": w.url, "vkey": w.key.vkey} for w in witnesses],
    }
    await start_and_stop(witnessed, clock)
    assert len(await witness_policies(sessions)) == 1

    # Removing the witnesses is a change too, and is logged.
    await asyncio.gather(start_and_stop(serving, clock), start_and_stop(serving, clock))
    logged = await witness_policies(sessions)
    assert logged[1:] == [{"grace_seconds": 10, "quorum": 0, "witnesses": []}]


def test_the_cli_prints_the_vkey_and_the_policy(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], clock: FrozenClock
) -> None:
    witnesses = three_witnesses(keys_of(settings), clock)
    environment = {
        "DATABASE_URL": settings.database_url,
        "ACHYK_DATA_DIR": str(settings.data_dir),
        "ACHYK_SECRET_KEY": settings.secret_key,
        "ACHYK_LEDGER_ORIGIN": settings.ledger_origin,
        "ACHYK_LEDGER_SIGNING_KEY": settings.ledger_signing_key,
        "ACHYK_LEDGER_PSEUDONYM_KEY": settings.ledger_pseudonym_key,
        "ACHYK_WITNESSES": "; ".join(w.setting for w in witnesses),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        assert main(["ledger", "vkey"]) == 0
        assert capsys.readouterr().out == vkey_of(keys_of(settings)) + "\n"
        assert main(["ledger", "policy"]) == 0
        policy = parse_policy(capsys.readouterr().out)
    finally:
        get_settings.cache_clear()
    assert [key.vkey for key in policy.logs] == [vkey_of(keys_of(settings))]
    assert (len(policy.witnesses), policy.quorum) == (3, 2)


async def test_the_ledger_page_offers_the_cosigned_checkpoint_to_republish(site: Client, platform: Platform) -> None:
    await admitted(platform, 2)
    await platform.cosigner.step()
    published = (await site.get("/api/v1/ledger/checkpoint")).text

    page = BeautifulSoup((await site.get("/ledger/?lang=en")).text, "html.parser")

    block = page.find(id="gossip-note")
    assert block is not None
    assert block.get_text() == published
    section = block.find_parent("section")
    assert section is not None
    assert "the more people can compare" in section.get_text()
    assert "Cosigned by a quorum of independent witnesses by" in section.get_text()
    links = {a["href"] for a in section.find_all("a")}
    assert {"/api/v1/ledger/checkpoint", "/api/v1/ledger/policy"} <= links
    # The copy button needs the script (site.js, named with its hash), so it starts hidden; nothing is inline.
    button = section.find("button", attrs={"data-copy": "gossip-note"})
    assert button is not None
    assert button.has_attr("hidden")
    assert all(script.get("src") for script in page.find_all("script") if script.get("type") != "importmap")
