"""The add-checkpoint rules, row by row in the order of docs/witnesses.md §3, on a real signed test log."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.note import VerifierKey, add_signature, sign_checkpoint
from auction.ledger.verifier.witnessing import WitnessKey, timed_checkpoint, verify_cosignatures
from tests.kit.witnesses import TestLog, add_checkpoint_body
from witness.protocol import (
    MAX_PROOF_LINES,
    SIZE_MEDIA_TYPE,
    Cosigned,
    Cosigner,
    MalformedRequest,
    Outcome,
    decide,
    parse_add_checkpoint,
)

NOW = 1_764_108_000
SKEW = 10
WITNESS = Cosigner("witness.test.kg", Ed25519PrivateKey.from_private_bytes(b"W" * 32))
WITNESS_KEY = WitnessKey.of(WITNESS.name, WITNESS.key)


@pytest.fixture
def log() -> TestLog:
    return TestLog.of_size(20)


def judge(log: TestLog, body: bytes, latest: Cosigned | None, now: int = NOW) -> Outcome:
    return decide(parse_add_checkpoint(body), {log.origin: [log.verifier]}, latest, now, SKEW, WITNESS)


def cosigned(log: TestLog, size: int) -> Cosigned:
    return Cosigned(size, log.root(size))


# --- 400: malformed ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"", "'old <size>'"),
        (b"old\n\n", "'old <size>'"),
        (b"new 1\n\n", "'old <size>'"),
        (b"old 01\n\n", "decimal"),
        (b"old -1\n\n", "decimal"),
        (b"old 1", "'old <size>'"),
        (b"old 3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "no empty line"),
        (b"old 3\n\n", "no checkpoint"),
        (b"old 3\n!!notbase64!!\n\nx", "not base64"),
        (b"old 3\nAAAA\n\nx", "32-byte"),
        (b"old 3\n\nnot a note\n", "signed checkpoint"),
        (b"old 3\n\n\xff\xfe", "UTF-8"),
    ],
)
def test_a_malformed_body_is_refused_with_what_is_wrong(body: bytes, why: str) -> None:
    with pytest.raises(MalformedRequest, match=why):
        parse_add_checkpoint(body)


def test_more_than_63_proof_lines_is_malformed(log: TestLog) -> None:
    hashes = [bytes([i]) * 32 for i in range(MAX_PROOF_LINES)]
    assert parse_add_checkpoint(add_checkpoint_body(3, hashes, log.note(5, NOW))).proof == tuple(hashes)
    with pytest.raises(MalformedRequest, match="more than 63"):
        parse_add_checkpoint(add_checkpoint_body(3, [*hashes, b"x" * 32], log.note(5, NOW)))


def test_a_proof_from_size_zero_must_be_empty(log: TestLog) -> None:
    with pytest.raises(MalformedRequest, match="from size 0 must be empty"):
        parse_add_checkpoint(add_checkpoint_body(0, [b"h" * 32], log.note(5, NOW)))


def test_a_request_parses_into_size_proof_and_the_note_verbatim(log: TestLog) -> None:
    note = log.note(8, NOW)
    request = parse_add_checkpoint(add_checkpoint_body(5, log.proof(5, 8), note))
    assert (request.old_size, request.proof, request.note) == (5, tuple(log.proof(5, 8)), note)
    assert (request.checkpoint.origin, request.checkpoint.size) == (log.origin, 8)


def test_old_size_larger_than_the_checkpoint_is_400(log: TestLog) -> None:
    outcome = judge(log, log.request(9, 8, NOW, proof=[]), cosigned(log, 9))
    assert (outcome.status, outcome.evidence, outcome.store) == (400, False, None)
    assert "larger than the checkpoint's 8" in outcome.body


# --- 404, 403 ---------------------------------------------------------------------------------------


def test_an_origin_not_configured_is_404(log: TestLog) -> None:
    other = TestLog.of_size(3, origin="other.test.kg/ledger")
    outcome = judge(log, other.request(0, 3, NOW), None)
    assert outcome.status == 404
    assert "other.test.kg/ledger" in outcome.body


def test_a_checkpoint_signed_by_another_key_under_the_logs_name_is_403(log: TestLog) -> None:
    impostor = TestLog.of_size(20, seed=b"I" * 32)  # same origin and name, different key: another key ID
    outcome = judge(log, impostor.request(0, 5, NOW), None)
    assert (outcome.status, outcome.evidence) == (403, False)


def test_a_bad_signature_of_the_configured_key_is_403(log: TestLog) -> None:
    note = log.note(5, NOW)
    signature = note.rsplit(" ", 1)[1]
    raw = bytearray(base64.b64decode(signature))
    raw[-1] ^= 1
    forged = note.replace(signature, base64.b64encode(bytes(raw)).decode() + "\n")
    outcome = judge(log, add_checkpoint_body(0, [], forged), None)
    assert outcome.status == 403
    assert "invalid signature" in outcome.body


def test_unknown_signatures_beside_the_logs_are_ignored(log: TestLog) -> None:
    note = add_signature(log.note(5, NOW), "someone.else", Ed25519PrivateKey.from_private_bytes(b"S" * 32))
    assert judge(log, add_checkpoint_body(0, [], note), None).status == 200


def test_a_log_may_have_several_keys(log: TestLog) -> None:
    rotated = Ed25519PrivateKey.from_private_bytes(b"R" * 32)
    keys = [log.verifier, VerifierKey.from_public_key(log.origin, rotated)]
    note = sign_checkpoint(log.checkpoint(5, NOW), log.origin, rotated)
    request = parse_add_checkpoint(add_checkpoint_body(0, [], note))
    outcome = decide(request, {log.origin: keys}, None, NOW, SKEW, WITNESS)
    assert outcome.status == 200


# --- 409 --------------------------------------------------------------------------------------------


def test_an_old_size_that_is_not_the_stored_one_is_409_with_the_stored_size(log: TestLog) -> None:
    outcome = judge(log, log.request(5, 12, NOW), cosigned(log, 8))
    assert (outcome.status, outcome.media_type, outcome.body) == (409, SIZE_MEDIA_TYPE, "8\n")
    assert (outcome.evidence, outcome.store) == (False, None)


def test_a_witness_that_cosigned_nothing_answers_409_with_zero(log: TestLog) -> None:
    outcome = judge(log, log.request(5, 12, NOW), None)
    assert (outcome.status, outcome.media_type, outcome.body) == (409, SIZE_MEDIA_TYPE, "0\n")


def test_the_same_size_with_another_root_is_a_fork_kept_as_evidence(log: TestLog) -> None:
    fork = TestLog.of_size(7)
    fork.grow(5, salt="fork ")  # same first 7 leaves, then other ones: size 12 with another root
    outcome = judge(log, fork.request(12, 12, NOW), cosigned(log, 12))
    assert (outcome.status, outcome.evidence, outcome.store) == (409, True, None)
    assert "fork" in outcome.reason


def test_the_same_checkpoint_again_is_cosigned_again(log: TestLog) -> None:
    outcome = judge(log, log.request(12, 12, NOW), cosigned(log, 12))
    assert outcome.status == 200
    assert outcome.store == cosigned(log, 12)


# --- 422 --------------------------------------------------------------------------------------------


def test_a_proof_that_does_not_verify_is_422_kept_as_evidence(log: TestLog) -> None:
    wrong = log.proof(5, 12)
    wrong[0] = bytes(32)
    outcome = judge(log, log.request(5, 12, NOW, proof=wrong), cosigned(log, 5))
    assert (outcome.status, outcome.evidence, outcome.store) == (422, True, None)
    assert "does not verify" in outcome.body


def test_a_branch_that_does_not_extend_the_stored_tree_is_422_kept_as_evidence(log: TestLog) -> None:
    fork = TestLog.of_size(3)
    fork.grow(17, salt="fork ")
    outcome = judge(log, fork.request(5, 12, NOW), cosigned(log, 5))
    assert (outcome.status, outcome.evidence) == (422, True)


def test_a_missing_proof_is_422(log: TestLog) -> None:
    outcome = judge(log, log.request(5, 12, NOW, proof=[]), cosigned(log, 5))
    assert (outcome.status, outcome.evidence) == (422, True)


def test_a_checkpoint_without_a_time_line_is_422(log: TestLog) -> None:
    untimed = log.checkpoint(5, NOW)
    note = sign_checkpoint(type(untimed)(log.origin, 5, log.root(5)), log.origin, log.key)
    outcome = judge(log, add_checkpoint_body(0, [], note), None)
    assert (outcome.status, outcome.evidence) == (422, False)
    assert "no 'time' line" in outcome.body


@pytest.mark.parametrize(("offset", "status"), [(-SKEW - 1, 422), (-SKEW, 200), (SKEW, 200), (SKEW + 1, 422)])
def test_the_checkpoint_time_must_be_within_the_skew_of_the_witness_clock(
    log: TestLog, offset: int, status: int
) -> None:
    outcome = judge(log, log.request(0, 5, NOW + offset), None)
    assert outcome.status == status
    assert not outcome.evidence


def test_checks_run_in_the_documented_order(log: TestLog) -> None:
    """A request wrong in every way gets the first row's answer; fixing each fault reveals the next."""
    stored = cosigned(log, 5)
    late = NOW - 3600
    bad_proof = [bytes(32)] * len(log.proof(5, 12))
    assert judge(log, log.request(3, 12, late, proof=bad_proof), stored).status == 409  # stale size first
    assert judge(log, log.request(5, 12, late, proof=bad_proof), stored).status == 422
    assert "does not verify" in judge(log, log.request(5, 12, late, proof=bad_proof), stored).body
    assert "from the witness's clock" in judge(log, log.request(5, 12, late), stored).body


# --- 200 --------------------------------------------------------------------------------------------


def test_a_first_checkpoint_is_cosigned_with_the_witness_clock(log: TestLog) -> None:
    note = log.note(5, NOW - 3)
    outcome = judge(log, add_checkpoint_body(0, [], note), None)
    assert (outcome.status, outcome.evidence) == (200, False)
    assert outcome.store == cosigned(log, 5)
    assert outcome.body.count("\n") == 1
    assert outcome.stored_note == note + outcome.body
    [cosignature] = verify_cosignatures(note + outcome.body, [WITNESS_KEY])
    assert cosignature.timestamp == NOW


def test_growth_with_a_good_proof_is_cosigned(log: TestLog) -> None:
    for old, new in [(1, 2), (5, 12), (8, 20), (16, 20), (19, 20)]:
        outcome = judge(log, log.request(old, new, NOW), cosigned(log, old))
        assert outcome.status == 200, (old, new, outcome.body)
        assert outcome.store == cosigned(log, new)


def test_extension_lines_other_than_time_are_covered_by_the_cosignature(log: TestLog) -> None:
    checkpoint = timed_checkpoint(log.origin, 5, log.root(5), NOW)
    extended = type(checkpoint)(log.origin, 5, log.root(5), (*checkpoint.extensions, "note extra"))
    note = sign_checkpoint(extended, log.origin, log.key)
    outcome = judge(log, add_checkpoint_body(0, [], note), None)
    assert outcome.status == 200
    assert verify_cosignatures(note + outcome.body, [WITNESS_KEY])
    with pytest.raises(ValueError, match="invalid cosignature"):
        verify_cosignatures(note.replace("note extra", "note other") + outcome.body, [WITNESS_KEY])
