"""The verifier trusts nothing from the bundle: the inspector's policy, witnesses and remembered checkpoint decide.

Threats played for real: an operator holding the log key who drops the newest entries with their checkpoint
(truncation), or shows one history to one inspector and another to the next (a split view, both branches signed
with the same key); a witness's cosignature copied onto another checkpoint; a log key the policy never pinned.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.cli import main
from auction.ledger.verifier.entry import Leaf
from auction.ledger.verifier.merkle import consistency_proof, hash_leaf, inclusion_proof
from auction.ledger.verifier.note import format_vkey
from auction.ledger.verifier.proof_file import build_proof
from auction.ledger.verifier.report import EXIT_OK, EXIT_TAMPERED, EXIT_UNTRUSTED, EXIT_UNUSABLE, Finding, Report
from auction.ledger.verifier.state import recall, state_file
from auction.ledger.verifier.verify import verify_bundle, verify_checkpoint
from auction.ledger.verifier.witnessing import TrustPolicy, Witnessing
from tests.kit.policy import WITNESS_TIME, Witness, cosigned, policy_of, witnesses, write_policy
from tests.unit.ledger.factory import ORIGIN, Log
from tests.unit.ledger.reference_tree import list_subtree_hasher

QUORUM_SHORT = "1 of the 2 witness cosignatures the policy requires"


def branch(key: Ed25519PrivateKey, *, entries: int = 40, fork_at: int = 24, twist: int = 0) -> Log:
    """A log checkpointed every 8 entries; two branches with the same key and different twists share exactly the
    entries (and the checkpoints, signatures included) before `fork_at`, and differ from there on."""
    log = Log(key=key)
    log.add("platform.opened", None, {"name": "Achyk test"}, actor="system")
    while len(log.leaves) < entries:
        n = len(log.leaves)
        lot = 1 + n % 3
        kind = "lot.opened" if log.heads.get(lot) is None else "bid.placed"
        amount = 100 * n + (twist if n >= fork_at else 0)
        log.add(kind, lot, {"amount": amount, "currency": "KGS", "round": 1}, actor=f"b-{n % 5:016x}")
        if len(log.leaves) % 8 == 0:
            log.checkpoint()
    return log


def witnessed_notes(log: Log, by: Sequence[Witness]) -> list[str]:
    """The log's checkpoints, each cosigned by `by`, the k-th witness k seconds after the others' first."""
    notes = []
    for number, signed in enumerate(log.checkpoints):
        note = signed
        for k, witness in enumerate(by):
            note = witness.cosign(note, WITNESS_TIME + 100 * number + k)
        notes.append(note)
    return notes


@pytest.fixture
def trio() -> list[Witness]:
    return witnesses(3)


@pytest.fixture
def log() -> Log:
    return branch(Ed25519PrivateKey.generate())


@pytest.fixture
def policy(log: Log, trio: list[Witness]) -> TrustPolicy:
    return policy_of([log.vkey], trio, quorum=2, grace=10)


def run(path: Path, **options: object) -> Report:
    return verify_bundle(path, workers=1, **options)  # type: ignore[arg-type]


def failure(report: Report) -> tuple[str, int | None, str]:
    assert report.failure is not None, report.text()
    return report.failure.where, report.failure.checkpoint, report.failure.reason


# --- the policy -------------------------------------------------------------------------------------------------


def test_a_cosigned_bundle_verifies_under_the_policy(
    log: Log, trio: list[Witness], policy: TrustPolicy, tmp_path: Path
) -> None:
    path = log.write(tmp_path / "b", checkpoints=witnessed_notes(log, trio[:2]))
    report = run(path, policy=policy)
    assert (report.ok, report.trusted) == (True, True), report.text()
    # Quorum 2: the second-earliest cosignature of the newest checkpoint (number 4) is its quorum time.
    assert (
        "the newest checkpoint (size 40) is cosigned by 2 of the policy's 3 witnesses (quorum 2): "
        "witness1.test, witness2.test; quorum time 2026-03-01T09:06:41Z"
    ) in report.notes
    assert report.text().startswith("OK: 40 entries and 5 checkpoints")


def test_the_newest_checkpoint_needs_the_quorum(
    log: Log, trio: list[Witness], policy: TrustPolicy, tmp_path: Path
) -> None:
    notes = witnessed_notes(log, trio[:2])
    notes[-1] = trio[0].cosign(log.checkpoints[-1])
    report = run(log.write(tmp_path / "b", checkpoints=notes), policy=policy)
    assert report.exit_code == EXIT_TAMPERED
    assert failure(report) == ("checkpoint", 4, QUORUM_SHORT)
    assert report.failure is not None
    assert report.failure.describe() == f"FAIL at checkpoint 4: {QUORUM_SHORT}"
    # Older checkpoints may lack it (witnessing started later, or a witness was down): only the newest vouches.
    notes = witnessed_notes(log, trio[:2])
    notes[1] = log.checkpoints[1]
    assert run(log.write(tmp_path / "c", checkpoints=notes), policy=policy).ok


def test_a_known_witness_bad_cosignature_fails_at_its_checkpoint(
    log: Log, trio: list[Witness], policy: TrustPolicy, tmp_path: Path
) -> None:
    notes = witnessed_notes(log, trio[:2])
    # witness1's genuine line for checkpoint 1, copied onto checkpoint 2.
    copied = notes[1].splitlines(keepends=True)[-2]
    assert copied.startswith("— witness1.test ")
    notes[2] = log.checkpoints[2] + copied + trio[1].cosign(log.checkpoints[2]).splitlines(keepends=True)[-1]
    report = run(log.write(tmp_path / "b", checkpoints=notes), policy=policy)
    assert failure(report) == ("checkpoint", 2, "cosignature: invalid cosignature from witness1.test")
    # A witness the policy does not name is ignored, whatever its line says.
    stranger = Witness("stranger.test")
    notes = witnessed_notes(log, trio[:2])
    notes[2] = notes[2] + stranger.cosign(log.checkpoints[1]).splitlines(keepends=True)[-1]
    assert run(log.write(tmp_path / "c", checkpoints=notes), policy=policy).ok


def test_an_empty_bundle_or_one_without_checkpoints_fails_under_a_policy(tmp_path: Path) -> None:
    empty = Log()
    policy = policy_of([empty.vkey])
    path = empty.write(tmp_path / "none")
    assert run(path).ok  # consistent with itself...
    assert not run(path).trusted  # ...and nothing more
    assert failure(run(path, policy=policy)) == (
        "policy",
        None,
        "the bundle holds no checkpoint: nothing in it is signed",
    )
    empty.checkpoint()
    report = run(empty.write(tmp_path / "zero"), policy=policy)
    assert failure(report) == (
        "policy",
        None,
        "the bundle holds no entries: there is nothing a trust policy can vouch for",
    )


def test_the_policy_log_key_must_be_the_bundles(log: Log, trio: list[Witness], tmp_path: Path) -> None:
    path = log.write(tmp_path / "b", checkpoints=witnessed_notes(log, trio))
    stranger = format_vkey(ORIGIN, Ed25519PrivateKey.generate().public_key())
    report = run(path, policy=policy_of([stranger], trio, quorum=2))
    assert failure(report)[0] == "keys"
    assert "none of the trust policy's log keys is in vkeys.txt" in failure(report)[2]


def test_a_rotation_the_policy_does_not_list_fails_at_the_newest_checkpoint(tmp_path: Path) -> None:
    log = branch(Ed25519PrivateKey.generate(), entries=16)
    genesis = log.vkey
    log.rotate()
    log.add("bid.placed", 1, {"amount": 1})
    log.checkpoint()
    path = log.write(tmp_path / "b")
    report = run(path, policy=policy_of([genesis]))
    assert failure(report)[:2] == ("checkpoint", 2)
    assert f"signed by {log.vkey}, which the trust policy does not list" in failure(report)[2]
    assert run(path, policy=policy_of([genesis, log.vkey])).trusted
    # --key keeps its old meaning: the pinned key signed some checkpoint.
    assert run(path, key=genesis).trusted


def test_the_replay_gets_the_witnesses_clock(
    log: Log, trio: list[Witness], policy: TrustPolicy, tmp_path: Path
) -> None:
    path = log.write(tmp_path / "b", checkpoints=witnessed_notes(log, trio[:2]))
    given: list[Witnessing | None] = []

    def replay(leaves: Iterable[Leaf], witnessing: Witnessing | None) -> list[Finding]:
        given.append(witnessing)
        return []

    assert run(path, policy=policy, replay=replay).ok
    witnessing = given.pop()
    assert witnessing is not None
    assert witnessing.grace_seconds == 10
    # Entry 0 is first covered by checkpoint 0 (size 8), entry 39 by checkpoint 4: quorum = 2nd cosignature.
    assert witnessing.clock.witnessed_at(0) == WITNESS_TIME + 1
    assert witnessing.clock.witnessed_at(39) == WITNESS_TIME + 401
    assert witnessing.clock.witnessed_size == 40

    unwitnessed = policy_of([log.vkey], trio, quorum=0)
    report = run(path, policy=unwitnessed, replay=replay)
    assert report.trusted
    assert given.pop() is None
    assert "unwitnessed policy: times are the log's own word" in report.notes
    assert run(path, replay=replay).ok
    assert given.pop() is None


def test_a_key_alone_is_trusted_but_unwitnessed(log: Log, tmp_path: Path) -> None:
    report = run(log.write(tmp_path / "b"), key=log.vkey)
    assert report.trusted
    assert any(note.startswith("unwitnessed: only the log key given with --key is pinned") for note in report.notes)


# --- --state: truncation and split views ---------------------------------------------------------------------------


def test_state_remembers_the_newest_checkpoint_after_a_trusted_pass_only(
    log: Log, trio: list[Witness], policy: TrustPolicy, tmp_path: Path
) -> None:
    notes = witnessed_notes(log, trio[:2])
    state = tmp_path / "state"
    state.mkdir()
    path = log.write(tmp_path / "b", checkpoints=notes)
    untrusted = run(path, state=state)
    assert "--state not updated: the result is not trusted" in untrusted.notes
    assert recall(state, ORIGIN) is None
    report = run(path, policy=policy, state=state)
    assert report.trusted, report.text()
    assert "--state: no checkpoint remembered for this origin yet (first visit)" in report.notes
    assert state_file(state, ORIGIN) == state / "achyk.test_ledger.checkpoint"
    assert recall(state, ORIGIN) == notes[-1]  # verbatim, cosignatures included
    assert [p.name for p in state.iterdir()] == ["achyk.test_ledger.checkpoint"]
    again = run(path, policy=policy, state=state)
    assert "--state: the bundle extends the checkpoint of size 40 you verified before" in again.notes


def test_state_catches_the_newest_entries_dropped_with_their_checkpoint(
    log: Log, trio: list[Witness], policy: TrustPolicy, tmp_path: Path
) -> None:
    notes = witnessed_notes(log, trio[:2])
    state = tmp_path / "state"
    state.mkdir()
    assert run(log.write(tmp_path / "full", checkpoints=notes), policy=policy, state=state).trusted
    truncated = log.write(tmp_path / "cut", leaves=log.leaves[:24], checkpoints=notes[:3])
    # Taken alone the truncated bundle is a perfectly good, cosigned log of 24 entries...
    assert run(truncated, policy=policy).trusted
    # ...but not after you have seen 40.
    report = run(truncated, policy=policy, state=state)
    assert failure(report) == (
        "state",
        None,
        "truncated: the bundle holds 24 entries but you verified a checkpoint of size 40 before",
    )
    assert recall(state, ORIGIN) == notes[-1]  # a failure never moves the state


def test_state_moves_forward_with_the_log(log: Log, trio: list[Witness], policy: TrustPolicy, tmp_path: Path) -> None:
    notes = witnessed_notes(log, trio[:2])
    state = tmp_path / "state"
    state.mkdir()
    assert run(
        log.write(tmp_path / "early", leaves=log.leaves[:24], checkpoints=notes[:3]), policy=policy, state=state
    ).trusted
    assert recall(state, ORIGIN) == notes[2]
    report = run(log.write(tmp_path / "later", checkpoints=notes), policy=policy, state=state)
    assert "--state: the bundle extends the checkpoint of size 24 you verified before" in report.notes
    assert recall(state, ORIGIN) == notes[-1]


def test_either_branch_of_a_split_view_fails_against_the_others_cosigned_checkpoint(
    trio: list[Witness], tmp_path: Path
) -> None:
    key = Ed25519PrivateKey.generate()
    honest, fork = branch(key), branch(key, twist=7)
    assert honest.checkpoints[:3] == fork.checkpoints[:3]
    assert honest.checkpoints[3] != fork.checkpoints[3]
    policy = policy_of([honest.vkey], trio, quorum=2)
    # The operator gets each branch cosigned by a different pair of witnesses, hoping nobody compares.
    honest_notes, fork_notes = witnessed_notes(honest, trio[:2]), witnessed_notes(fork, trio[1:])
    honest_path = honest.write(tmp_path / "honest", checkpoints=honest_notes)
    fork_path = fork.write(tmp_path / "fork", checkpoints=fork_notes)
    assert run(honest_path, policy=policy).trusted
    assert run(fork_path, policy=policy).trusted

    for seen, shown, shown_notes in ((honest_path, fork_path, fork_notes), (fork_path, honest_path, honest_notes)):
        state = tmp_path / f"state-{seen.name}"
        state.mkdir()
        assert run(seen, policy=policy, state=state).trusted
        where, _, reason = failure(run(shown, policy=policy, state=state))
        assert where == "state"
        assert reason.startswith("split view: the checkpoint of size 40 you verified before has root")
        # The same with the other branch's cosigned checkpoint kept by hand or brought along.
        since = recall(state, ORIGIN)
        assert since is not None
        assert failure(run(shown, policy=policy, since=since))[0] == "since"
        where, _, reason = failure(run(shown, policy=policy, checkpoint=since))
        assert (where, "split view or rewrite" in reason) == ("checkpoint file", True)
        # And a checkpoint alone, against the state the other branch left.
        alone = verify_checkpoint(shown_notes[-1], policy=policy, state=state)
        assert alone.exit_code == EXIT_TAMPERED
        assert failure(alone)[2].startswith("split view: the checkpoint of size 40 you verified before has root")


# --- --checkpoint ---------------------------------------------------------------------------------------------------


def _consistency(log: Log, old: int, new: int) -> list[bytes]:
    return consistency_proof(old, new, list_subtree_hasher([hash_leaf(leaf) for leaf in log.leaves[:new]]))


def add_checkpoint_body(old: int, proof: Sequence[bytes], note: str) -> str:
    return f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof) + "\n" + note


def test_a_checkpoint_alone_against_the_policy(
    log: Log, trio: list[Witness], policy: TrustPolicy, tmp_path: Path
) -> None:
    notes = witnessed_notes(log, trio[:2])
    report = verify_checkpoint(notes[2], policy=policy)
    assert (report.ok, report.trusted, report.entries) == (True, True, 24), report.text()
    assert "checkpoint of size 24 is signed by a pinned log key" in report.notes
    short = verify_checkpoint(trio[0].cosign(log.checkpoints[2]), policy=policy)
    assert failure(short) == ("checkpoint file", None, QUORUM_SHORT)
    foreign = branch(Ed25519PrivateKey.generate())
    forged = verify_checkpoint(cosigned(foreign.checkpoints[2], trio), policy=policy)
    assert failure(forged)[0] == "checkpoint file"
    assert "signature: note has no valid signature from a known key" in failure(forged)[2]
    nothing = verify_checkpoint(notes[2])
    assert (nothing.exit_code, failure(nothing)[0]) == (EXIT_UNUSABLE, "input")


def test_a_checkpoint_alone_against_the_remembered_one(
    log: Log, trio: list[Witness], policy: TrustPolicy, tmp_path: Path
) -> None:
    notes = witnessed_notes(log, trio[:2])
    state = tmp_path / "state"
    state.mkdir()
    assert verify_checkpoint(notes[2], policy=policy, state=state).trusted
    assert recall(state, ORIGIN) == notes[2]
    assert verify_checkpoint(notes[2], policy=policy, state=state).ok  # same size, same root

    newer = verify_checkpoint(notes[4], policy=policy, state=state)
    assert newer.exit_code == EXIT_UNUSABLE
    assert "bring a consistency proof from size 24" in failure(newer)[2]
    older = verify_checkpoint(notes[1], policy=policy, state=state)
    assert older.exit_code == EXIT_UNUSABLE
    assert "older than the checkpoint you remembered (size 24)" in failure(older)[2]

    honest = add_checkpoint_body(24, _consistency(log, 24, 40), notes[4])
    assert verify_checkpoint(honest, policy=policy, state=state).ok
    assert recall(state, ORIGIN) == notes[4]

    # A fork after 24 extends the tree of size 24 as well; whoever saw it first then catches the other branch.
    fork = branch(log.key, twist=7)
    fork_note = cosigned(fork.checkpoints[4], trio[1:])
    fork_state = tmp_path / "fork-state"
    fork_state.mkdir()
    assert verify_checkpoint(notes[2], policy=policy, state=fork_state).trusted
    assert verify_checkpoint(
        add_checkpoint_body(24, _consistency(fork, 24, 40), fork_note), policy=policy, state=fork_state
    ).ok
    split = verify_checkpoint(notes[4], policy=policy, state=fork_state)
    assert failure(split)[0] == "checkpoint file"
    assert "split view" in failure(split)[2]


def test_a_consistency_proof_that_does_not_verify_is_a_fork(
    log: Log, trio: list[Witness], policy: TrustPolicy, tmp_path: Path
) -> None:
    notes = witnessed_notes(log, trio[:2])
    early_fork = branch(log.key, fork_at=10, twist=7)  # differs from the remembered tree of size 24
    state = tmp_path / "state"
    state.mkdir()
    assert verify_checkpoint(notes[2], policy=policy, state=state).trusted
    body = add_checkpoint_body(24, _consistency(early_fork, 24, 40), cosigned(early_fork.checkpoints[4], trio[:2]))
    report = verify_checkpoint(body, policy=policy, state=state)
    assert report.exit_code == EXIT_TAMPERED
    assert "does not extend the one of size 24 you verified before" in failure(report)[2]
    assert recall(state, ORIGIN) == notes[2]


def test_a_tlog_proof_as_the_checkpoint(log: Log, trio: list[Witness], policy: TrustPolicy, tmp_path: Path) -> None:
    notes = witnessed_notes(log, trio[:2])
    hashes = [hash_leaf(leaf) for leaf in log.leaves[:32]]
    proof = build_proof(20, inclusion_proof(20, 32, list_subtree_hasher(hashes)), notes[3])
    alone = verify_checkpoint(proof, policy=policy)
    assert alone.trusted
    assert any("needs the entry itself" in note for note in alone.notes)
    path = log.write(tmp_path / "b", checkpoints=notes)
    report = run(path, policy=policy, checkpoint=proof)
    assert report.trusted, report.text()
    assert "tlog-proof: entry 20 is included in the checkpoint of size 32" in report.notes
    wrong = build_proof(21, inclusion_proof(20, 32, list_subtree_hasher(hashes)), notes[3])
    assert "inclusion proof for index 21" in failure(run(path, policy=policy, checkpoint=wrong))[2]


# --- the command line -----------------------------------------------------------------------------------------------


def test_the_command_line_exit_codes(
    log: Log, trio: list[Witness], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = witnessed_notes(log, trio[:2])
    path = str(log.write(tmp_path / "b", checkpoints=notes))
    policy = str(write_policy(tmp_path / "policy.txt", [log.vkey], trio, quorum=2))
    state = tmp_path / "state"
    state.mkdir()

    assert main([path, "--workers", "1"]) == EXIT_UNTRUSTED
    assert capsys.readouterr().out.splitlines()[0] == (
        "NOT TRUSTED: no trust policy given — this bundle is only consistent with itself; get the log key and the "
        "witnesses' keys from their owners and pass --policy FILE"
    )
    assert main([path, "--json"]) == EXIT_UNTRUSTED
    printed = json.loads(capsys.readouterr().out)
    assert (printed["ok"], printed["trusted"], printed["exit_code"]) == (True, False, EXIT_UNTRUSTED)

    assert main([path, "--policy", policy, "--state", str(state)]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("OK: 40 entries and 5 checkpoints")
    assert "quorum time 2026-03-01T09:06:41Z" in out
    assert main([path, "--policy", policy, "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["trusted"] is True

    cut = str(log.write(tmp_path / "cut", leaves=log.leaves[:24], checkpoints=notes[:3]))
    assert main([cut, "--policy", policy, "--state", str(state)]) == EXIT_TAMPERED
    assert capsys.readouterr().out.startswith("FAIL in state: truncated: the bundle holds 24 entries")

    (tmp_path / "cp.txt").write_text(notes[4], encoding="utf-8")
    assert main(["--checkpoint", str(tmp_path / "cp.txt"), "--policy", policy, "--state", str(state)]) == EXIT_OK
    assert capsys.readouterr().out.startswith(f"OK: the checkpoint of size 40 of {ORIGIN} verified; root ")
    (tmp_path / "old.txt").write_text(notes[1], encoding="utf-8")
    assert main(["--checkpoint", str(tmp_path / "old.txt"), "--policy", policy, "--state", str(state)]) == EXIT_UNUSABLE
    assert "older than the checkpoint you remembered" in capsys.readouterr().out

    (tmp_path / "bad-policy.txt").write_text("achyk-trust-policy/v1\nquorum 1\ngrace 10\n", encoding="utf-8")
    assert main([path, "--policy", str(tmp_path / "bad-policy.txt")]) == EXIT_UNUSABLE
    assert "--policy" in capsys.readouterr().out
    assert main([path, "--policy", str(tmp_path / "missing.txt")]) == EXIT_UNUSABLE
    assert main(["--policy", policy]) == EXIT_UNUSABLE
    assert "give a BUNDLE to verify, or --checkpoint FILE" in capsys.readouterr().out
    assert main([path, "--policy", policy, "--state", str(tmp_path / "no-such-dir")]) == EXIT_UNUSABLE
    assert "is not a directory" in capsys.readouterr().out
