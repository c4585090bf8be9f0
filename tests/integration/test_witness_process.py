"""achyk-witness as an independent body runs it: a real process on loopback, spoken to over HTTP with httpx."""

from __future__ import annotations

import itertools
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from auction.ledger.verifier.note import VerifierKey, sign_checkpoint
from auction.ledger.verifier.witnessing import parse_witness_vkey, verify_cosignatures
from tests.kit.witnesses import (
    CLEAN_STOP,
    TestLog,
    add_checkpoint_body,
    running_witness,
    start_witness,
    witness_command,
)
from web.cli import main as auction_main

NAME = "witness.audit.test.kg"


def post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(url + "/add-checkpoint", content=body, timeout=30)


def evidence(directory: Path) -> str:
    run = subprocess.run(
        [*witness_command(), "evidence", "--dir", str(directory)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_a_witness_cosigns_growth_refuses_the_rest_keeps_evidence_and_remembers_across_restarts(
    tmp_path: Path,
) -> None:
    log = TestLog.of_size(20)
    with running_witness(tmp_path, NAME, [log.vkey]) as witness:
        assert witness.url.startswith("http://127.0.0.1:")
        published = (witness.directory / "witness.vkey").read_text().strip()
        assert published == witness.vkey
        assert stat.S_IMODE((witness.directory / "witness.key").stat().st_mode) == 0o600
        about = httpx.get(witness.url + "/", timeout=30).text
        assert f"vkey {witness.vkey}" in about
        assert f"log {log.origin} {log.vkey}" in about

        # First checkpoint: cosigned with the witness's clock.
        before = int(time.time())
        body = log.request(0, 5)
        first = post(witness.url, body)
        after = int(time.time())
        assert first.status_code == 200, first.text
        [cosignature] = verify_cosignatures(log.note(5, _time_of(body)) + first.text, [witness.key])
        assert before <= cosignature.timestamp <= after
        assert cosignature.witness == parse_witness_vkey(published)

        # Growth with a consistency proof.
        grown = post(witness.url, log.request(5, 12))
        assert grown.status_code == 200, grown.text

        # A stale old size: 409 with the size last cosigned, as text/x.tlog.size.
        stale = post(witness.url, log.request(5, 15))
        assert (stale.status_code, stale.headers["content-type"], stale.text) == (409, "text/x.tlog.size", "12\n")

        # A fork: size 12 again, other root.
        fork = TestLog.of_size(9)
        fork.grow(3, salt="fork ")
        forked = fork.request(12, 12)
        refused_fork = post(witness.url, forked)
        assert refused_fork.status_code == 409
        assert refused_fork.headers["content-type"].startswith("text/plain")

        # A proof that does not verify.
        bad_proof = log.proof(12, 16)
        bad_proof[-1] = bytes(32)
        bad = log.request(12, 16, proof=bad_proof)
        refused_proof = post(witness.url, bad)
        assert refused_proof.status_code == 422
        assert "does not verify" in refused_proof.text

        # Unknown origin, a key the witness does not trust, a malformed body, an oversized body.
        stranger = TestLog.of_size(3, origin="stranger.test.kg/ledger")
        assert post(witness.url, stranger.request(0, 3)).status_code == 404
        impostor = TestLog.of_size(20, seed=b"I" * 32)
        assert post(witness.url, impostor.request(12, 16)).status_code == 403
        assert post(witness.url, b"old twelve\n\n").status_code == 400
        assert post(witness.url, b"old 0\n" + b"A" * 70_000).status_code == 413

        kept = evidence(witness.directory)
        assert kept.count("=== evidence") == 2
        assert "fork" in kept
        assert "does not verify" in kept
        assert forked.decode() in kept
        assert bad.decode() in kept
        assert witness.stop() == CLEAN_STOP

    # The same directory after a restart: same key, same memory.
    with running_witness(tmp_path, NAME, [log.vkey], directory=witness.directory) as again:
        assert again.vkey == witness.vkey
        remembered = post(again.url, log.request(5, 16))
        assert (remembered.status_code, remembered.text) == (409, "12\n")
        assert post(again.url, log.request(12, 16)).status_code == 200


def _time_of(body: bytes) -> int:
    """The time line of the checkpoint in a request body (the test log stamps it with the current time)."""
    return int(next(line for line in body.decode().splitlines() if line.startswith("time ")).split()[1])


def test_a_witness_whose_clock_is_a_minute_ahead_refuses_a_checkpoint_of_now(tmp_path: Path) -> None:
    log = TestLog.of_size(4)
    with running_witness(tmp_path, NAME, [log.vkey], clock_offset=60) as witness:
        refused = post(witness.url, log.request(0, 4))
        assert refused.status_code == 422
        assert "from the witness's clock" in refused.text
        # The same witness accepts a checkpoint stamped by a log whose clock agrees with it.
        assert post(witness.url, log.request(0, 4, at=int(time.time()) + 60)).status_code == 200


def test_a_log_key_named_otherwise_is_given_with_its_origin(tmp_path: Path) -> None:
    log = TestLog.of_size(4)
    key = VerifierKey.from_public_key("log-key-2026", log.key)
    note = sign_checkpoint(log.checkpoint(4), key.name, log.key)
    with running_witness(tmp_path, NAME, [f"{log.origin}={key.vkey}"]) as witness:
        assert post(witness.url, add_checkpoint_body(0, [], note)).status_code == 200
    # Given bare, the key is trusted for the origin "log-key-2026" only.
    with running_witness(tmp_path, "other.witness.kg", [key.vkey]) as witness:
        assert post(witness.url, add_checkpoint_body(0, [], note)).status_code == 404


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--log", "not-a-vkey"], "not a log vkey"),
        (["--name", "has space"], "a key name has no spaces"),
    ],
)
def test_bad_options_are_refused_with_exit_2(tmp_path: Path, arguments: list[str], message: str) -> None:
    log = TestLog.of_size(1)
    options = {"--name": NAME, "--log": log.vkey} | dict(zip(arguments[::2], arguments[1::2], strict=True))
    command = [*witness_command(), "serve", "--dir", str(tmp_path / "w"), "--port", "0"]
    command += [word for pair in options.items() for word in pair]
    run = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == 2
    assert message in run.stderr


def test_a_port_in_use_is_refused_with_exit_2(tmp_path: Path) -> None:
    log = TestLog.of_size(1)
    with running_witness(tmp_path, NAME, [log.vkey]) as witness:
        port = witness.url.rsplit(":", 1)[1]
        command = [*witness_command(), "serve", "--dir", str(tmp_path / "second"), "--name", NAME]
        run = subprocess.run(
            [*command, "--log", log.vkey, "--port", port], capture_output=True, text=True, check=False, timeout=60
        )
        assert run.returncode == 2
        assert "cannot listen" in run.stderr


def test_start_witness_reports_a_process_that_cannot_start(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the directory should be")
    with pytest.raises(RuntimeError, match="exited"):
        start_witness(tmp_path, NAME, [TestLog.of_size(1).vkey], directory=tmp_path / "taken")


def test_auction_witness_is_achyk_witness(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert auction_main(["witness", "key", "--dir", str(tmp_path), "--name", NAME]) == 0
    vkey = capsys.readouterr().out.strip()
    assert parse_witness_vkey(vkey).name == NAME
    run = subprocess.run(
        [*witness_command(), "key", "--dir", str(tmp_path), "--name", NAME], capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == vkey


def test_two_witness_processes_on_one_directory_never_roll_it_back(tmp_path: Path) -> None:
    """The write lock is SQLite's, so it holds across processes too: requests racing through two servers sharing one
    database still cosign a single chain of sizes (see tests/unit/witness/test_state.py for the threaded version)."""
    log = TestLog.of_size(48)
    home = tmp_path / "shared"
    with (
        running_witness(tmp_path, NAME, [log.vkey], directory=home) as first,
        running_witness(tmp_path, NAME, [log.vkey], directory=home) as second,
    ):
        assert first.vkey == second.vkey
        urls = [first.url, second.url]
        known = [0]  # the size a client last learnt, as a platform racing itself would

        def attempt(i: int) -> tuple[int, int, int, str]:
            old = known[0]
            new = min(48, old + 1 + i % 3)
            if new == old:
                return old, new, 0, ""
            response = post(urls[i % 2], log.request(old, new))
            if response.status_code == 200:
                known[0] = max(known[0], new)
            elif response.status_code == 409 and response.headers["content-type"] == "text/x.tlog.size":
                known[0] = max(known[0], int(response.text))
            return old, new, response.status_code, response.text

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(attempt, range(120)))

    assert {status for _, _, status, _ in results} <= {0, 200, 409}, results
    accepted = sorted((old, new) for old, new, status, _ in results if status == 200)
    assert len(accepted) > 5, "too few cosignatures for the race to mean anything"
    assert sum(status == 409 for _, _, status, _ in results) > 0, "the requests never collided"
    olds = [old for old, _ in accepted]
    assert len(olds) == len(set(olds)), f"two requests were cosigned from the same size: {accepted}"
    assert all(next_old == new for (_, new), (next_old, _) in itertools.pairwise(accepted)), accepted
    with running_witness(tmp_path, NAME, [log.vkey], directory=home) as after:
        final = post(after.url, log.request(0, 48))
        assert (final.status_code, final.text) == (409, f"{accepted[-1][1]}\n")
