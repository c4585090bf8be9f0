"""First-run secrets: every process of one deployment must end up with the same keys.

Uvicorn's workers (or several ``auction`` commands) start together on a fresh data directory. If two of them
each generate a secret, one signs sessions or ledger entries with a key the others do not have: logins fail at
random and the ledger holds checkpoints signed by a key nobody published.
"""

from __future__ import annotations

import base64
import errno
import multiprocessing
import os
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from auction.settings import Settings

WORKERS = 12
ROUNDS = 15
BARRIER_SECONDS = 60


def _resolve_secrets(data_dir: Path, barrier: Barrier, out: Connection, hard_links: bool) -> None:
    """One worker starting: wait for the others, then resolve every first-run secret, as create_app does."""
    if not hard_links:
        # Secrets are then created in place with O_EXCL and read with patience.
        os.link = _no_hard_links
    settings = Settings(DATABASE_URL="", data_dir=data_dir)
    try:
        barrier.wait(BARRIER_SECONDS)
        keys = settings.ledger_keys()
        out.send(
            (
                settings.resolved_secret_key(),
                base64.b64encode(keys.public_key).decode(),
                base64.b64encode(keys.pseudonym_key).decode(),
            )
        )
    except Exception as exc:  # a half-written file read by a worker is a failure to report, not to hide
        out.send(("error", type(exc).__name__, str(exc)))
    finally:
        out.close()


def _no_hard_links(*_: object, **__: object) -> None:
    raise PermissionError(errno.EPERM, "this file system has no hard links")


@pytest.mark.parametrize("file_system", ["with hard links", "without hard links"])
def test_workers_starting_together_on_a_fresh_data_dir_share_every_secret(tmp_path: Path, file_system: str) -> None:
    hard_links = file_system == "with hard links"
    rounds = ROUNDS if hard_links else ROUNDS // 3
    # The fork server forks each worker in milliseconds from a process of its own that runs no threads: a plain
    # fork of this test process, which holds database and event-loop threads, could copy a lock some thread held
    # and hang the child forever. The barrier then releases all twelve at the same instant.
    context = multiprocessing.get_context("forkserver")
    # Imported once in the fork server, not again in each of the 12 x 20 workers.
    context.set_forkserver_preload([__name__, "auction.settings"])
    disagreements: list[str] = []
    for round_ in range(rounds):
        data_dir = tmp_path / f"round-{round_}"
        barrier = context.Barrier(WORKERS)
        pipes = [context.Pipe(duplex=False) for _ in range(WORKERS)]
        workers = [
            context.Process(target=_resolve_secrets, args=(data_dir, barrier, sending, hard_links))
            for _, sending in pipes
        ]
        for worker in workers:
            worker.start()
        results = []
        for receiving, _ in pipes:
            assert receiving.poll(2 * BARRIER_SECONDS), f"round {round_}: a worker never answered"
            results.append(receiving.recv())
        for worker in workers:
            worker.join(30)
        distinct = set(results)
        if len(distinct) > 1:
            disagreements.append(f"round {round_}: {len(distinct)} different sets of secrets among {WORKERS} workers")
        kept = (
            (data_dir / "secret_key").read_text().strip(),
            (data_dir / "ledger_pseudonym_key").read_text().strip(),
        )
        if len(distinct) == 1 and (results[0][0], results[0][2]) != kept:
            disagreements.append(f"round {round_}: the workers agree on secrets that are not the ones kept on disk")
    assert not disagreements, f"{len(disagreements)} of {rounds} rounds: " + "; ".join(disagreements)


@pytest.mark.parametrize("name", ["secret_key", "ledger_signing_key", "ledger_pseudonym_key"])
def test_generated_secrets_are_readable_by_their_owner_only(tmp_path: Path, name: str) -> None:
    settings = Settings(DATABASE_URL="", data_dir=tmp_path / "data")
    settings.resolved_secret_key()
    settings.ledger_keys()
    assert (tmp_path / "data" / name).stat().st_mode & 0o777 == 0o600


def test_a_restart_reads_the_secrets_the_first_run_kept(tmp_path: Path) -> None:
    first = Settings(DATABASE_URL="", data_dir=tmp_path)
    again = Settings(DATABASE_URL="", data_dir=tmp_path)
    assert first.resolved_secret_key() == again.resolved_secret_key()
    assert first.ledger_keys().public_key == again.ledger_keys().public_key
    assert first.ledger_keys().pseudonym_key == again.ledger_keys().pseudonym_key
