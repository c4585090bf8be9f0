"""The witness's state: judging a request and storing its result is one write transaction, so concurrent requests
cannot roll the witness back (the race of c2sp.org/tlog-witness); evidence and checkpoints survive a restart."""

from __future__ import annotations

import itertools
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.kit.witnesses import TestLog
from witness.protocol import Cosigner, Outcome
from witness.service import Witness
from witness.state import WitnessState

NOW = 1_764_108_000
COSIGNER = Cosigner("witness.test.kg", Ed25519PrivateKey.from_private_bytes(b"W" * 32))


def make_witness(directory: Path, log: TestLog, clock: object = None) -> Witness:
    return Witness(
        cosigner=COSIGNER,
        logs={log.origin: [log.verifier]},
        state=WitnessState(directory),
        clock=clock if callable(clock) else (lambda: NOW),
    )


def test_a_request_waits_for_the_one_being_judged_and_then_sees_its_result(tmp_path: Path) -> None:
    """B asks to go 0 -> 7 while A (0 -> 10) holds the lock. Without the lock B would be judged against the empty
    state, cosign 7 and the witness would end at 7 after having cosigned 10: a rollback."""
    log = TestLog.of_size(10)
    a_inside, release_a = threading.Event(), threading.Event()
    calls = 0

    def clock() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:  # A's clock reading, taken under the lock
            a_inside.set()
            release_a.wait(30)
        return NOW

    witness = make_witness(tmp_path, log, clock)
    results: dict[str, Outcome] = {}
    a = threading.Thread(target=lambda: results.setdefault("a", witness.add_checkpoint(log.request(0, 10, NOW))))
    b = threading.Thread(target=lambda: results.setdefault("b", witness.add_checkpoint(log.request(0, 7, NOW))))
    a.start()
    assert a_inside.wait(30)
    b.start()
    b.join(0.5)
    assert b.is_alive(), "B was judged while A held the write lock"
    release_a.set()
    a.join(30)
    b.join(30)
    assert results["a"].status == 200
    assert (results["b"].status, results["b"].body) == (409, "10\n")
    stored = witness.state.latest(log.origin)
    assert stored is not None
    assert stored.size == 10


def test_many_threads_racing_never_roll_the_witness_back(tmp_path: Path) -> None:
    """Each request claims the size it last read (sometimes an older one) and asks for a larger one. The cosigned
    requests must form one chain 0 -> a -> b -> ...: no two accepted with the same old size, each starting where the
    previous ended, and the state ends at the last one."""
    log = TestLog.of_size(64)
    witness = make_witness(tmp_path, log)
    rng = random.Random(7)
    plans = [(rng.randrange(4), rng.randrange(1, 6)) for _ in range(240)]

    def attempt(plan: tuple[int, int]) -> tuple[int, int, Outcome]:
        staleness, step = plan
        stored = witness.state.latest(log.origin)
        seen = stored.size if stored else 0
        old = max(0, seen - staleness) if staleness == 3 else seen  # a quarter claim an older size
        new = min(64, seen + step)
        if new <= old:
            new = old + 1 if old < 64 else old
        return old, new, witness.add_checkpoint(log.request(old, new, NOW))

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(attempt, plans))

    assert {outcome.status for _, _, outcome in results} <= {200, 409}, [o.body for _, _, o in results]
    accepted = sorted((old, new) for old, new, outcome in results if outcome.status == 200 and new > old)
    assert len(accepted) > 5, "the race produced too few cosignatures to mean anything"
    olds = [old for old, _ in accepted]
    assert len(olds) == len(set(olds)), f"two requests were cosigned from the same size: {accepted}"
    assert accepted[0][0] == 0
    for (_, new), (next_old, _) in itertools.pairwise(accepted):
        assert next_old == new, f"the chain of cosigned sizes breaks: {accepted}"
    stored = witness.state.latest(log.origin)
    assert stored is not None
    assert stored.size == accepted[-1][1]
    chain_sizes = {0} | {new for _, new in accepted}
    refused_with = {int(outcome.body) for _, _, outcome in results if outcome.status == 409}
    assert refused_with <= chain_sizes, "a 409 named a size the witness never stored"


def test_state_and_evidence_survive_reopening(tmp_path: Path) -> None:
    log = TestLog.of_size(12)
    witness = make_witness(tmp_path, log)
    assert witness.add_checkpoint(log.request(0, 8, NOW)).status == 200
    fork = TestLog.of_size(8, seed=b"L" * 32)
    fork.leaves[3] = b"\x07" * 32
    forked_request = fork.request(8, 8, NOW)
    assert witness.add_checkpoint(forked_request).status == 409

    reopened = make_witness(tmp_path, log)
    stored = reopened.state.latest(log.origin)
    assert stored is not None
    assert (stored.size, stored.root, stored.updated_at) == (8, log.root(8), NOW)
    assert stored.note.startswith(log.note(8, NOW))
    [evidence] = reopened.state.evidence()
    assert (evidence.origin, evidence.received_at, evidence.request) == (log.origin, NOW, forked_request.decode())
    assert "fork" in evidence.reason
    assert reopened.add_checkpoint(log.request(0, 12, NOW)).body == "8\n"
