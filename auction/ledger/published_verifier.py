"""The offline verifier as one file an inspector downloads and runs with Python, and its `verifier.published` entry.

The file is a zipapp (PEP 441: a zip with `__main__.py` at its root, run as ``python achyk-verify.pyz``) holding the
verifier package and nothing else of the platform; it needs `cryptography`, `rfc8785` and `PyNaCl` installed. It is
reproducible: the same sources give the same bytes on every machine (sorted names, a fixed 1980-01-01 timestamp,
fixed permissions, stored without compression, so no zlib version can change a byte), so an inspector can rebuild
it from the released sources and compare the hash with the ledger's. As with `release.scripts`, every serving process
checks at start-up and the first to see a new build logs it, under a transaction-scoped PostgreSQL advisory lock.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock
from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.keys import LedgerKeys
from auction.ledger.models import PLATFORM_CHAIN, LedgerEntry, PendingEntry
from auction.ledger.platform_chain import last_platform_payload
from auction.ledger.verifier.entry import parse_body, parse_leaf
from auction.ledger.verifier.published import VERIFIER_ACTOR, VERIFIER_KIND, verifier_problem

VERIFIER_FILE_NAME = "achyk-verify.pyz"
VERIFIER_PACKAGE = Path(__file__).resolve().parent / "verifier"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can state
FILE_MODE = 0o644 << 16
VERIFIER_LOCK = zlib.crc32(VERIFIER_KIND.encode())

MAIN = '''"""Achyk's offline ledger verifier: python achyk-verify.pyz BUNDLE [--policy FILE] [--receipt FILE] ..."""

import sys

try:
    from auction.ledger.verifier.cli import main
    from auction.ledger.verifier.replay import replay
except ImportError as missing:
    sys.stderr.write(
        f"{missing}\\nThe verifier needs cryptography, rfc8785 and PyNaCl: "
        "pip install --require-hashes -r achyk-verify-requirements.txt (from the page you downloaded this from)\\n"
    )
    sys.exit(2)
sys.exit(main(replay=replay))
'''
PACKAGE_INIT = '"""Only the offline verifier of Achyk (auction.ledger.verifier), packed as one file."""\n'


@dataclass(frozen=True, slots=True)
class VerifierFile:
    """One build of the downloadable verifier: its bytes and what the ledger records of it."""

    content: bytes
    version: str
    name: str = VERIFIER_FILE_NAME

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def payload(self) -> dict[str, Any]:
        """The `verifier.published` payload naming this build."""
        return {"version": self.version, "file": self.name, "sha256": self.sha256, "size": len(self.content)}


def verifier_sources(package: Path = VERIFIER_PACKAGE) -> dict[str, bytes]:
    """The zipapp's files by their names inside it: the verifier's modules, the two parents, and `__main__.py`."""
    files = {
        "__main__.py": MAIN.encode(),
        "auction/__init__.py": PACKAGE_INIT.encode(),
        "auction/ledger/__init__.py": PACKAGE_INIT.encode(),
    }
    for path in sorted(package.glob("*.py")):
        files[f"auction/ledger/verifier/{path.name}"] = path.read_bytes()
    return files


def pack(files: dict[str, bytes]) -> bytes:
    """The zipapp's bytes: a `python3` shebang, then the files in name order with fixed metadata."""
    out = io.BytesIO()
    out.write(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = FILE_MODE
            info.create_system = 3  # Unix, whatever system builds it
            archive.writestr(info, files[name])
    return out.getvalue()


def build_verifier_file(version: str, package: Path = VERIFIER_PACKAGE) -> VerifierFile:
    """The downloadable verifier built from the installed sources."""
    return VerifierFile(pack(verifier_sources(package)), version)


async def record_verifier_published(
    sessions: async_sessionmaker[AsyncSession],
    keys: LedgerKeys,
    clock: Clock,
    served: VerifierFile,
    *,
    max_merge_delay_seconds: int = 60,
) -> Admitted | None:
    """Log the served build on the platform chain unless the last one logged has the same hash; None if so."""
    payload = served.payload()
    problem = verifier_problem(VERIFIER_ACTOR, payload)
    if problem is not None:
        raise ValueError(f"cannot log this verifier: {problem}")
    async with sessions() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": VERIFIER_LOCK})
        last = await last_platform_payload(session, VERIFIER_KIND)
        if last is not None and last.get("sha256") == payload["sha256"]:
            return None
        writer = LedgerWriter(session, keys, clock, max_merge_delay_seconds=max_merge_delay_seconds)
        return await writer.record(VERIFIER_KIND, None, VERIFIER_ACTOR, payload)


async def published_entry(session: AsyncSession, sha256: str) -> tuple[int | None, int] | None:
    """Where the ledger records the build with this hash: (index, or None while pending, lot_seq); None if nowhere."""
    rows = await session.execute(
        select(LedgerEntry.idx, LedgerEntry.lot_seq, LedgerEntry.leaf)
        .where(LedgerEntry.chain_key == PLATFORM_CHAIN, LedgerEntry.kind == VERIFIER_KIND)
        .order_by(LedgerEntry.lot_seq.desc())
    )
    for index, lot_seq, leaf in rows:
        if parse_leaf(leaf).body.payload.get("sha256") == sha256:
            return index, lot_seq
    pending = await session.execute(
        select(PendingEntry.lot_seq, PendingEntry.body).where(
            PendingEntry.chain_key == PLATFORM_CHAIN, PendingEntry.kind == VERIFIER_KIND
        )
    )
    for lot_seq, body in pending:
        if parse_body(body).payload.get("sha256") == sha256:
            return None, lot_seq
    return None
