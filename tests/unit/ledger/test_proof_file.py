"""C2SP tlog-proof files."""

from __future__ import annotations

import pytest

from auction.ledger.verifier.merkle import hash_leaf, inclusion_proof
from auction.ledger.verifier.note import Checkpoint
from auction.ledger.verifier.proof_file import PROOF_HEADER, ProofFileError, build_proof, parse_proof, verify_proof
from tests.unit.ledger.factory import ORIGIN, honest_log
from tests.unit.ledger.reference_tree import list_subtree_hasher


def _proof_for(index: int) -> tuple[str, bytes, list[bytes]]:
    log = honest_log(20, checkpoint_every=0)
    hashes = [hash_leaf(leaf) for leaf in log.leaves]
    path = inclusion_proof(index, len(hashes), list_subtree_hasher(hashes))
    return build_proof(index, path, log.checkpoints[-1]), hashes[index], path


def test_build_and_parse_round_trip() -> None:
    text, _, path = _proof_for(5)
    lines = text.split("\n")
    assert lines[0] == PROOF_HEADER
    assert lines[1] == "index 5"
    parsed = parse_proof(text)
    assert parsed.index == 5
    assert list(parsed.hashes) == path
    assert parsed.extra is None
    assert parsed.checkpoint.size == 20
    assert build_proof(parsed.index, parsed.hashes, parsed.checkpoint_note) == text


def test_extra_data() -> None:
    text, _, path = _proof_for(0)
    parsed = parse_proof(text)
    with_extra = build_proof(0, path, parsed.checkpoint_note, extra=b"age-v1.2.1")
    assert with_extra.split("\n")[1] == "extra YWdlLXYxLjIuMQ=="
    assert parse_proof(with_extra).extra == b"age-v1.2.1"


def test_verify_proof() -> None:
    log = honest_log(20, checkpoint_every=0)
    hashes = [hash_leaf(leaf) for leaf in log.leaves]
    path = inclusion_proof(7, 20, list_subtree_hasher(hashes))
    proof = parse_proof(build_proof(7, path, log.checkpoints[-1]))
    assert verify_proof(proof, hashes[7], ORIGIN, [log.verifier()]) == Checkpoint(ORIGIN, 20, log.tree.root())
    with pytest.raises(ProofFileError, match="inclusion"):
        verify_proof(proof, hashes[8], ORIGIN, [log.verifier()])
    with pytest.raises(ProofFileError, match="origin"):
        verify_proof(proof, hashes[7], "other.example", [log.verifier()])
    with pytest.raises(ProofFileError, match="no valid signature"):
        verify_proof(proof, hashes[7], ORIGIN, [honest_log(1).verifier()])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.replace(PROOF_HEADER, "c2sp.org/tlog-proof@v2"), "first line"),
        (lambda t: t.replace("index 5\n", "index 05\n"), "leading zeros"),
        (lambda t: t.replace("index 5\n", ""), "index N"),
        (lambda t: t.replace("index 5\n", "index 5\nnot-base64!\n"), "proof hash 0"),
        (lambda t: t.replace("index 5\n", "index 5\nAAAA\n"), "3 bytes"),
        (lambda t: t.replace("\n\n", "\n", 1), "proof hash 5: not base64"),
        (lambda t: t[: t.index("\n\n") + 2] + "garbage\n", "checkpoint"),
    ],
)
def test_parse_is_strict(mutate: object, message: str) -> None:
    text, _, _ = _proof_for(5)
    with pytest.raises(ProofFileError, match=message):
        parse_proof(mutate(text))  # type: ignore[operator]
