"""In-memory Merkle trees for tests and benchmarks: the reference the platform's stored tree is checked against.

The platform never holds a whole tree in memory (the integrator keeps a compact range and stores perfect
nodes; the verifier rebuilds roots from compact ranges), so these live with the tests, not in the verifier.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from auction.ledger.verifier.merkle import (
    HASH_SIZE,
    NODE_HASH_PREFIX,
    SubtreeHasher,
    decompose,
    fold_right,
    perfect_levels,
    range_hashes,
)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes."""
    levels = perfect_levels(0, leaf_hashes)
    return fold_right(range_hashes(levels, 0, 0, len(leaf_hashes)))


def list_subtree_hasher(leaf_hashes: Sequence[bytes]) -> SubtreeHasher:
    """A SubtreeHasher over an in-memory list of leaf hashes (O(range) per call: for tests and small trees)."""

    def get(start: int, end: int) -> bytes:
        return root(leaf_hashes[start:end])

    return get


class LayeredTree:
    """In-memory NodeStore for an append-only tree: one bytearray of 32-byte hashes per level."""

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0

    @property
    def size(self) -> int:
        """Number of leaves."""
        return self._size

    def node(self, level: int, index: int) -> bytes:
        """Hash of node (level, index); IndexError if that subtree is not complete."""
        if level >= len(self._levels) or not 0 <= index < len(self._levels[level]) // HASH_SIZE:
            raise IndexError(f"node ({level}, {index}) is not complete in a tree of size {self._size}")
        return bytes(self._levels[level][index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def append(self, leaf_hashes: Sequence[bytes]) -> None:
        """Append leaf hashes and every perfect node they complete."""
        begin = self._size
        new = perfect_levels(begin, leaf_hashes)
        # A level-k node straddling the old end also needs the left child stored before this batch.
        size = begin + len(leaf_hashes)
        for level in range(size.bit_length()):
            if level >= len(self._levels):
                self._levels.append(bytearray())
            stored = self._levels[level]
            have = len(stored) // HASH_SIZE
            target = size >> level
            if level < len(new):
                first = -(-begin >> level)
                for index in range(have, target):
                    if index >= first:
                        stored += new[level][index - first]
                    else:
                        stored += self._combine(level, index)
            else:
                for index in range(have, target):
                    stored += self._combine(level, index)
        self._size = size

    def _combine(self, level: int, index: int) -> bytes:
        below = self._levels[level - 1]
        left = below[2 * index * HASH_SIZE : (2 * index + 1) * HASH_SIZE]
        right = below[(2 * index + 1) * HASH_SIZE : (2 * index + 2) * HASH_SIZE]
        return hashlib.sha256(NODE_HASH_PREFIX + left + right).digest()

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first `size` leaves (default: all)."""
        size = self._size if size is None else size
        if not 0 <= size <= self._size:
            raise ValueError(f"size {size} is beyond the tree's {self._size} leaves")
        return fold_right([self.node(level, index) for level, index in decompose(0, size)])
