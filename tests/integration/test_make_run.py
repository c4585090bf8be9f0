"""`make run` serves the demo with two local witnesses: the published checkpoint carries both cosignatures; the demo's
sale and lease show their signed protocol, contract schedule, first payment and refunds; its ledger verifies offline."""

from __future__ import annotations

import os
import re
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


def check_whole_life(url: str, lot_id: int) -> None:
    """The lot's protocol is signed by its whole commission, and its contract, first payment and refunds are public."""
    protocol = httpx.get(f"{url}/api/v1/lots/{lot_id}/protocol", timeout=10)
    assert protocol.status_code == 200, protocol.text
    issued = protocol.json()
    assert issued["complete"] is True
    assert sorted(s["member"] for s in issued["signatures"]) == issued["protocol"]["commission"]["members"]
    assert issued["protocol"]["council_decision"]
    page = httpx.get(f"{url}/lots/{lot_id}/protocol", timeout=10)
    assert page.status_code == 200
    assert issued["protocol_hash"] in page.text
    lot_page = httpx.get(f"{url}/lots/{lot_id}", timeout=10)
    assert lot_page.status_code == 200
    schedule = lot_page.text.split('<section id="contract">', 1)[1].split("</section>", 1)[0]
    assert 'class="line-paid"' in schedule, schedule
    chain = httpx.get(f"{url}/api/v1/ledger/lots/{lot_id}/entries", timeout=10).json()
    kinds = [entry["kind"] for entry in [*chain["integrated"], *chain["pending"]]]
    for kind in ("protocol.issued", "protocol.signed", "award.signed", "contract.concluded", "payment.recorded"):
        assert kind in kinds, (kind, kinds)
    assert kinds.count("deposit.refunded") == 2, kinds


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
    log_path = tmp_path / "make-run.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        ["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        policy_text, note = wait_for_cosigned_checkpoint(f"http://127.0.0.1:{port}", process)
        showcase = dict(
            re.findall(
                r"Tokmok's (sale|lease) from publication to the first payment: /lots/(\d+)", log_path.read_text()
            )
        )
        assert set(showcase) == {"sale", "lease"}, log_path.read_text()[-2000:]
        for lot_id in showcase.values():
            check_whole_life(f"http://127.0.0.1:{port}", int(lot_id))
        bundle = tmp_path / "bundle.zip"
        bundle.write_bytes(httpx.get(f"http://127.0.0.1:{port}/api/v1/ledger/export", timeout=60).content)
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
    # The exported demo ledger verifies offline against the site's policy, its auctions replayed.
    (tmp_path / "policy.txt").write_text(policy_text)
    verified = subprocess.run(
        [ROOT / ".venv/bin/python", "-m", "auction.ledger.verifier", bundle, "--policy", tmp_path / "policy.txt"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "auction replay found nothing wrong" in verified.stdout
    # Stopping make run leaves no witness behind.
    gone = subprocess.run(["pgrep", "-f", "--", f"--port {witness_port + 1}"], capture_output=True, check=False)
    assert gone.returncode == 1, gone.stdout
