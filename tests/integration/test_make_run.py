"""`make run` serves the demo with two local witnesses: the published checkpoint carries both cosignatures."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from auction.ledger.verifier.note import open_checkpoint, parse_vkey
from auction.ledger.verifier.witnessing import parse_policy, quorum_time, verify_cosignatures
from tests.kit.site import free_port

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 180


def wait_for_cosigned_checkpoint(url: str, process: subprocess.Popen[bytes]) -> tuple[str, str]:
    """The site's policy and a checkpoint that a quorum of its witnesses cosigned, once both are there."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "make run stopped"
        try:
            policy = httpx.get(f"{url}/api/v1/ledger/policy", timeout=5)
            note = httpx.get(f"{url}/api/v1/ledger/checkpoint", timeout=5)
        except httpx.TransportError:
            time.sleep(1)
            continue
        if policy.status_code == 200 and note.status_code == 200 and note.text.count("\n— ") >= 3:
            return policy.text, note.text
        time.sleep(1)
    raise AssertionError("no cosigned checkpoint within the deadline")


@pytest.mark.own_database
def test_make_run_serves_the_demo_with_two_local_witnesses(tmp_path: Path, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("make run is the embedded SQLite default")
    port, witness_port = free_port(), free_port()
    env = {
        **os.environ,
        "ACHYK_DATA_DIR": str(tmp_path / "var"),
        "PORT": str(port),
        "ACHYK_LOCAL_WITNESS_PORT": str(witness_port),
        "ACHYK_WITNESS_REFRESH_SECONDS": "2",
    }
    for name in ("DATABASE_URL", "ACHYK_WITNESSES", "ACHYK_LEDGER_SIGNING_KEY", "ACHYK_SECRET_KEY"):
        env.pop(name, None)
    log = (tmp_path / "make-run.log").open("wb")
    process = subprocess.Popen(
        ["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        policy_text, note = wait_for_cosigned_checkpoint(f"http://127.0.0.1:{port}", process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    policy = parse_policy(policy_text)
    assert (policy.quorum, len(policy.witnesses)) == (2, 2)
    vkey = subprocess.run(
        [ROOT / ".venv/bin/auction", "ledger", "vkey"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert [key.vkey for key in policy.logs] == [parse_vkey(vkey).vkey]
    checkpoint, _ = open_checkpoint(note, policy.logs)
    assert checkpoint.size > 0
    cosignatures = verify_cosignatures(note, policy.witness_keys)
    assert quorum_time(cosignatures, 2) is not None
    # Stopping make run leaves no witness behind.
    gone = subprocess.run(["pgrep", "-f", "--", f"--port {witness_port + 1}"], capture_output=True, check=False)
    assert gone.returncode == 1, gone.stdout
