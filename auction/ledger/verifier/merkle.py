"""RFC 6962 / RFC 9162 Merkle tree: hashing, proofs, proof verification and an append-only tree state.

Leaf hash = SHA-256(0x00 || data), node hash = SHA-256(0x01 || left || right); the root of an empty tree is
SHA-256 of nothing. A "node (k, i)" is the perfect subtree at level k covering leaves [i*2^k, (i+1)*2^k).

Verification ports transparency-dev/merkle proof/verify.go (RFC 9162 sections 2.1.3.2 and 2.1.4.2).
Proof generation asks a `SubtreeHasher` for MTH(D[start:end]) of the ranges the RFC 6962 recursion needs;
backed by stored perfect nodes (`NodeStore`) each such range costs O(log n) lookups.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

SubtreeHasher = Callable[[int, int], bytes]
"""get_subtree_hash(start, end) -> MTH of leaves [start, end); start is aligned as RFC 6962 splits it."""

Node = tuple[int, int, bytes]
"""(level, index, hash) of a complete perfect subtree."""

LEAF_HASH_PREFIX = b"\x00"  # RFC 6962 domain separation: a leaf hash can never equal a node hash
NODE_HASH_PREFIX = b"\x01"

_sha256 = hashlib.sha256


class ProofError(ValueError):
    """A Merkle proof does not verify; the message says why."""


def hash_leaf(data: bytes) -> bytes:
    """RFC 6962 leaf hash."""
    return _sha256(LEAF_HASH_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash."""
    return _sha256(NODE_HASH_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly below n (n >= 2): where RFC 6962 splits a range of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def decompose(begin: int, end: int) -> list[tuple[int, int]]:
    """The maximal perfect subtrees (level, index) covering [begin, end), left to right."""
    if not 0 <= begin <= end:
        raise ValueError(f"bad range [{begin}, {end})")
    nodes: list[tuple[int, int]] = []
    pos = begin
    while pos < end:
        by_length = (end - pos).bit_length() - 1
        level = by_length if pos == 0 else min(by_length, (pos & -pos).bit_length() - 1)
        nodes.append((level, pos >> level))
        pos += 1 << level
    return nodes


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Combine subtree hashes right to left: the root of [0, n) from its decomposition."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = _sha256(NODE_HASH_PREFIX + left + acc).digest()
    return acc


def perfect_levels(begin: int, leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every perfect node inside [begin, begin + n): levels[k][j] is node (k, ceil(begin / 2^k) + j)."""
    levels = [list(leaf_hashes)]
    k = 0
    while True:
        current = levels[k]
        first = -(-begin >> k)
        parent_first = (first + 1) >> 1
        parent_end = (first + len(current)) >> 1
        if parent_end <= parent_first:
            return levels
        offset = 2 * parent_first - first
        levels.append(
            [
                _sha256(NODE_HASH_PREFIX + current[i] + current[i + 1]).digest()
                for i in range(offset, offset + 2 * (parent_end - parent_first), 2)
            ]
        )
        k += 1


def range_hashes(levels: Sequence[Sequence[bytes]], begin: int, start: int, end: int) -> list[bytes]:
    """Compact-range hashes of [start, end) read from `perfect_levels(begin, ...)` output."""
    out = []
    for level, index in decompose(start, end):
        out.append(levels[level][index - (-(-begin >> level))])
    return out


# --- proof generation -------------------------------------------------------------------------------


def inclusion_proof(index: int, size: int, get_subtree_hash: SubtreeHasher) -> list[bytes]:
    """RFC 6962 PATH(index, D[0:size]), leaf sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is not inside a tree of size {size}")
    proof: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            proof.append(get_subtree_hash(lo + k, hi))
            hi = lo + k
        else:
            proof.append(get_subtree_hash(lo, lo + k))
            lo += k
    proof.reverse()
    return proof


def consistency_proof(size1: int, size2: int, get_subtree_hash: SubtreeHasher) -> list[bytes]:
    """RFC 6962 PROOF(size1, D[0:size2]), deepest hash first; empty when the sizes are equal."""
    if not 0 < size1 <= size2:
        raise ValueError(f"consistency proof needs 0 < size1 <= size2, got {size1}, {size2}")
    proof: list[bytes] = []
    lo, hi, complete = 0, size2, True
    while True:
        if size1 - lo == hi - lo:
            if not complete:
                proof.append(get_subtree_hash(lo, hi))
            break
        k = _split(hi - lo)
        if size1 - lo <= k:
            proof.append(get_subtree_hash(lo + k, hi))
            hi = lo + k
        else:
            proof.append(get_subtree_hash(lo, lo + k))
            lo += k
            complete = False
    proof.reverse()
    return proof


class NodeStore(Protocol):
    """Stored perfect subtree hashes: node(level, index) covers leaves [index*2^level, (index+1)*2^level)."""

    def node(self, level: int, index: int) -> bytes:
        """Hash of a complete perfect subtree; only asked for nodes inside the tree."""
        ...


def layered_subtree_hasher(store: NodeStore) -> SubtreeHasher:
    """A SubtreeHasher answering each RFC 6962 range with O(log n) `store.node` lookups."""

    def get(start: int, end: int) -> bytes:
        return fold_right([store.node(level, index) for level, index in decompose(start, end)])

    return get


class CompactRange:
    """The O(log n) right-edge state of an append-only tree over leaves [begin, end).

    Holds one hash per maximal perfect subtree of the range, so appending a batch costs O(batch + log n)
    and, for begin == 0, gives the tree root. Store it as `to_hex_list()` plus `end`.
    """

    __slots__ = ("_begin", "_end", "_hashes")

    def __init__(self, begin: int = 0, end: int | None = None, hashes: Iterable[bytes] = ()) -> None:
        end = begin if end is None else end
        hash_list = list(hashes)
        if len(hash_list) != len(decompose(begin, end)):
            raise ValueError(f"range [{begin}, {end}) needs {len(decompose(begin, end))} hashes")
        if any(len(h) != HASH_SIZE for h in hash_list):
            raise ValueError("compact range hashes must be 32 bytes")
        self._begin = begin
        self._end = end
        self._hashes = hash_list

    @property
    def begin(self) -> int:
        """First leaf index covered."""
        return self._begin

    @property
    def end(self) -> int:
        """One past the last leaf index covered (the tree size when begin is 0)."""
        return self._end

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """Hashes of the maximal perfect subtrees, left to right."""
        return tuple(self._hashes)

    def copy(self) -> CompactRange:
        """An independent copy."""
        other = CompactRange.__new__(CompactRange)
        other._begin, other._end, other._hashes = self._begin, self._end, list(self._hashes)
        return other

    def _push(self, level: int, node_hash: bytes, created: list[Node] | None) -> None:
        # Appends node (level, end >> level), merging with left siblings that lie inside the range.
        size = 1 << level
        index = self._end >> level
        hashes = self._hashes
        while index & 1 and ((index - 1) << level) >= self._begin:
            node_hash = _sha256(NODE_HASH_PREFIX + hashes.pop() + node_hash).digest()
            index >>= 1
            level += 1
            if created is not None:
                created.append((level, index, node_hash))
        hashes.append(node_hash)
        self._end += size

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError("leaf hash must be 32 bytes")
        self._push(0, leaf_hash, None)

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaf hashes in order."""
        for leaf_hash in leaf_hashes:
            self.append(leaf_hash)

    def extend_collecting(self, leaf_hashes: Iterable[bytes]) -> list[Node]:
        """Append leaf hashes; return the interior nodes (level >= 1) they complete, for a NodeStore.

        The leaves themselves are the level-0 nodes (level 0, index = leaf index); store them too.
        """
        created: list[Node] = []
        for leaf_hash in leaf_hashes:
            if len(leaf_hash) != HASH_SIZE:
                raise ValueError("leaf hash must be 32 bytes")
            self._push(0, leaf_hash, created)
        return created

    def merge(self, other: CompactRange) -> None:
        """Append the adjacent range `other` (other.begin must equal self.end)."""
        if other.begin != self._end:
            raise ValueError(f"ranges are not adjacent: [.., {self._end}) + [{other.begin}, ..)")
        for (level, _), node_hash in zip(decompose(other.begin, other.end), other._hashes, strict=True):
            self._push(level, node_hash, None)

    def root(self) -> bytes:
        """MTH of leaves [0, end); only for ranges starting at 0."""
        if self._begin != 0:
            raise ValueError("only a range starting at leaf 0 has a tree root")
        return fold_right(self._hashes)

    def to_hex_list(self) -> list[str]:
        """The hashes as hex strings (store together with `end`)."""
        return [h.hex() for h in self._hashes]

    @classmethod
    def from_hex_list(cls, end: int, hexes: Sequence[str], begin: int = 0) -> CompactRange:
        """Load a range saved with `to_hex_list`; raises ValueError if the list does not fit [begin, end)."""
        try:
            hashes = [bytes.fromhex(h) for h in hexes]
        except ValueError:
            raise ValueError("compact range hashes must be hex") from None
        return cls(begin, end, hashes)


# --- proof verification (transparency-dev/merkle proof/verify.go) -----------------------------------


def _decomp_incl_proof(index: int, size: int) -> tuple[int, int]:
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = hash_children(seed, h) if (index >> i) & 1 == 0 else hash_children(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = hash_children(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = hash_children(h, seed)
    return seed


def _check_hashes(proof: Sequence[bytes]) -> None:
    for i, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise ProofError(f"proof hash {i} has {len(h)} bytes, want {HASH_SIZE}")


def root_from_inclusion_proof(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]) -> bytes:
    """The root implied by an inclusion proof; raises ProofError if the proof has the wrong shape."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is beyond tree size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise ProofError(f"leaf hash has {len(leaf_hash)} bytes, want {HASH_SIZE}")
    inner, border = _decomp_incl_proof(index, size)
    if len(proof) != inner + border:
        raise ProofError(f"wrong proof size {len(proof)}, want {inner + border}")
    _check_hashes(proof)
    res = _chain_inner(leaf_hash, proof[:inner], index)
    return _chain_border_right(res, proof[inner:])


def verify_inclusion(leaf_index: int, tree_size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Check that `leaf_hash` is at `leaf_index` in the tree of `tree_size` with `root`; raises ProofError."""
    calculated = root_from_inclusion_proof(leaf_index, tree_size, leaf_hash, proof)
    if calculated != root:
        raise ProofError(f"calculated root {calculated.hex()} does not match expected root {root.hex()}")


def root_from_consistency_proof(size1: int, size2: int, proof: Sequence[bytes], root1: bytes) -> bytes:
    """The size2 root implied by a consistency proof from (size1, root1); raises ProofError."""
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) < size1 ({size1})")
    if size1 <= 0:
        # Every tree extends the empty tree, so such a proof proves nothing; RFC 9162 requires 0 < size1.
        raise ProofError("consistency proof from an empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError("size1 == size2, but the proof is not empty")
        return root1
    if not proof:
        raise ProofError("empty proof")
    _check_hashes(proof)
    inner, border = _decomp_incl_proof(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    # The proof starts with the hash of the size1 subtree of size 2^shift, unless size1 is that subtree.
    if size1 == 1 << shift:
        seed, start = root1, 0
    else:
        seed, start = proof[0], 1
    if len(proof) != start + inner + border:
        raise ProofError(f"wrong proof size {len(proof)}, want {start + inner + border}")
    rest = proof[start:]
    mask = (size1 - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    if hash1 != root1:
        raise ProofError(f"calculated root1 {hash1.hex()} does not match root1 {root1.hex()}")
    return _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Check that the tree (size2, root2) extends (size1, root1); raises ProofError."""
    calculated = root_from_consistency_proof(size1, size2, proof, root1)
    if calculated != root2:
        raise ProofError(f"calculated root2 {calculated.hex()} does not match root2 {root2.hex()}")
