"""Witnesses in tests: a small signed log to feed them, and a real ``achyk-witness serve`` process on loopback.

`TestLog` is an in-memory RFC 6962 tree with its own Ed25519 log key: it signs timed checkpoints and makes
consistency proofs and add-checkpoint request bodies, as the platform does. `start_witness` runs the witness program
as an operator would (its own directory, key and database) on a free port, waits until it listens, and returns a
`RunningWitness`; `running_witness` is the same as a context manager that always stops it. Platform tests reuse both.
"""

from __future__ import annotations

import base64
import hashlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.merkle import consistency_proof, hash_leaf
from auction.ledger.verifier.note import Checkpoint, VerifierKey, sign_checkpoint
from auction.ledger.verifier.witnessing import WitnessKey, parse_witness_vkey, timed_checkpoint
from tests.unit.ledger.reference_tree import list_subtree_hasher, root

STARTUP_SECONDS = 30.0
STOP_SECONDS = 10.0
CLEAN_STOP = -signal.SIGTERM


@dataclass
class TestLog:
    """A log the tests control: `leaves` leaf hashes, signed by `key` under `origin` (the key's name)."""

    origin: str = "log.test.kg/ledger"
    key: Ed25519PrivateKey = field(default_factory=lambda: Ed25519PrivateKey.from_private_bytes(b"L" * 32))
    leaves: list[bytes] = field(default_factory=list)

    __test__ = False  # not a pytest test class

    @classmethod
    def of_size(cls, size: int, origin: str = "log.test.kg/ledger", seed: bytes = b"L" * 32) -> TestLog:
        log = cls(origin=origin, key=Ed25519PrivateKey.from_private_bytes(seed))
        log.grow(size)
        return log

    def grow(self, count: int, salt: str = "") -> None:
        """Append `count` leaves (`salt` makes a different branch: same sizes, other roots)."""
        start = len(self.leaves)
        self.leaves += [hash_leaf(f"{salt}leaf {i}".encode()) for i in range(start, start + count)]

    @property
    def verifier(self) -> VerifierKey:
        return VerifierKey.from_public_key(self.origin, self.key)

    @property
    def vkey(self) -> str:
        return self.verifier.vkey

    def root(self, size: int) -> bytes:
        return root(self.leaves[:size]) if size else hashlib.sha256(b"").digest()

    def checkpoint(self, size: int, at: int | None = None) -> Checkpoint:
        when = int(time.time()) if at is None else at
        return timed_checkpoint(self.origin, size, self.root(size), when)

    def note(self, size: int, at: int | None = None) -> str:
        """The log-signed checkpoint note of the tree's first `size` leaves, with a time line."""
        return sign_checkpoint(self.checkpoint(size, at), self.origin, self.key)

    def proof(self, old: int, new: int) -> list[bytes]:
        if old == 0 or old == new:
            return []
        return consistency_proof(old, new, list_subtree_hasher(self.leaves[:new]))

    def request(self, old: int, size: int, at: int | None = None, proof: Sequence[bytes] | None = None) -> bytes:
        """An add-checkpoint body from `old` to `size` (the right proof unless one is given)."""
        hashes = self.proof(old, size) if proof is None else proof
        return add_checkpoint_body(old, hashes, self.note(size, at))


def add_checkpoint_body(old: int, proof: Sequence[bytes], note: str) -> bytes:
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


@dataclass
class RunningWitness:
    """A witness process: where it answers, its published vkey, and its directory (key, database)."""

    url: str
    vkey: str
    process: subprocess.Popen[str]
    directory: Path
    name: str
    output: list[str] = field(default_factory=list)  # its stdout lines, collected while it runs

    @property
    def key(self) -> WitnessKey:
        return parse_witness_vkey(self.vkey)

    def stop(self) -> int:
        """SIGTERM, then wait for uvicorn's graceful shutdown (SIGKILL if it hangs); returns the exit code.

        uvicorn re-raises the SIGTERM once it has shut down, so a clean stop returns -SIGTERM (`CLEAN_STOP`)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_SECONDS)
        return self.process.returncode


def witness_command() -> list[str]:
    """The installed console script next to this interpreter (.venv/bin/achyk-witness), else the module."""
    script = Path(sys.executable).parent / "achyk-witness"
    return [str(script)] if script.exists() else [sys.executable, "-m", "witness.cli"]


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def start_witness(
    tmp_dir: Path,
    name: str,
    log_vkeys: Sequence[str],
    clock_offset: int = 0,
    *,
    skew: int | None = None,
    directory: Path | None = None,
    port: int = 0,
) -> RunningWitness:
    """Run ``achyk-witness serve`` in DIR = `directory` (default tmp_dir/<name>) on `port` of loopback (0: a free one).

    A witness restarted on its directory and its former port is, to the platform, the same witness back again.

    Returns once it prints ``listening on``; raises RuntimeError with its stderr if it exits or stays silent.
    Its stderr (one log line per decision) goes to DIR.log beside the directory.
    """
    home = directory if directory is not None else tmp_dir / name.replace("/", "_")
    command = [*witness_command(), "serve", "--dir", str(home), "--name", name, "--port", str(port)]
    command += [word for vkey in log_vkeys for word in ("--log", vkey)]
    command += ["--clock-offset", str(clock_offset)]
    if skew is not None:
        command += ["--skew", str(skew)]
    log_path = home.with_name(home.name + ".log")
    with log_path.open("ab") as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    witness = RunningWitness(url="", vkey="", process=process, directory=home, name=name)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            witness.stop()
            raise RuntimeError(f"achyk-witness did not start in {STARTUP_SECONDS} s: {log_path.read_text()}") from None
        if line is None:
            witness.stop()
            raise RuntimeError(f"achyk-witness exited ({process.returncode}): {log_path.read_text()}")
        witness.output.append(line)
        if line.startswith("witness "):
            witness.vkey = line.removeprefix("witness ")
        if line.startswith("listening on "):
            witness.url = line.removeprefix("listening on ")
            break
    # Keep draining stdout so the process never blocks on a full pipe.
    threading.Thread(target=_collect, args=(lines, witness.output), daemon=True).start()
    return witness


def _collect(lines: queue.Queue[str | None], into: list[str]) -> None:
    while (line := lines.get()) is not None:
        into.append(line)


@contextmanager
def running_witness(
    tmp_dir: Path,
    name: str,
    log_vkeys: Sequence[str],
    clock_offset: int = 0,
    *,
    skew: int | None = None,
    directory: Path | None = None,
    port: int = 0,
) -> Iterator[RunningWitness]:
    """`start_witness` as a context: the process is stopped however the block ends."""
    witness = start_witness(tmp_dir, name, log_vkeys, clock_offset, skew=skew, directory=directory, port=port)
    try:
        yield witness
    finally:
        with suppress(ProcessLookupError):
            witness.stop()
