"""The restore drill of docs/operations.md, run as the operator runs it: ``scripts/restore-drill``.

It builds a scratch PostgreSQL cluster of its own (never the shared one), archives its WAL, takes a base backup,
drops the accounts table and recovers to the moment before; the restored ledger must verify against the checkpoint
an inspector had remembered before the backup.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("pg_ctlcluster") is None and not Path("/usr/lib/postgresql").is_dir(),
    reason="needs PostgreSQL's server binaries",
)


def drill_port() -> int:
    """One port per xdist worker, away from 5432 and from the fault tests' range."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return 55980 + int(worker.removeprefix("gw") or 0)


def test_a_dropped_table_is_recovered_to_the_moment_before_and_the_ledger_still_verifies() -> None:
    done = subprocess.run(
        ["scripts/restore-drill", "--port", str(drill_port())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the accounts table is back, with the account made after the base backup" in done.stdout
    assert "the restored ledger verifies and extends the inspector's checkpoint" in done.stdout
    assert done.stdout.rstrip().endswith("RESTORE DRILL PASSED")
