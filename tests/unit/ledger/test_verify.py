"""The offline verifier: honest bundles pass, and each kind of tampering is caught at its exact place."""

from __future__ import annotations

import base64
import json
import multiprocessing.process
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.canonical import parse_time
from auction.ledger.verifier.cli import main
from auction.ledger.verifier.entry import LEAF_PREFIX, Leaf, leaf_tail, make_leaf, parse_body, parse_leaf
from auction.ledger.verifier.merkle import hash_leaf, inclusion_proof
from auction.ledger.verifier.note import Checkpoint, ReceiptEntry, format_vkey, sign_checkpoint
from auction.ledger.verifier.proof_file import build_proof
from auction.ledger.verifier.refusal import Refusal, sign_refusal
from auction.ledger.verifier.report import EXIT_OK, EXIT_TAMPERED, EXIT_UNTRUSTED, EXIT_UNUSABLE, Finding, Report
from auction.ledger.verifier.verify import verify_bundle
from auction.ledger.verifier.witnessing import Witnessing
from tests.kit.policy import write_policy
from tests.unit.ledger.factory import ORIGIN, START, Log, honest_log
from tests.unit.ledger.reference_tree import list_subtree_hasher, root

NOT_CANONICAL = "leaf bytes are not canonical JSON (RFC 8785)"


def check(path: Path, **options: Any) -> Report:
    """Verify sequentially and with two workers over tiny blocks; both must say exactly the same."""
    sequential = verify_bundle(path, workers=1, **options)
    parallel = verify_bundle(path, workers=2, block_size=700, parallel_threshold=0, **options)
    assert parallel.to_json() == sequential.to_json()
    # Blocks shorter than a line: some hold no line start at all.
    splintered = verify_bundle(path, workers=2, block_size=97, parallel_threshold=0, **options)
    assert splintered.to_json() == sequential.to_json()
    return sequential


def assert_fails(
    report: Report, reason: str, *, index: int | None = None, checkpoint: int | None = None, exact: bool = False
) -> None:
    assert report.exit_code == EXIT_TAMPERED, report.text()
    assert report.failure is not None
    assert report.failure.index == index
    assert report.failure.checkpoint == checkpoint
    if exact:
        assert report.failure.reason == reason
    else:
        assert reason in report.failure.reason, report.failure.reason


def _relabel(leaf: bytes, index: int, prev_leaf: str | None = None) -> bytes:
    parsed = parse_leaf(leaf)
    return make_leaf(index, parsed.prev_leaf if prev_leaf is None else prev_leaf, parsed.body.raw, parsed.integrated_at)


def _rechain(leaves: list[bytes]) -> list[bytes]:
    """Renumber and re-link leaves the way a forger who rewrites the whole tail would."""
    out: list[bytes] = []
    for index, leaf in enumerate(leaves):
        prev = hash_leaf(out[-1]).hex() if out else "0" * 64
        out.append(_relabel(leaf, index, prev))
    return out


@pytest.fixture
def log() -> Log:
    # 40 entries over lots 1..3 plus the platform chain; checkpoints 0..4 at sizes 8, 16, 24, 32, 40.
    return honest_log(40, lots=3, checkpoint_every=8)


def test_honest_bundle_verifies(log: Log, tmp_path: Path) -> None:
    report = check(log.write(tmp_path / "b"))
    assert report.ok
    assert (report.entries, report.checkpoints, report.root) == (40, 5, log.tree.root())
    # Nothing the inspector brought pins the log: every check held, but only against the bundle's own keys.
    assert not report.trusted
    assert report.text().startswith("NOT TRUSTED: no trust policy given")
    pinned = check(log.write(tmp_path / "p"), key=log.vkey)
    assert pinned.trusted
    assert pinned.text().startswith("OK: 40 entries and 5 checkpoints")


def test_honest_zip_bundle_verifies(log: Log, tmp_path: Path) -> None:
    assert check(log.write(tmp_path / "b.zip")).ok


def test_empty_log_with_an_empty_checkpoint_verifies(tmp_path: Path) -> None:
    log = Log()
    log.checkpoint()
    assert check(log.write(tmp_path / "b")).ok


def test_edited_payload_breaks_the_next_prev_leaf(log: Log, tmp_path: Path) -> None:
    leaves = list(log.leaves)
    assert b'"amount":1000,' in leaves[10]
    leaves[10] = leaves[10].replace(b'"amount":1000,', b'"amount":1,')
    report = check(log.write(tmp_path / "b", leaves=leaves))
    assert_fails(report, "is not the hash of leaf 10", index=11)


def test_edited_last_payload_breaks_the_checkpoint(log: Log, tmp_path: Path) -> None:
    leaves = list(log.leaves)
    leaves[39] = leaves[39].replace(b'"amount":3900,', b'"amount":1,')
    report = check(log.write(tmp_path / "b", leaves=leaves))
    assert_fails(report, "at size 40 does not match the root", checkpoint=4)


def test_number_re_encoded_as_decimal_is_not_canonical(log: Log, tmp_path: Path) -> None:
    leaves = list(log.leaves)
    assert b'"amount":100,' in leaves[1]
    leaves[1] = leaves[1].replace(b'"amount":100,', b'"amount":100.00,')
    assert_fails(check(log.write(tmp_path / "b", leaves=leaves)), NOT_CANONICAL, index=1)


def test_a_parallel_scan_that_stops_early_lets_its_workers_finish(
    log: Log, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed while it writes a result can hang the pool for good (CPython gh-96995): when the verifier
    stops at the first problem, with blocks still in the workers, the scan must not kill them."""
    killed: list[str] = []
    original = multiprocessing.process.BaseProcess.terminate

    def terminate(process: multiprocessing.process.BaseProcess) -> None:
        killed.append(process.name)
        original(process)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "terminate", terminate)
    leaves = list(log.leaves)
    leaves[1] = leaves[1].replace(b'"amount":100,', b'"amount":100.00,')
    report = verify_bundle(log.write(tmp_path / "b", leaves=leaves), workers=2, block_size=97, parallel_threshold=0)
    assert_fails(report, NOT_CANONICAL, index=1)
    assert killed == []


def test_deleted_entry(log: Log, tmp_path: Path) -> None:
    leaves = log.leaves[:10] + log.leaves[11:]
    assert_fails(check(log.write(tmp_path / "b", leaves=leaves)), "leaf index is 11, expected 10", index=10)


def test_deleted_entry_with_later_indexes_renumbered(log: Log, tmp_path: Path) -> None:
    leaves = log.leaves[:10] + [_relabel(leaf, i) for i, leaf in enumerate(log.leaves[11:], start=10)]
    report = check(log.write(tmp_path / "b", leaves=leaves))
    assert_fails(report, "is not the hash of leaf 9", index=10)


def test_deleted_entry_with_the_whole_chain_rewritten(log: Log, tmp_path: Path) -> None:
    # Leaf 10 is lot 2's lot_seq 4; its successor in lot 2 (old index 13) now sits at index 12.
    assert (parse_leaf(log.leaves[10]).body.lot, parse_leaf(log.leaves[10]).body.lot_seq) == (2, 4)
    leaves = _rechain(log.leaves[:10] + log.leaves[11:])
    report = check(log.write(tmp_path / "b", leaves=leaves))
    assert_fails(report, "lot 2: lot_seq 5, expected 4", index=12)


def test_inserted_entry(log: Log, tmp_path: Path) -> None:
    forged = Log()
    forged.clock = START + timedelta(seconds=9.5)  # admitted between entries 9 and 10
    forged_body = forged.add("bid.placed", 99, {"amount": 1})
    inserted = make_leaf(10, hash_leaf(log.leaves[9]).hex(), forged_body, forged.clock)
    leaves = [*log.leaves[:10], inserted, *log.leaves[10:]]
    assert_fails(check(log.write(tmp_path / "b", leaves=leaves)), "leaf index is 10, expected 11", index=11)


def test_swapped_entries(log: Log, tmp_path: Path) -> None:
    leaves = list(log.leaves)
    leaves[10], leaves[11] = leaves[11], leaves[10]
    assert_fails(check(log.write(tmp_path / "b", leaves=leaves)), "leaf index is 11, expected 10", index=10)


def test_swapped_entries_with_the_chain_rewritten(log: Log, tmp_path: Path) -> None:
    # Entries 10 and 11 belong to different lots, integrated one second apart.
    leaves = list(log.leaves)
    leaves[10], leaves[11] = leaves[11], leaves[10]
    report = check(log.write(tmp_path / "b", leaves=_rechain(leaves)))
    assert_fails(
        report,
        "integrated_at 2026-03-01T09:00:11.000000Z is earlier than the previous leaf's integrated_at "
        "2026-03-01T09:00:12.000000Z",
        index=11,
    )


def test_truncated_tail_with_its_checkpoints_kept(log: Log, tmp_path: Path) -> None:
    report = check(log.write(tmp_path / "b", leaves=log.leaves[:30]))
    assert_fails(report, "size 32 but the bundle holds only 30 entries: truncated bundle", checkpoint=3)


def test_truncated_tail_presented_with_an_old_checkpoint(log: Log, tmp_path: Path) -> None:
    path = log.write(tmp_path / "b", leaves=log.leaves[:30], checkpoints=log.checkpoints[:3])
    assert_fails(check(path), "entries from index 24 on are not covered by any checkpoint", index=24)


def test_truncated_to_an_old_checkpoint_is_caught_by_the_inspectors_newer_checkpoint(log: Log, tmp_path: Path) -> None:
    path = log.write(tmp_path / "b", leaves=log.leaves[:24], checkpoints=log.checkpoints[:3])
    assert check(path).ok  # on its own, an old but complete bundle is self-consistent
    report = check(path, since=log.checkpoints[4])
    assert report.exit_code == EXIT_TAMPERED
    assert report.failure is not None
    assert report.failure.where == "since"
    assert "size 40 but the bundle holds only 24 entries" in report.failure.reason
    assert report.failure.describe().startswith("FAIL in since:")


def _forged_checkpoint(log: Log, size: int, key: Ed25519PrivateKey | None = None, name: str = ORIGIN) -> str:
    """A checkpoint of `size` over a history where leaf size-3 was rewritten."""
    hashes = [hash_leaf(leaf) for leaf in log.leaves[:size]]
    hashes[size - 3] = hash_leaf(b"rewritten")
    return sign_checkpoint(Checkpoint(ORIGIN, size, root(hashes)), name, key or log.key)


def test_split_view(log: Log, tmp_path: Path) -> None:
    checkpoints = [*log.checkpoints[:2], _forged_checkpoint(log, 16), *log.checkpoints[2:]]
    report = check(log.write(tmp_path / "b", checkpoints=checkpoints))
    assert_fails(
        report,
        "split view: checkpoints 1 and 2 are both validly signed for size 16 but have different roots",
        checkpoint=2,
    )


def test_later_checkpoint_inconsistent_with_earlier_ones(log: Log, tmp_path: Path) -> None:
    checkpoints = [*log.checkpoints[:4], _forged_checkpoint(log, 40)]
    report = check(log.write(tmp_path / "b", checkpoints=checkpoints))
    assert_fails(report, "at size 40 does not match the root", checkpoint=4)


def test_checkpoint_sizes_must_not_decrease(log: Log, tmp_path: Path) -> None:
    checkpoints = [log.checkpoints[1], log.checkpoints[0], *log.checkpoints[2:]]
    report = check(log.write(tmp_path / "b", checkpoints=checkpoints))
    assert_fails(report, "size 8 is smaller than checkpoint 0's 16", checkpoint=1)


def test_bad_signature(log: Log, tmp_path: Path) -> None:
    note = log.checkpoints[2]
    text, signature_line = note.rsplit("\n", 2)[0], note.rsplit("\n", 2)[1]
    raw = bytearray(base64.b64decode(signature_line.split(" ")[2]))
    raw[-1] ^= 1
    bad = note.replace(signature_line.split(" ")[2], base64.b64encode(bytes(raw)).decode())
    assert bad != note
    assert text in bad
    checkpoints = [*log.checkpoints[:2], bad, *log.checkpoints[3:]]
    report = check(log.write(tmp_path / "b", checkpoints=checkpoints))
    assert_fails(report, "signature: invalid signature for key achyk.test/ledger+", checkpoint=2)


def test_wrong_key(log: Log, tmp_path: Path) -> None:
    other = Ed25519PrivateKey.generate()
    forged = sign_checkpoint(Checkpoint(ORIGIN, 24, log_root(log, 24)), ORIGIN, other)
    checkpoints = [*log.checkpoints[:2], forged, *log.checkpoints[3:]]
    report = check(log.write(tmp_path / "b", checkpoints=checkpoints))
    assert_fails(report, "signature: note has no valid signature from a known key", checkpoint=2)


def test_wrong_key_name(log: Log, tmp_path: Path) -> None:
    forged = sign_checkpoint(Checkpoint(ORIGIN, 24, log_root(log, 24)), "evil.example/ledger", log.key)
    checkpoints = [*log.checkpoints[:2], forged, *log.checkpoints[3:]]
    report = check(log.write(tmp_path / "b", checkpoints=checkpoints))
    assert_fails(report, "signature: note has no valid signature from a known key", checkpoint=2)


def test_pinned_key_must_be_the_logs(log: Log, tmp_path: Path) -> None:
    path = log.write(tmp_path / "b")
    assert check(path, key=log.vkey).ok
    stranger = format_vkey(ORIGIN, Ed25519PrivateKey.generate().public_key())
    report = check(path, key=stranger)
    assert report.exit_code == EXIT_TAMPERED
    assert report.failure is not None
    assert report.failure.where == "keys"
    assert "is not in vkeys.txt" in report.failure.reason
    # A bundle re-signed wholesale by a forger lists the forger's key: pinning exposes it.
    forger = honest_log(40, lots=3, checkpoint_every=8)
    assert check(forger.write(tmp_path / "f"), key=log.vkey).failure is not None


def test_altered_checkpoint_body(log: Log, tmp_path: Path) -> None:
    note = log.checkpoints[2]
    real_root = base64.b64encode(log_root(log, 24)).decode()
    altered = note.replace(real_root, base64.b64encode(hash_leaf(b"x")).decode())
    checkpoints = [*log.checkpoints[:2], altered, *log.checkpoints[3:]]
    report = check(log.write(tmp_path / "b", checkpoints=checkpoints))
    assert_fails(report, "signature: invalid signature", checkpoint=2)


def test_malformed_checkpoint_note(log: Log, tmp_path: Path) -> None:
    checkpoints = [*log.checkpoints[:2], log.checkpoints[2].replace("— ", "-- "), *log.checkpoints[3:]]
    report = check(log.write(tmp_path / "b", checkpoints=checkpoints))
    assert_fails(report, "malformed", checkpoint=2)


def test_checkpoint_for_another_origin(log: Log, tmp_path: Path) -> None:
    other = sign_checkpoint(Checkpoint("other.example", 24, log_root(log, 24)), ORIGIN, log.key)
    checkpoints = [*log.checkpoints[:2], other, *log.checkpoints[3:]]
    report = check(log.write(tmp_path / "b", checkpoints=checkpoints))
    assert_fails(report, "origin 'other.example' is not the bundle's", checkpoint=2)


def log_root(log: Log, size: int) -> bytes:
    return root([hash_leaf(leaf) for leaf in log.leaves[:size]])


@pytest.mark.parametrize(
    "mutate",
    [
        lambda raw: raw.replace(b'","at":', b'", "at":', 1),  # whitespace
        lambda raw: raw + b" ",
        lambda raw: json.dumps(dict(reversed(json.loads(raw).items())), separators=(",", ":")).encode(),
        lambda raw: json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode(),  # \u escapes
    ],
    ids=["whitespace", "trailing-space", "reordered-keys", "ascii-escaped"],
)
def test_non_canonical_leaf_bytes(log: Log, tmp_path: Path, mutate: Any) -> None:
    leaves = list(log.leaves)
    leaves[0] = mutate(leaves[0])  # leaf 0 holds Cyrillic text, so even ASCII-escaping changes its bytes
    assert leaves[0] != log.leaves[0]
    assert_fails(check(log.write(tmp_path / "b", leaves=leaves)), NOT_CANONICAL, index=0)


def test_structural_errors_are_reported_by_field(log: Log, tmp_path: Path) -> None:
    leaves = list(log.leaves)
    leaves[5] = leaves[5].replace(b'"v":1}', b'"v":2}', 1)
    assert_fails(check(log.write(tmp_path / "b", leaves=leaves)), "body v must be 1", index=5)


def test_empty_line_and_missing_final_newline(log: Log, tmp_path: Path) -> None:
    leaves = [*log.leaves[:7], b"", *log.leaves[7:]]
    path = tmp_path / "b"
    log.write(path)
    (path / "entries.jsonl").write_bytes(b"\n".join(leaves) + b"\n")
    assert_fails(check(path), "empty line", index=7)
    (path / "entries.jsonl").write_bytes(b"\n".join(log.leaves))
    assert_fails(check(path), "ends without a newline", index=39)


def _last_of_chain(log: Log, lot: int | None) -> tuple[int, str]:
    """(lot_seq, at) of the chain's newest body in the log."""
    body = next(parse_body(raw) for raw in reversed(log.bodies) if parse_body(raw).lot == lot)
    return body.lot_seq, body.at


def test_integrated_at_going_backwards(tmp_path: Path) -> None:
    log = honest_log(10, checkpoint_every=0)  # entry 9 was admitted and integrated at 09:00:10
    assert parse_leaf(log.leaves[9]).integrated_at == "2026-03-01T09:00:10.000000Z"
    # A new chain admitted at 09:00:05, so that only the integration time is out of order.
    body = log.admit("lot.opened", 7, {"amount": 5}, at=START + timedelta(seconds=5))
    log.integrate(body, START + timedelta(seconds=9, microseconds=999999))
    log.add("bid.placed", 7, {"amount": 6})
    log.checkpoint()
    reason = (
        "integrated_at 2026-03-01T09:00:09.999999Z is earlier than the previous leaf's integrated_at "
        "2026-03-01T09:00:10.000000Z"
    )
    assert_fails(check(log.write(tmp_path / "b")), reason, index=10, exact=True)


@pytest.mark.parametrize("lot", [2, None], ids=["lot", "platform-chain"])
def test_at_going_backwards_within_one_chain(tmp_path: Path, lot: int | None) -> None:
    log = honest_log(10, checkpoint_every=0)
    seq, last_at = _last_of_chain(log, lot)
    # One microsecond before the chain's previous body. Integrated at the clock, so integration times and
    # at <= integrated_at still hold; only this chain's order is broken.
    at = parse_time(last_at) - timedelta(microseconds=1)
    log.integrate(log.admit("bid.placed", lot, {"amount": 5}, at=at))
    log.add("bid.placed", 1, {"amount": 6})
    log.checkpoint()
    chain = "platform chain" if lot is None else f"lot {lot}"
    admitted = parse_body(log.bodies[10]).at
    assert admitted < last_at
    reason = f"{chain}: at {admitted} is earlier than lot_seq {seq}'s at {last_at}"
    assert_fails(check(log.write(tmp_path / "b")), reason, index=10, exact=True)


def _concurrent_log() -> Log:
    """Three lots and the platform chain admitted concurrently, committed and integrated out of admission order.

    Within each chain `at` only grows; across chains the integrator meets bodies in commit order, so `at`
    goes back and forth in index order, while each batch's integrated_at only grows.
    """
    log = Log()
    admitted: dict[int | None, list[bytes]] = {1: [], 2: [], 3: [], None: []}
    for n in range(36):
        lot = 1 + n % 3
        admitted[lot].append(log.admit("bid.placed", lot, {"amount": 100 * n}, actor=f"b-{n % 5:016x}"))
        if n % 12 == 5:
            admitted[None].append(log.admit("platform.notice", None, {"text": f"notice {n}"}, actor="system"))
    # Commit waves: a lot's transaction that started first may commit last.
    batches = [
        admitted[3][:6],
        admitted[1][:4] + admitted[None][:1],
        admitted[2][:6] + admitted[1][4:8],
        admitted[None][1:] + admitted[3][6:] + admitted[2][6:],
        admitted[1][8:],
    ]
    assert sum(map(len, batches)) == 36 + len(admitted[None])
    for number, batch in enumerate(batches):
        integrated_at = log.clock + timedelta(seconds=number, microseconds=250)
        for body in batch:
            log.integrate(body, integrated_at)
        if number % 2:
            log.checkpoint()
    log.checkpoint()
    return log


def test_interleaved_chains_with_out_of_order_at_verify(tmp_path: Path) -> None:
    log = _concurrent_log()
    ats = [parse_body(body).at for body in log.bodies]
    backwards = [i for i in range(1, len(ats)) if ats[i] < ats[i - 1]]
    assert len(backwards) >= 3  # across chains, admission times go back in index order ...
    stamps = [parse_leaf(leaf).integrated_at for leaf in log.leaves]
    assert stamps == sorted(stamps)  # ... integration times do not
    report = check(log.write(tmp_path / "b"))
    assert report.ok, report.text()
    assert report.entries == len(log.leaves)


def test_interleaved_chains_still_catch_one_chain_going_backwards(tmp_path: Path) -> None:
    log = _concurrent_log()
    # Swap two of lot 2's bodies that sit in the same batch, relinking lot 2's chain as a forger would.
    positions = [i for i, body in enumerate(log.bodies) if parse_body(body).lot == 2][:2]
    first, second = (parse_body(log.bodies[i]) for i in positions)
    forged = Log(key=log.key)
    for i, body in enumerate(log.bodies):
        parsed = parse_body(body)
        at = parsed.at_datetime
        if i == positions[0]:
            at = second.at_datetime
        elif i == positions[1]:
            at = first.at_datetime
        raw = forged.admit(parsed.kind, parsed.lot, parsed.payload, parsed.actor, at=at)
        forged.integrate(raw, parse_leaf(log.leaves[i]).integrated_at_datetime)
    forged.checkpoint()
    reason = f"lot 2: at {first.at} is earlier than lot_seq 1's at {second.at}"
    assert_fails(check(forged.write(tmp_path / "b")), reason, index=positions[1], exact=True)


def _append_forged(log: Log, body: bytes, integrated_at: str) -> None:
    """Append a leaf as raw bytes, bypassing make_leaf's own checks."""
    prev_leaf = hash_leaf(log.leaves[-1]).hex() if log.leaves else "0" * 64
    leaf = LEAF_PREFIX + body + leaf_tail(len(log.leaves), integrated_at, prev_leaf)
    log.bodies.append(body)
    log.leaves.append(leaf)
    log.tree.append(hash_leaf(leaf))


def test_body_admitted_after_its_leaf_was_integrated(tmp_path: Path) -> None:
    log = honest_log(10, checkpoint_every=0)
    body = log.admit("bid.placed", 2, {"amount": 5})  # at 09:00:11
    _append_forged(log, body, "2026-03-01T09:00:10.500000Z")
    log.add("bid.placed", 1, {"amount": 6})
    log.checkpoint()
    assert parse_leaf(log.leaves[11]).index == 11
    reason = "body at 2026-03-01T09:00:11.000000Z is after the leaf's integrated_at 2026-03-01T09:00:10.500000Z"
    assert_fails(check(log.write(tmp_path / "b")), reason, index=10, exact=True)


def test_lot_chain_gaps_and_forks(tmp_path: Path) -> None:
    log = honest_log(10, checkpoint_every=0)
    seq, head = log.heads[2]
    log.heads[2] = (seq + 1, head)
    log.add("bid.placed", 2, {"amount": 5})
    log.checkpoint()
    assert_fails(check(log.write(tmp_path / "a")), f"lot 2: lot_seq {seq + 2}, expected {seq + 1}", index=10)

    log = honest_log(10, checkpoint_every=0)
    seq, _ = log.heads[2]
    log.heads[2] = (seq, "ab" * 32)
    log.add("bid.placed", 2, {"amount": 5})
    log.checkpoint()
    assert_fails(check(log.write(tmp_path / "b")), f"is not the hash of lot_seq {seq}'s body", index=10)

    log = honest_log(10, checkpoint_every=0)
    log.heads[7] = (3, "ab" * 32)
    log.add("bid.placed", 7, {"amount": 5})
    log.checkpoint()
    report = check(log.write(tmp_path / "c"))
    assert_fails(report, "lot 7: lot_seq 4 but the chain has no earlier entry (expected 1)", index=10)


def test_key_rotation(tmp_path: Path) -> None:
    log = honest_log(12, checkpoint_every=4)
    genesis = log.vkey
    log.rotate()  # index 12; the checkpoint at 13 is the first signed by the new key
    for n in range(7):
        log.add("bid.placed", 1, {"amount": n})
        if len(log.leaves) % 4 == 0:
            log.checkpoint()
    log.checkpoint()
    path = log.write(tmp_path / "b")
    report = check(path)
    assert report.ok, report.text()
    assert check(path, key=genesis).ok
    assert check(path, key=log.vkey).ok


def test_handover_lets_the_old_key_sign_until_the_new_key_has(tmp_path: Path) -> None:
    log = honest_log(8, checkpoint_every=0)
    old_key = log.key
    new_key = log.rotate()
    log.key = old_key
    log.checkpoint()  # the old key endorses the tree that holds its own retirement
    log.add("bid.placed", 1, {"amount": 1})
    log.key = new_key
    log.checkpoint()
    assert check(log.write(tmp_path / "a")).ok
    log.add("bid.placed", 1, {"amount": 2})
    log.key = old_key
    log.checkpoint()
    report = check(log.write(tmp_path / "b"))
    # Checkpoints: 0 at size 8 (genesis key), 1 at 9 (old key, handover), 2 at 10 (new key), 3 at 11 (old).
    assert_fails(report, "signature: note has no valid signature from a known key", checkpoint=3)


def test_rotation_must_match_vkeys(tmp_path: Path) -> None:
    log = honest_log(8, checkpoint_every=0)
    log.rotate()
    log.checkpoint()
    report = check(log.write(tmp_path / "a", vkeys=log.vkeys[:1]))
    assert_fails(report, "key.rotated new_vkey is not vkeys.txt line 2", index=8)
    stranger = format_vkey(ORIGIN, Ed25519PrivateKey.generate().public_key())
    report = check(log.write(tmp_path / "b", vkeys=[*log.vkeys, stranger]))
    assert report.failure is not None
    assert report.failure.where == "keys"
    assert "vkeys.txt line 3 was never introduced" in report.failure.reason


def test_rotation_must_name_the_active_key(tmp_path: Path) -> None:
    log = honest_log(8, checkpoint_every=0)
    impostor = format_vkey(ORIGIN, Ed25519PrivateKey.generate().public_key())
    new_key = Ed25519PrivateKey.generate()
    new_vkey = format_vkey(ORIGIN, new_key.public_key())
    log.add("key.rotated", None, {"old_vkey": impostor, "new_vkey": new_vkey}, actor="system")
    log.vkeys.append(new_vkey)
    log.checkpoint()
    assert_fails(check(log.write(tmp_path / "b")), "key.rotated old_vkey is not the active key", index=8)


def test_since_checkpoint(log: Log, tmp_path: Path) -> None:
    path = log.write(tmp_path / "b")
    report = check(path, since=log.checkpoints[1])
    assert report.ok
    assert "--since checkpoint of size 16 is consistent with the bundle" in report.notes
    forked = check(path, since=_forged_checkpoint(log, 16))
    assert forked.failure is not None
    assert forked.failure.where == "since"
    assert "history differs" in forked.failure.reason
    stranger = sign_checkpoint(Checkpoint(ORIGIN, 16, log_root(log, 16)), ORIGIN, Ed25519PrivateKey.generate())
    unsigned = check(path, since=stranger)
    assert unsigned.failure is not None
    assert "no valid signature" in unsigned.failure.reason
    garbage = check(path, since="not a checkpoint")
    assert garbage.exit_code == EXIT_UNUSABLE


def test_receipt_note(log: Log, tmp_path: Path) -> None:
    path = log.write(tmp_path / "b")
    report = check(path, receipt=log.receipt(log.bodies[17]))
    assert report.ok, report.text()
    assert any(note.startswith("receipt: body ") and " is entry 17," in note for note in report.notes)


def _late_log(delay: timedelta) -> tuple[Log, bytes]:
    """10 honest entries, then a body admitted at 09:00:11 and integrated `delay` later, then one more entry."""
    log = honest_log(10, checkpoint_every=0)
    body = log.admit("bid.placed", 2, {"amount": 5})
    log.clock += delay
    log.integrate(body)
    log.add("bid.placed", 1, {"amount": 6})
    log.checkpoint()
    return log, body


def test_receipt_integrated_within_the_merge_delay(tmp_path: Path) -> None:
    log, body = _late_log(timedelta(seconds=60))  # exactly at the deadline keeps the promise
    report = check(log.write(tmp_path / "b"), receipt=log.receipt(body, max_merge_delay=60))
    assert report.ok, report.text()
    assert (
        f"receipt: body {parse_body(body).hash} is entry 10, admitted 2026-03-01T09:00:11.000000Z, integrated "
        "2026-03-01T09:01:11.000000Z (60 s, within the promised 60 s)"
    ) in report.notes


def test_receipt_integrated_after_the_merge_delay(tmp_path: Path) -> None:
    log, body = _late_log(timedelta(seconds=60, microseconds=1))
    report = check(log.write(tmp_path / "b"), receipt=log.receipt(body, max_merge_delay=60))
    assert report.exit_code == EXIT_TAMPERED
    assert report.failure is not None
    assert (report.failure.where, report.failure.index) == ("receipt", 10)
    assert report.failure.reason == (
        f"entry 10 (body {parse_body(body).hash}) was integrated at 2026-03-01T09:01:11.000001Z, 60.000001 s "
        "after its admission at 2026-03-01T09:00:11.000000Z; the receipt promised integration within 60 s, "
        "by 2026-03-01T09:01:11.000000Z"
    )
    assert report.failure.describe().startswith("FAIL in receipt: entry 10 ")


def test_receipt_for_a_body_the_log_dropped(log: Log, tmp_path: Path) -> None:
    # The bundle's newest entry was integrated at 09:00:40; a body admitted at 08:59:39.999999 with a 60 s
    # delay was due one microsecond earlier.
    dropped = Log(key=log.key)
    body = dropped.admit("bid.placed", 1, {"amount": 7}, at=START - timedelta(seconds=20, microseconds=1))
    report = check(log.write(tmp_path / "b"), receipt=dropped.receipt(body, max_merge_delay=60))
    assert report.exit_code == EXIT_TAMPERED
    assert report.failure is not None
    assert report.failure.where == "receipt"
    assert report.failure.reason == (
        f"body {parse_body(body).hash} is not in the log, although the log integrated entries up to "
        "2026-03-01T09:00:40.000000Z, after the deadline: the receipt promised integration within 60 s, "
        "by 2026-03-01T09:00:39.999999Z"
    )


def test_receipt_not_yet_due(log: Log, tmp_path: Path) -> None:
    # Due exactly when the bundle's newest entry was integrated: a later batch may still hold it in time.
    later = Log(key=log.key)
    body = later.admit("bid.placed", 1, {"amount": 7}, at=START - timedelta(seconds=20))
    report = check(log.write(tmp_path / "b"), receipt=later.receipt(body, max_merge_delay=60))
    assert report.exit_code == EXIT_UNUSABLE
    assert report.failure is not None
    assert "not after the deadline 2026-03-01T09:00:40.000000Z: verify against a newer bundle" in report.failure.reason
    huge = later.receipt(body, max_merge_delay=2**64 - 1)  # a deadline beyond what datetime can hold
    report = check(log.write(tmp_path / "c"), receipt=huge)
    assert report.exit_code == EXIT_UNUSABLE
    assert report.failure is not None
    assert "not after the deadline 9999-12-31T23:59:59.999999Z" in report.failure.reason
    empty = Log(key=log.key)
    empty.checkpoint()
    report = check(empty.write(tmp_path / "e"), receipt=later.receipt(body))
    assert report.exit_code == EXIT_UNUSABLE


def test_receipt_with_a_foreign_signature(log: Log, tmp_path: Path) -> None:
    forger = Log()
    receipt = forger.receipt(log.bodies[5])
    report = check(log.write(tmp_path / "b"), receipt=receipt)
    assert report.failure is not None
    assert report.failure.where == "receipt"
    assert "signature" in report.failure.reason


def test_tlog_proof_receipt(log: Log, tmp_path: Path) -> None:
    path = log.write(tmp_path / "b")
    hashes = [hash_leaf(leaf) for leaf in log.leaves[:32]]
    proof = build_proof(20, inclusion_proof(20, 32, list_subtree_hasher(hashes)), log.checkpoints[3])
    report = check(path, receipt=proof)
    assert report.ok, report.text()
    assert "tlog-proof: entry 20 is included in the checkpoint of size 32" in report.notes
    wrong = build_proof(21, inclusion_proof(20, 32, list_subtree_hasher(hashes)), log.checkpoints[3])
    report = check(path, receipt=wrong)
    assert report.failure is not None
    assert report.failure.where == "receipt"
    assert "inclusion proof for index 21" in report.failure.reason
    truncated = log.write(tmp_path / "t", leaves=log.leaves[:24], checkpoints=log.checkpoints[:3])
    report = check(truncated, receipt=proof)
    assert report.failure is not None
    assert "bundle holds only 24 entries" in report.failure.reason


def test_replay_extension_point(log: Log, tmp_path: Path) -> None:
    path = log.write(tmp_path / "b")
    seen: list[int] = []

    def replay(leaves: Iterable[Leaf], witnessing: Witnessing | None) -> list[Finding]:
        assert witnessing is None  # no trust policy was given
        for leaf in leaves:
            seen.append(leaf.index)
            if leaf.body.kind == "bid.placed" and leaf.body.payload["amount"] == 2500:
                return [Finding(leaf.index, "bid after the lot closed")]
        return []

    report = verify_bundle(path, workers=1, replay=replay)
    assert report.exit_code == EXIT_TAMPERED
    assert report.failure is not None
    assert report.failure.describe() == "FAIL at index 25: replay: bid after the lot closed"
    assert seen == list(range(26))
    calm = verify_bundle(path, workers=1, replay=lambda leaves, witnessing: [])
    assert calm.ok
    assert "auction replay found nothing wrong" in calm.notes


def test_replay_is_not_run_on_a_tampered_bundle(log: Log, tmp_path: Path) -> None:
    leaves = log.leaves[:10] + log.leaves[11:]

    def replay(leaves: Iterable[Leaf], witnessing: Witnessing | None) -> list[Finding]:
        raise AssertionError("replay must not run")

    report = verify_bundle(log.write(tmp_path / "b", leaves=leaves), workers=1, replay=replay)
    assert_fails(report, "leaf index is 11", index=10)


def test_cli_exit_codes_and_output(log: Log, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = log.write(tmp_path / "b")
    assert main([str(path)]) == EXIT_UNTRUSTED
    assert capsys.readouterr().out.startswith("NOT TRUSTED: no trust policy given")
    policy = write_policy(tmp_path / "policy.txt", [log.vkey])
    assert main([str(path), "--policy", str(policy)]) == EXIT_OK
    assert capsys.readouterr().out.startswith("OK: 40 entries")
    (tmp_path / "key.txt").write_text(log.vkey + "\n")
    (tmp_path / "since.txt").write_text(log.checkpoints[1])
    (tmp_path / "receipt.txt").write_text(log.receipt(log.bodies[3]))
    args = [str(path), "--json", "--key", str(tmp_path / "key.txt"), "--since", str(tmp_path / "since.txt")]
    assert main([*args, "--receipt", str(tmp_path / "receipt.txt")]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert (report["ok"], report["trusted"], report["exit_code"]) == (True, True, EXIT_OK)
    assert report["root"] == log.tree.root().hex()
    assert report["failure"] is None

    tampered = log.write(tmp_path / "t", leaves=log.leaves[:10] + log.leaves[11:])
    assert main([str(tampered)]) == EXIT_TAMPERED
    assert capsys.readouterr().out.strip() == "FAIL at index 10: leaf index is 11, expected 10"
    assert main([str(tampered), "--json"]) == EXIT_TAMPERED
    failure = json.loads(capsys.readouterr().out)["failure"]
    assert failure == {"where": "index", "index": 10, "checkpoint": None, "reason": "leaf index is 11, expected 10"}

    assert main([str(tmp_path / "missing")]) == EXIT_UNUSABLE
    assert "ERROR (unusable input)" in capsys.readouterr().out
    assert main([str(path), "--receipt", str(tmp_path / "nope.txt")]) == EXIT_UNUSABLE
    assert main([str(path), "--key", "not-a-vkey+1+2"]) == EXIT_UNUSABLE
    assert main(["--bogus"]) == EXIT_UNUSABLE


def _scan_one(raw: bytes) -> tuple[bool, tuple[Any, ...] | None]:
    """What the verifier's block scanner concludes about a single leaf at the start of a block."""
    from auction.ledger.verifier import scan

    ctx = scan.ScanContext(sizes=(), bodies=frozenset(), indices=frozenset())
    block = scan.scan_lines([raw], False, ctx)
    if block.failure is not None:
        return False, None
    ((_, lot, lot_seq, prev_body, at),) = block.lot_heads
    assert block.head is not None
    facts = (block.first_index, block.head, lot, lot_seq, prev_body, at, block.lot_tails[lot], block.last_leaf)
    return True, (*facts, block.last_integrated)


def _authoritative(raw: bytes) -> tuple[bool, tuple[Any, ...] | None]:
    try:
        leaf = parse_leaf(raw)
    except ValueError:
        return False, None
    body = leaf.body
    facts = (leaf.index, (leaf.prev_leaf, leaf.integrated_at), body.lot, body.lot_seq, body.prev_body, body.at)
    return True, (*facts, (body.lot_seq, body.hash, body.at), leaf.hash, leaf.integrated_at)


def test_fast_path_agrees_with_the_authoritative_parser() -> None:
    import random

    log = honest_log(30, lots=3, checkpoint_every=0)
    odd = Log()
    odd.add("lot.created", 5, {"名前": "Ж", "a": [1, {"z": None, "b": True}], "n": -12}, actor='quote " and \\ slash')
    odd.add("lot.created", None, {"big": 9007199254740991, "text": "\u2028\x7f\x1f"}, actor="ünïcode")
    samples = [*log.leaves, *odd.leaves, *_concurrent_log().leaves[30:34]]
    pieces = [
        b" ",
        b'"',
        b"\\",
        b"0",
        b"9",
        b"-",
        b".",
        b"e",
        b"A",
        b"a",
        b"{",
        b"}",
        b",",
        b":",
        "é".encode(),
        b"\x00",
    ]
    rng = random.Random(6962)
    for sample in samples:
        assert _scan_one(sample) == _authoritative(sample)
    beyond = odd.leaves[1].replace(b"9007199254740991", b"9007199254740992")
    assert _scan_one(beyond) == _authoritative(beyond) == (False, None)
    long_lot = log.leaves[3].replace(b'"lot":1,', b'"lot":1000000000000000,')
    assert _scan_one(long_lot)[0] == _authoritative(long_lot)[0] is True
    stamp = parse_leaf(log.leaves[3]).integrated_at.encode()
    for other, valid in [
        (b"2026-02-30T09:00:04.000000Z", False),  # not a calendar day
        (b"2026-03-31T09:00:04.000000Z", True),
        (b"2026-03-01T09:00:03.999999Z", False),  # before the body's at
        (b"2026-03-01T09:00:04.000000Z", True),  # equal to it
        (b"2026-03-01T09:00:04.000000", False),
    ]:
        restamped = log.leaves[3].replace(b'"integrated_at":"' + stamp, b'"integrated_at":"' + other)
        assert restamped != log.leaves[3] or other == stamp
        assert _scan_one(restamped) == _authoritative(restamped)
        assert _scan_one(restamped)[0] is valid, other
    for _ in range(4000):
        edited = bytearray(rng.choice(samples))
        for _ in range(rng.randrange(1, 3)):
            spot = rng.randrange(len(edited))
            action = rng.randrange(3)
            if action == 0:
                edited[spot : spot + 1] = rng.choice(pieces)
            elif action == 1:
                edited[spot:spot] = rng.choice(pieces)
            else:
                del edited[spot]
        mutated = bytes(edited)
        assert _scan_one(mutated) == _authoritative(mutated), mutated


def _block_facts(block: Any) -> tuple[Any, ...]:
    return (
        block.ok,
        block.failure,
        block.first_index,
        block.head,
        block.lot_heads,
        block.lot_tails,
        block.rotations,
        block.last_leaf,
        block.last_integrated,
        block.found_bodies,
    )


def test_fast_path_agrees_with_the_authoritative_parser_inside_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leaves after the first take the expected-tail shortcut; mutate any of them and compare whole blocks."""
    import random
    import re

    from auction.ledger.verifier import scan

    log = _concurrent_log()
    ctx = scan.ScanContext(sizes=(), bodies=frozenset(parse_body(b).hash for b in log.bodies[::3]), indices=frozenset())
    pieces = [b"0", b"1", b"9", b"-", b":", b"T", b"Z", b".", b'"', b",", b"{", b"}", b" "]
    rng = random.Random(9162)
    runs = [log.leaves[start : start + 6] for start in range(0, len(log.leaves) - 6, 3)]
    cases: list[list[bytes]] = [list(run) for run in runs]
    for _ in range(1500):
        run = list(rng.choice(runs))
        spot_line = rng.randrange(1, len(run))
        edited = bytearray(run[spot_line])
        tail_start = edited.rfind(b',"index":')
        spot = rng.randrange(tail_start, len(edited)) if rng.random() < 0.7 else rng.randrange(len(edited))
        if rng.randrange(2):
            edited[spot : spot + 1] = rng.choice(pieces)
        else:
            edited[spot:spot] = rng.choice(pieces)
        run[spot_line] = bytes(edited)
        cases.append(run)
    fast = [_block_facts(scan.scan_lines(run, False, ctx)) for run in cases]
    monkeypatch.setattr(scan, "_BODY_RE", re.compile(r"(?!)"))  # nothing takes the fast path
    slow = [_block_facts(scan.scan_lines(run, False, ctx)) for run in cases]
    for run, got, expected in zip(cases, fast, slow, strict=True):
        assert got == expected, run
    assert sum(facts[1] is None for facts in fast) >= len(runs)


def _proof_of(log: Log, index: int, receipt: str | None = None) -> str:
    """A tlog-proof of entry `index` under the 32-entry checkpoint, carrying `receipt` in its extra line."""
    hashes = [hash_leaf(leaf) for leaf in log.leaves[:32]]
    path = inclusion_proof(index, 32, list_subtree_hasher(hashes))
    return build_proof(index, path, log.checkpoints[3], None if receipt is None else receipt.encode())


def test_a_proof_bound_to_its_receipt_verifies(log: Log, tmp_path: Path) -> None:
    path = log.write(tmp_path / "b")
    receipt = log.receipt(log.bodies[17])
    for evidence in ([_proof_of(log, 17, receipt)], [receipt, _proof_of(log, 17)]):
        report = check(path, receipt=evidence)
        assert report.ok, report.text()
        assert "the proof is for entry 17, the entry the receipt names" in report.notes


def test_a_proof_for_another_entry_is_refused_with_the_receipt(log: Log, tmp_path: Path) -> None:
    """A bidder's receipt names entry 17; someone else's proof of entry 20 must not pass as the bidder's proof."""
    path = log.write(tmp_path / "b")
    receipt = log.receipt(log.bodies[17])
    for evidence in ([_proof_of(log, 20, receipt)], [receipt, _proof_of(log, 20)]):
        report = check(path, receipt=evidence)
        assert report.failure is not None, f"a proof of entry 20 passed for the receipt of entry 17: {evidence}"
        assert (report.failure.where, report.failure.index) == ("receipt", 20)
        assert "the proof is for entry 20, but the receipt names entry 17" in report.failure.reason
    receipt_file, proof_file = tmp_path / "mine.receipt", tmp_path / "theirs.tlog-proof"
    receipt_file.write_text(receipt, encoding="utf-8")
    proof_file.write_text(_proof_of(log, 20), encoding="utf-8")
    assert main([str(path), "--receipt", str(receipt_file), "--receipt", str(proof_file)]) == EXIT_TAMPERED


def test_two_receipts_or_two_proofs_are_unusable(log: Log, tmp_path: Path) -> None:
    path = log.write(tmp_path / "b")
    receipts = [log.receipt(log.bodies[17]), log.receipt(log.bodies[18])]
    proofs = [_proof_of(log, 17), _proof_of(log, 18)]
    bound_elsewhere = [receipts[1], _proof_of(log, 17, receipts[0])]
    for evidence in (receipts, proofs, bound_elsewhere):
        report = check(path, receipt=evidence)
        assert report.exit_code == EXIT_UNUSABLE, report.text()


def test_a_receipt_naming_another_entry_than_its_body_is_refused(log: Log, tmp_path: Path) -> None:
    """A log that signs a receipt calling a withdrawal a bid (its body hash right, its words wrong) is caught."""
    path = log.write(tmp_path / "b")
    body = parse_body(log.bodies[17])
    for misleading in (
        ReceiptEntry(body.lot, body.lot_seq, "bid.withdrawn" if body.kind != "bid.withdrawn" else "bid.placed"),
        ReceiptEntry(body.lot, body.lot_seq + 1, body.kind),
        ReceiptEntry(None if body.lot is not None else 1, body.lot_seq, body.kind),
    ):
        report = check(path, receipt=log.receipt(log.bodies[17], entry=misleading))
        assert report.failure is not None, misleading
        assert (report.failure.where, report.failure.index) == ("receipt", 17)
        assert f"entry 17 is {body.kind} #{body.lot_seq} of " in report.failure.reason
        assert f"but the receipt names {misleading.kind} #{misleading.lot_seq} of " in report.failure.reason


def test_a_receipt_issued_before_v2_still_verifies(log: Log, tmp_path: Path) -> None:
    report = check(log.write(tmp_path / "b"), receipt=log.receipt(log.bodies[17], v1=True))
    assert report.ok, report.text()


def _refusal(log: Log, **changes: Any) -> str:
    values: dict[str, Any] = {
        "origin": ORIGIN,
        "lot": 2,
        "action": "bid.place",
        "request_hash": "cd" * 32,
        "code": "bid.too_low",
        "refused_at": START + timedelta(minutes=5),
    }
    values.update(changes)
    return sign_refusal(Refusal(**values), log.key_name, log.key)


def test_a_signed_refusal_verifies_offline(log: Log, tmp_path: Path) -> None:
    path = log.write(tmp_path / "b")
    report = check(path, refusal=_refusal(log))
    assert report.ok, report.text()
    assert report.notes[-1] == (
        f"refusal: the log signed that it refused bid.place on lot 2 (request {'cd' * 32}) with bid.too_low "
        "at 2026-03-01T09:05:00.000000Z"
    )
    refusal_file = tmp_path / "refused.txt"
    refusal_file.write_text(_refusal(log), encoding="utf-8")
    policy = write_policy(tmp_path / "policy.txt", [log.vkey])
    assert main([str(path), "--refusal", str(refusal_file), "--policy", str(policy)]) == EXIT_OK


def test_a_forged_or_foreign_refusal_is_refused(log: Log, tmp_path: Path) -> None:
    path = log.write(tmp_path / "b")
    forged = check(path, refusal=_refusal(Log()))
    assert forged.failure is not None
    assert (forged.failure.where, forged.exit_code) == ("refusal", EXIT_TAMPERED)
    assert "signature" in forged.failure.reason
    foreign = check(path, refusal=_refusal(log, origin="elsewhere.example/ledger"))
    assert foreign.failure is not None
    assert foreign.failure.reason == "refusal is for origin 'elsewhere.example/ledger'"
    edited = _refusal(log).replace("bid.too_low", "bid.too_late", 1)
    assert check(path, refusal=edited).failure is not None
    assert check(path, refusal="not a refusal\n").exit_code == EXIT_UNUSABLE
