"""RFC 6962 Merkle trees: independent vectors, generation against verification, and the tree state."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from auction.ledger.verifier.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    consistency_proof,
    decompose,
    hash_children,
    hash_leaf,
    inclusion_proof,
    layered_subtree_hasher,
    perfect_levels,
    range_hashes,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from tests.unit.ledger.reference_tree import LayeredTree, list_subtree_hasher, root

VECTORS = Path(__file__).resolve().parents[2] / "data" / "rfc6962"
# subtreeinclusion/ and subtreeconsistency/ test proofs between arbitrary subtrees (a construction from
# transparency-dev's tlog-tiles work), not the RFC 6962 log proofs implemented here, so they are not run.
INCLUSION = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").rglob("*.json"))


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _id(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def test_vectors_are_present() -> None:
    assert len(INCLUSION) == 98
    assert len(CONSISTENCY) == 98


@pytest.mark.parametrize("path", INCLUSION, ids=_id)
def test_inclusion_vector(path: Path) -> None:
    case = _load(path)
    proof = [_b64(h) for h in case["proof"] or []]
    args = (case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), proof, _b64(case["root"]))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY, ids=_id)
def test_consistency_vector(path: Path) -> None:
    case = _load(path)
    proof = [_b64(h) for h in case["proof"] or []]
    args = (case["size1"], case["size2"], proof, _b64(case["root1"]), _b64(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def _reference_root(hashes: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 section 2.1, recursively."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hash_children(_reference_root(hashes[:k]), _reference_root(hashes[k:]))


def _leaves(n: int) -> list[bytes]:
    return [hash_leaf(f"leaf {i}".encode()) for i in range(n)]


def _layered(hashes: list[bytes]) -> LayeredTree:
    tree = LayeredTree()
    # Uneven batches exercise nodes that straddle two appends.
    for start in range(0, len(hashes), 7):
        tree.append(hashes[start : start + 7])
    return tree


def test_rfc6962_known_roots() -> None:
    assert root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert hash_leaf(b"") == hashlib.sha256(b"\x00").digest()
    # The 8-leaf tree of the RFC 6962 test data (leaves "", 00, 10, 2021, 3031, 40414243, ...).
    data = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
    hashes = [hash_leaf(bytes.fromhex(d)) for d in data]
    assert root(hashes).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


@pytest.mark.parametrize("size", range(1, 71))
def test_proofs_generated_verify_for_every_index_and_size(size: int) -> None:
    hashes = _leaves(size)
    tree_root = _reference_root(hashes)
    assert root(hashes) == tree_root
    store = _layered(hashes)
    assert store.root() == tree_root
    by_list = list_subtree_hasher(hashes)
    by_store = layered_subtree_hasher(store)
    for index in range(size):
        proof = inclusion_proof(index, size, by_list)
        assert proof == inclusion_proof(index, size, by_store)
        verify_inclusion(index, size, hashes[index], proof, tree_root)
        if proof:
            bent = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
            with pytest.raises(ProofError):
                verify_inclusion(index, size, hashes[index], bent, tree_root)
        with pytest.raises(ProofError):
            verify_inclusion(index, size, hash_leaf(b"other"), proof, tree_root)
    for old in range(1, size + 1):
        old_root = _reference_root(hashes[:old])
        proof = consistency_proof(old, size, by_list)
        assert proof == consistency_proof(old, size, by_store)
        verify_consistency(old, size, proof, old_root, tree_root)
        if old < size:
            with pytest.raises(ProofError):
                verify_consistency(old, size, proof, hash_leaf(b"forged"), tree_root)
            with pytest.raises(ProofError):
                verify_consistency(old, size, proof[:-1], old_root, tree_root)


def test_inclusion_proof_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="not inside"):
        inclusion_proof(3, 3, list_subtree_hasher(_leaves(3)))
    with pytest.raises(ValueError, match="0 < size1"):
        consistency_proof(0, 3, list_subtree_hasher(_leaves(3)))
    with pytest.raises(ProofError, match="has 5 bytes"):
        root_from_inclusion_proof(0, 2, hash_leaf(b"a"), [b"short"])


def test_decompose() -> None:
    assert decompose(0, 0) == []
    assert decompose(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert decompose(3, 8) == [(0, 3), (2, 1)]
    assert decompose(5, 13) == [(0, 5), (1, 3), (2, 2), (0, 12)]
    for begin in range(0, 40):
        for end in range(begin, 40):
            covered = [i for level, index in decompose(begin, end) for i in range(index << level, (index + 1) << level)]
            assert covered == list(range(begin, end))


def test_compact_range_matches_root_at_every_size() -> None:
    hashes = _leaves(100)
    state = CompactRange()
    for n, leaf in enumerate(hashes, start=1):
        state.append(leaf)
        assert state.end == n
        assert len(state.hashes) == bin(n).count("1")
        assert state.root() == _reference_root(hashes[:n])


def test_compact_range_round_trips_through_hex() -> None:
    state = CompactRange()
    state.extend(_leaves(1000))
    saved = state.to_hex_list()
    loaded = CompactRange.from_hex_list(1000, saved)
    assert loaded.root() == state.root()
    loaded.extend(_leaves(5))
    state.extend(_leaves(5))
    assert loaded.root() == state.root()
    with pytest.raises(ValueError, match="needs 6 hashes"):
        CompactRange.from_hex_list(1000, saved[:-1])
    with pytest.raises(ValueError, match="hex"):
        CompactRange.from_hex_list(1000, ["zz"] * 6)


@pytest.mark.parametrize("split", [0, 1, 5, 8, 13, 32, 63, 64])
def test_compact_ranges_merge(split: int) -> None:
    hashes = _leaves(64)
    left = CompactRange()
    left.extend(hashes[:split])
    right = CompactRange(split)
    right.extend(hashes[split:])
    left.merge(right)
    assert left.root() == _reference_root(hashes)
    with pytest.raises(ValueError, match="adjacent"):
        left.merge(CompactRange(3))


def test_extend_collecting_returns_the_interior_nodes_a_store_needs() -> None:
    hashes = _leaves(45)
    state = CompactRange()
    nodes: dict[tuple[int, int], bytes] = {(0, i): h for i, h in enumerate(hashes)}
    for start in range(0, 45, 10):
        for level, index, digest in state.extend_collecting(hashes[start : start + 10]):
            assert level >= 1
            nodes[(level, index)] = digest
    store = _layered(hashes)
    expected = {(level, index): store.node(level, index) for level in range(6) for index in range(45 >> level)}
    assert nodes == expected


def test_perfect_levels_with_an_offset() -> None:
    hashes = _leaves(30)
    levels = perfect_levels(5, hashes[5:30])
    assert range_hashes(levels, 5, 5, 30) == _compact(hashes, 5, 30)
    assert range_hashes(levels, 5, 5, 17) == _compact(hashes, 5, 17)
    assert range_hashes(levels, 5, 9, 30) == _compact(hashes, 9, 30)


def _compact(hashes: list[bytes], begin: int, end: int) -> list[bytes]:
    state = CompactRange(begin)
    state.extend(hashes[begin:end])
    return list(state.hashes)


def test_layered_tree_refuses_incomplete_nodes() -> None:
    store = _layered(_leaves(5))
    assert store.size == 5
    with pytest.raises(IndexError):
        store.node(1, 2)
    with pytest.raises(ValueError, match="beyond"):
        store.root(6)
    assert store.root(0) == EMPTY_ROOT
