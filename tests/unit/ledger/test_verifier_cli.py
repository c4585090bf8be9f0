"""The verifier's three command lines (the package, its former address, `auction ledger verify`) agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kit.policy import write_policy
from tests.unit.ledger.factory import honest_log

ROOT = Path(__file__).resolve().parents[3]
ENTRY_POINTS = {
    "package": [sys.executable, "-m", "auction.ledger.verifier"],
    "former address": [sys.executable, "-m", "auction.ledger.verify"],  # what inspectors' scripts call
    "auction ledger verify": [sys.executable, "-m", "web.cli", "ledger", "verify"],  # as the README shows it
}


def _run(command: list[str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize("trust", ["no policy", "policy"])
@pytest.mark.parametrize("order", ["options first", "bundle first"])
def test_every_entry_point_gives_the_same_report(tmp_path: Path, order: str, trust: str) -> None:
    log = honest_log(12)
    bundle = str(log.write(tmp_path / "bundle"))
    options = ["--json", "--workers", "1"]
    if trust == "policy":
        options += ["--policy", str(write_policy(tmp_path / "policy.txt", [log.vkey]))]
    args = [*options, bundle] if order == "options first" else [bundle, *options]
    results = {name: _run(command, *args, cwd=tmp_path) for name, command in ENTRY_POINTS.items()}
    for name, result in results.items():
        assert result.stderr == "", (name, result.stderr)
    reports = {name: json.loads(result.stdout) for name, result in results.items()}
    assert reports["package"]["entries"] == len(log.leaves)
    assert reports["package"]["failure"] is None or reports["package"]["failure"]["reason"].startswith("replay: ")
    assert reports["former address"] == reports["package"]
    assert reports["auction ledger verify"] == reports["package"]
    # The JSON's exit code is the command's: 3 when every check held but no policy pinned the log.
    assert {result.returncode for result in results.values()} == {reports["package"]["exit_code"]}
    if reports["package"]["failure"] is None:
        assert reports["package"]["trusted"] is (trust == "policy")
        assert reports["package"]["exit_code"] == (0 if trust == "policy" else 3)


def test_every_entry_point_explains_itself(tmp_path: Path) -> None:
    for name, command in ENTRY_POINTS.items():
        result = _run(command, "--help", cwd=tmp_path)
        assert result.returncode == 0, (name, result.stdout, result.stderr)
        assert "--receipt" in result.stdout, name
        assert "--policy" in result.stdout, name
