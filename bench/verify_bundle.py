"""Benchmark: offline bundle verification and proof generation at ledger scale (not a test).

    .venv/bin/python bench/verify_bundle.py [--entries 1000000] [--workers N] [--keep DIR]

Builds an honest bundle in a temporary directory (about 300-byte bodies of several kinds over ~1000 lots,
integrated in batches of 1-256 that share an integrated_at and hold each batch's bodies in commit order, so
admission times go back and forth across lots; a checkpoint every 256 entries and one at the end, one key
rotation halfway), then times
`verify_bundle` against plain `hashlib.sha256` over the same leaf bytes, and inclusion/consistency proof
generation from an in-memory layered node store at the full size.
"""

from __future__ import annotations

import argparse
import base64
import gc
import hashlib
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auction.ledger.verifier.bundle import ENTRIES_FILE, write_bundle
from auction.ledger.verifier.entry import ZERO_HASH, body_hash, make_body, make_leaf
from auction.ledger.verifier.merkle import (
    CompactRange,
    consistency_proof,
    hash_leaf,
    inclusion_proof,
    layered_subtree_hasher,
    verify_consistency,
    verify_inclusion,
)
from auction.ledger.verifier.note import Checkpoint, format_vkey, sign_checkpoint
from auction.ledger.verifier.verify import verify_bundle
from tests.unit.ledger.reference_tree import LayeredTree

ORIGIN = "achyk.example.kg/ledger"
LOTS = 1000
CHECKPOINT_EVERY = 256
TITLES = ["Нежилое помещение, 48 м²", "Земельный участок 0,12 га", "Office space, 120 m2", "Гараж, ул. Токтогула"]


def _payload(rng: random.Random, kind: str, lot: int, seq: int) -> dict[str, object]:
    if kind == "lot.created":
        return {
            "title": rng.choice(TITLES),
            "municipality": 1 + lot % 40,
            "start_price": rng.randrange(10_000, 5_000_000),
            "deposit": rng.randrange(1_000, 100_000),
            "ends_at": "2026-09-30T12:00:00.000000Z",
        }
    if kind == "bid.sealed":
        blob = base64.urlsafe_b64encode(rng.randbytes(126)).decode().rstrip("=")
        return {"ciphertext": blob, "round": 1 + seq % 3}
    if kind == "bid.opened":
        return {"amount": rng.randrange(10_000, 9_000_000), "key": rng.randbytes(32).hex(), "round": 1}
    if kind == "deposit.paid":
        return {"amount": rng.randrange(1_000, 100_000), "bank_ref": rng.randbytes(12).hex(), "currency": "KGS"}
    return {"winner": f"b-{rng.randrange(1 << 64):016x}", "amount": rng.randrange(10_000, 9_000_000)}


def _kind(rng: random.Random, seq: int) -> str:
    if seq == 1:
        return "lot.created"
    roll = rng.random()
    if roll < 0.55:
        return "bid.sealed"
    if roll < 0.80:
        return "bid.opened"
    if roll < 0.97:
        return "deposit.paid"
    return "lot.awarded"


def build(entries: int, seed: int = 7) -> tuple[list[bytes], list[str], list[str], list[bytes]]:
    """Honest leaves, checkpoint notes, vkeys and leaf hashes for `entries` entries."""
    rng = random.Random(seed)
    key = Ed25519PrivateKey.generate()
    vkeys = [format_vkey(ORIGIN, key.public_key())]
    next_key: Ed25519PrivateKey | None = None
    heads: dict[int | None, tuple[int, str]] = {}
    leaves: list[bytes] = []
    hashes: list[bytes] = []
    notes: list[str] = []
    tree = CompactRange()
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    integrated_at = at
    prev_leaf = ZERO_HASH
    pending: list[tuple[int, bytes, str]] = []  # (chain order key, body, kind) admitted, not yet integrated
    batch = rng.randrange(1, 257)
    for index in range(entries):
        at += timedelta(microseconds=rng.randrange(1, 50_000))
        lot: int | None
        payload: dict[str, object]
        if index == entries // 2:
            next_key = Ed25519PrivateKey.generate()
            new_vkey = format_vkey(ORIGIN, next_key.public_key())
            lot, kind, payload = None, "key.rotated", {"old_vkey": vkeys[-1], "new_vkey": new_vkey}
            vkeys.append(new_vkey)
        elif index % 5000 == 0:
            lot, kind, payload = None, "platform.notice", {"text": f"maintenance window {index}"}
        else:
            lot = 1 + rng.randrange(LOTS)
            seq = heads.get(lot, (0, ""))[0] + 1
            kind = _kind(rng, seq)
            payload = _payload(rng, kind, lot, seq)
        seq, prev = heads.get(lot, (0, ZERO_HASH))
        actor = "system" if lot is None else f"b-{rng.randrange(1 << 64):016x}"
        body = make_body(kind=kind, lot=lot, lot_seq=seq + 1, prev_body=prev, at=at, actor=actor, payload=payload)
        heads[lot] = (seq + 1, body_hash(body))
        pending.append((0 if lot is None else lot, body, kind))
        if len(pending) < batch and index < entries - 1:
            continue
        # Commit order: each chain's bodies keep their order, chains come in lot order (a stable sort).
        pending.sort(key=lambda item: item[0])
        integrated_at = max(integrated_at, at) + timedelta(microseconds=rng.randrange(1_000, 400_000))
        for _, body, kind in pending:
            leaf = make_leaf(tree.end, prev_leaf, body, integrated_at)
            digest = hash_leaf(leaf)
            prev_leaf = digest.hex()
            leaves.append(leaf)
            hashes.append(digest)
            tree.append(digest)
            if kind == "key.rotated" and next_key is not None:
                key = next_key
            if tree.end % CHECKPOINT_EVERY == 0 or tree.end == entries:
                notes.append(sign_checkpoint(Checkpoint(ORIGIN, tree.end, tree.root()), ORIGIN, key))
        pending.clear()
        batch = rng.randrange(1, 257)
    return leaves, notes, vkeys, hashes


def _lines(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as stream:
        carry = b""
        while chunk := stream.read(4 << 20):
            parts = (carry + chunk).split(b"\n")
            carry = parts.pop()
            yield from parts


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us"


def bench_proofs(hashes: list[bytes], samples: int, rng: random.Random) -> None:
    """Inclusion and consistency proof generation from a layered store at the full tree size."""
    store = LayeredTree()
    for first in range(0, len(hashes), 1 << 16):
        store.append(hashes[first : first + (1 << 16)])
    size = store.size
    root = store.root()
    lookups = 0

    class Counting:
        def node(self, level: int, index: int) -> bytes:
            nonlocal lookups
            lookups += 1
            return store.node(level, index)

    get = layered_subtree_hasher(Counting())
    times: list[float] = []
    for _ in range(samples):
        index = rng.randrange(size)
        start = time.perf_counter()
        proof = inclusion_proof(index, size, get)
        times.append(time.perf_counter() - start)
        verify_inclusion(index, size, hashes[index], proof, root)
    print(f"inclusion proof at size {size}: {_percentiles(times)}, {lookups / samples:.1f} node lookups each")
    lookups = 0
    times = []
    for _ in range(samples):
        old = rng.randrange(1, size)
        start = time.perf_counter()
        proof = consistency_proof(old, size, get)
        times.append(time.perf_counter() - start)
        verify_consistency(old, size, proof, store.root(old), root)
    print(f"consistency proof to size {size}: {_percentiles(times)}, {lookups / samples:.1f} node lookups each")


def _cpu_seconds() -> float:
    """User + system CPU of this process and its waited-for children (the verifier's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _hash_all(path: Path) -> tuple[int, float]:
    """sha256 of every leaf line, one process: the floor any verifier must pay."""
    count = 0
    start = time.perf_counter()
    for line in _lines(path):
        hashlib.sha256(line).digest()
        count += 1
    return count, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=None, help="verifier worker processes (default: up to 2)")
    parser.add_argument("--samples", type=int, default=2000, help="proofs to time of each kind")
    parser.add_argument("--keep", type=Path, default=None, help="write the bundle here and keep it")
    args = parser.parse_args()

    start = time.perf_counter()
    leaves, notes, vkeys, hashes = build(args.entries)
    print(f"build {args.entries} entries: {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bundle"
        write_bundle(path, leaves, notes, vkeys, ORIGIN)
        del leaves  # the verifier's workers fork from this process: keep it small
        gc.collect()
        size_mb = (path / ENTRIES_FILE).stat().st_size / 1e6
        print(f"entries.jsonl: {size_mb:.0f} MB, {size_mb * 1e6 / args.entries:.0f} bytes per leaf")

        cpu_before = _cpu_seconds()
        start = time.perf_counter()
        report = verify_bundle(path, workers=args.workers)
        verify_time = time.perf_counter() - start
        verify_cpu = _cpu_seconds() - cpu_before
        print(report.text())
        assert report.ok, "the honest bundle must verify"
        count, hash_time = _hash_all(path / ENTRIES_FILE)
        assert count == args.entries
    print(f"verify_bundle: {verify_time:.2f} s wall, {verify_cpu:.2f} s CPU (parent + workers)")
    print(
        f"  {args.entries / verify_time:,.0f} entries/s wall, {args.entries / verify_cpu:,.0f} entries per CPU-second"
    )
    print(f"sha256 of the same leaf bytes: {hash_time:.2f} s, {args.entries / hash_time:,.0f} entries/s (1 process)")
    print(f"  verify/sha256 time ratio: {verify_time / hash_time:.1f}")
    bench_proofs(hashes, args.samples, random.Random(11))
    return 0


if __name__ == "__main__":
    sys.exit(main())
