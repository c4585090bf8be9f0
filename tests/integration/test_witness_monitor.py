"""achyk-witness monitor against a site it cannot trust: a small HTTP server in the test serves real signed and
cosigned checkpoints and real consistency proofs of a real tree, then rolls back, forks and lies."""

from __future__ import annotations

import base64
import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.witnessing import PolicyWitness, TrustPolicy, WitnessKey, cosign
from tests.kit.witnesses import TestLog, witness_command
from witness.monitor import state_file

NOW = 1_764_108_000
WITNESSES = [(f"witness{i}.test.kg", Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32)) for i in (1, 2, 3)]


@dataclass
class Site:
    """What the fake site serves: the checkpoint of `log` at `size`, cosigned by the first `cosigners` witnesses."""

    log: TestLog
    size: int
    cosigners: int = 2
    proof_requests: list[tuple[int, int]] = field(default_factory=list)
    down: bool = False

    def checkpoint_note(self) -> str:
        note = self.log.note(self.size, NOW)
        text = note[: note.index("\n\n") + 1]
        return note + "".join(cosign(text, name, key, NOW + 1) for name, key in WITNESSES[: self.cosigners])


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    state = Site(TestLog.of_size(40), 5)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if state.down:
                self._send(503, "text/plain", "down for maintenance\n")
            elif url.path == "/api/v1/ledger/checkpoint":
                self._send(200, "text/plain; charset=utf-8", state.checkpoint_note())
            elif url.path == "/api/v1/ledger/proof/consistency":
                query = parse_qs(url.query)
                size1, size2 = int(query["size1"][0]), int(query["size2"][0])
                state.proof_requests.append((size1, size2))
                path = [base64.b64encode(h).decode() for h in state.log.proof(size1, size2)]
                self._send(200, "application/json", json.dumps({"size1": size1, "size2": size2, "path": path}))
            else:
                self._send(404, "text/plain", "not found\n")

        def _send(self, status: int, media_type: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("content-type", media_type)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def policy_file(tmp_path: Path, log: TestLog, quorum: int = 2) -> Path:
    witnesses = tuple(PolicyWitness(WitnessKey.of(name, key)) for name, key in WITNESSES)
    path = tmp_path / "policy.txt"
    path.write_text(TrustPolicy((log.verifier,), witnesses, quorum, 10).text())
    return path


def monitor(url: str, policy: Path, state: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [*witness_command(), "monitor", "--url", url, "--policy", str(policy), "--state", str(state), *extra]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


def test_the_monitor_follows_a_growing_ledger_and_alerts_on_rollback_and_forks(
    site: tuple[Site, str], tmp_path: Path
) -> None:
    served, url = site
    policy, state = policy_file(tmp_path, served.log), tmp_path / "state"
    origin = served.log.origin

    first = monitor(url, policy, state, "--once")
    assert (first.returncode, first.stdout) == (0, f"OK {origin} size 5 witnessed by 2 of 3\n"), first.stderr
    remembered = state_file(state, origin)
    assert remembered.name == "log.test.kg_ledger.checkpoint"
    assert remembered.read_text() == served.checkpoint_note()

    served.size = 12
    grown = monitor(url, policy, state, "--once")
    assert (grown.returncode, grown.stdout) == (0, f"OK {origin} size 12 witnessed by 2 of 3\n")
    assert served.proof_requests == [(5, 12)]

    # Rollback: a validly signed and cosigned checkpoint of a smaller tree.
    served.size = 8
    rolled_back = monitor(url, policy, state, "--once")
    assert rolled_back.returncode == 1
    assert rolled_back.stdout.startswith(f"ALERT {origin}: rollback"), rolled_back.stdout
    assert "size 8" in rolled_back.stdout

    # Split view: size 12 again, another history, signed and cosigned all the same.
    fork = TestLog.of_size(6)
    fork.grow(34, salt="fork ")
    served.log, served.size = fork, 12
    split = monitor(url, policy, state, "--once")
    assert split.returncode == 1
    assert split.stdout.startswith(f"ALERT {origin}: split view"), split.stdout

    # A forked branch that is larger: the site's proof (of its own fork) cannot link it to what was seen.
    served.size = 20
    branch = monitor(url, policy, state, "--once")
    assert branch.returncode == 1
    assert branch.stdout.startswith(f"ALERT {origin}: size 20 does not extend the size 12"), branch.stdout
    assert served.proof_requests[-1] == (12, 20)

    # None of the alerts replaced the remembered checkpoint: the honest log still continues from 12.
    served.log, served.size = TestLog.of_size(40), 16
    honest = monitor(url, policy, state, "--once")
    assert (honest.returncode, honest.stdout) == (0, f"OK {origin} size 16 witnessed by 2 of 3\n")


def test_too_few_cosignatures_is_an_alert(site: tuple[Site, str], tmp_path: Path) -> None:
    served, url = site
    served.cosigners = 1
    run = monitor(url, policy_file(tmp_path, served.log), tmp_path / "state", "--once")
    assert run.returncode == 1
    assert "cosigned by 1 of 3 witnesses, the policy needs 2" in run.stdout
    assert not state_file(tmp_path / "state", served.log.origin).exists()


def test_a_checkpoint_not_signed_by_the_policys_log_key_is_an_alert(site: tuple[Site, str], tmp_path: Path) -> None:
    _, url = site
    other = TestLog.of_size(40, seed=b"O" * 32)
    run = monitor(url, policy_file(tmp_path, other), tmp_path / "state", "--once")
    assert run.returncode == 1
    assert "not signed by a log key of the policy" in run.stdout


def test_an_unreachable_site_exits_2_with_once(site: tuple[Site, str], tmp_path: Path) -> None:
    served, url = site
    served.down = True
    run = monitor(url, policy_file(tmp_path, served.log), tmp_path / "state", "--once")
    assert run.returncode == 2
    assert run.stdout.startswith("UNREACHABLE ")
    assert "503" in run.stdout


def test_without_once_the_monitor_keeps_watching_until_the_first_alert(site: tuple[Site, str], tmp_path: Path) -> None:
    served, url = site
    served.down = True  # first unreachable: retried, not fatal
    command = [*witness_command(), "monitor", "--url", url, "--policy", str(policy_file(tmp_path, served.log))]
    command += ["--state", str(tmp_path / "state"), "--interval", "0.2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        assert process.stdout.readline().startswith("UNREACHABLE ")
        served.down = False
        line = process.stdout.readline()
        while line.startswith("UNREACHABLE "):
            line = process.stdout.readline()
        assert line.startswith("OK ")
        served.size = 3
        while not line.startswith("ALERT"):
            line = process.stdout.readline()
            assert line, "the monitor stopped without an alert"
        assert "rollback" in line
        assert process.wait(30) == 1
    finally:
        process.kill()
        process.wait(30)


def test_a_bad_policy_is_refused_with_exit_2(tmp_path: Path) -> None:
    policy = tmp_path / "policy.txt"
    policy.write_text("achyk-trust-policy/v1\nquorum 1\ngrace 10\n")
    run = monitor("http://127.0.0.1:9", policy, tmp_path / "state", "--once")
    assert run.returncode == 2
    assert "at least one log key" in run.stderr
