"""The offline verifier as one file from the desk: reproducible, its SHA-256 in the ledger (verifier.published), and
it runs with the current Python on an exported bundle (exit 0). Its pinned requirements are the lock's."""

from __future__ import annotations

import asyncio
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.ledger.models import PLATFORM_CHAIN, LedgerEntry
from auction.ledger.published_verifier import VerifierFile, build_verifier_file, record_verifier_published
from auction.ledger.queries import LedgerReader
from auction.ledger.verifier.entry import parse_leaf
from auction.settings import Settings
from tests.kit.ledger import integrate, keys_of
from tests.kit.page import Page
from tests.web.conftest import Client
from web.core import WEB

ROOT = Path(__file__).resolve().parents[2]


def requirement_blocks(lock: str, names: set[str]) -> list[str]:
    """The lock file's `name==version \\ --hash=…` blocks of the named packages, without their comments."""
    blocks, keep = [], False
    for line in lock.splitlines():
        if line and not line.startswith((" ", "#")):
            keep = re.split(r"[=; ]", line)[0].lower() in names
        if keep and not line.lstrip().startswith("#"):
            blocks.append(line)
    return blocks


def test_the_verifier_requirements_are_the_locks_pins_with_hashes() -> None:
    served = (WEB / "static" / "ledger" / "achyk-verify-requirements.txt").read_text()
    lock = (ROOT / "requirements" / "lock-prod.txt").read_text()
    wanted = {"cffi", "cryptography", "pycparser", "pynacl", "rfc8785"}
    assert [line for line in served.splitlines() if not line.startswith("#")] == requirement_blocks(lock, wanted)


async def test_the_downloaded_verifier_is_in_the_ledger_and_verifies_the_export(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    settings: Settings,
    backend: str,
    tmp_path: Path,
) -> None:
    if backend != "postgres":
        pytest.skip("the file and its entry do not depend on the database: one backend is enough")
    served: VerifierFile = client.app.state.verifier_file
    # Reproducible: built again from the same sources, the same bytes.
    assert build_verifier_file(served.version).content == served.content
    keys = keys_of(settings)
    assert await record_verifier_published(sessions, keys, clock, served) is not None
    assert await record_verifier_published(sessions, keys, clock, served) is None  # logged once per build
    page = Page((await client.get("/ledger/verifier?lang=en")).text)
    assert page.text("#verifier-entry") == "Admitted, not yet in a signed checkpoint: reload in a minute."
    await integrate(sessions, keys, clock)

    download = await client.get("/ledger/achyk-verify.pyz")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="achyk-verify.pyz"'
    digest = hashlib.sha256(download.content).hexdigest()
    async with sessions() as session:
        [(index, leaf)] = (
            await session.execute(
                select(LedgerEntry.idx, LedgerEntry.leaf).where(
                    LedgerEntry.chain_key == PLATFORM_CHAIN, LedgerEntry.kind == "verifier.published"
                )
            )
        ).all()
        bundle = tmp_path / "achyk-ledger.zip"
        await LedgerReader(session, keys).export(bundle)
    assert parse_leaf(leaf).body.payload == {
        "version": served.version,
        "file": "achyk-verify.pyz",
        "sha256": digest,
        "size": len(download.content),
    }
    page = Page((await client.get("/ledger/verifier?lang=en")).text)
    assert page.text("#verifier-sha256") == digest
    assert page.text("#verifier-entry a") == f"Entry {index}"
    assert page.text("#verifier-install") == "pip install --require-hashes -r achyk-verify-requirements.txt"

    saved = tmp_path / "achyk-verify.pyz"
    saved.write_bytes(download.content)
    vkey = (await client.get("/api/v1/ledger/key")).text.strip()
    # Run where no copy of the platform's sources is importable: only the file's own.
    run = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(saved), str(bundle), "--key", vkey],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OK" in run.stdout
    # The verifier's own report names the build the ledger records: the inspector compares their download with it.
    assert f"offline verifier served (entry {index}, 1 builds logged): achyk-verify.pyz" in run.stdout
    assert f"sha256 {digest}" in run.stdout
