"""Ledger (issue 14, target 5): offline verification against sha256 over the same bytes, and the proof endpoints
of a PostgreSQL ledger of 1,000,000 entries against the same node lookups sent directly with asyncpg.

(a) An honest bundle (bench/verify_bundle.py's generator: ~300-byte bodies over ~1000 lots, a checkpoint every 256
    entries, a key rotation halfway) is verified by the command an inspector runs, ``python -m
    auction.ledger.verifier BUNDLE --key VKEY --json`` (every integrity check over both cores), timed from the
    outside; the baseline is hashlib.sha256 over every leaf line of the same file in this process.
(b) The ledger tables are bulk-loaded in SQL (generate_series; sha256 in the server; each tree level from the one
    below it), checkpoints every 4096 entries and at the end are signed with the served site's log key, then the
    real ``auction serve`` answers inclusion and consistency proofs over HTTP; each answer is verified against its
    signed checkpoint. The baseline sends the handler's two statements straight to PostgreSQL with asyncpg.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from auction.ledger.integrator import signed_checkpoint
from auction.ledger.verifier.bundle import ENTRIES_FILE, write_bundle
from auction.ledger.verifier.merkle import (
    consistency_proof,
    decompose,
    fold_right,
    inclusion_proof,
    layered_subtree_hasher,
    verify_consistency,
    verify_inclusion,
)
from auction.ledger.verifier.note import Checkpoint
from bench.kit import BenchContext, Measurement, load_average, median, percentile, raw_url
from tests.kit.site import site_ledger_keys, start_site

NAME = "ledger"
ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT_EVERY = 4096  # a multiple of 2^12: the root of such a size is folded from nodes of level >= 12


# --- (a) verification -------------------------------------------------------------------------------------


def _sha256_lines(path: Path) -> tuple[int, float]:
    """sha256 of every leaf line of entries.jsonl, one process: the floor any verifier pays."""
    count = 0
    start = time.perf_counter()
    with open(path, "rb") as stream:
        carry = b""
        while chunk := stream.read(4 << 20):
            parts = (carry + chunk).split(b"\n")
            carry = parts.pop()
            for line in parts:
                hashlib.sha256(line).digest()
            count += len(parts)
    return count, time.perf_counter() - start


def _bundle(entries: int, workdir: Path) -> tuple[Path, str]:
    """bench/verify_bundle.py's honest bundle of `entries` entries, kept in the workdir: building it takes far longer
    than verifying it (every body is made and checked through the reference encoder), so later runs reuse it."""
    from bench.verify_bundle import ORIGIN, build

    path = workdir / f"ledger-bundle-{entries}"
    vkey_file = workdir / f"ledger-bundle-{entries}.vkey"
    if not vkey_file.exists():
        leaves, notes, vkeys, _ = build(entries)
        if path.exists():
            shutil.rmtree(path)
        write_bundle(path, leaves, notes, vkeys, ORIGIN)
        vkey_file.write_text(vkeys[0])
    return path, vkey_file.read_text()


def _verify_command(bundle: Path, vkey: str) -> tuple[float, dict[str, Any]]:
    """The inspector's command, timed from outside: every integrity check over both cores, then the replay."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "auction.ledger.verifier", str(bundle), "--key", vkey, "--json"],
        capture_output=True,
        check=False,
        cwd=ROOT,
    )
    elapsed = time.perf_counter() - start
    report: dict[str, Any] = json.loads(done.stdout)
    return elapsed, report


def _verify_integrity(bundle: Path, vkey: str) -> tuple[float, bool]:
    """verify_bundle without the replay, in a fresh process (as bench/verify_bundle.py measured it for the issue)."""
    code = (
        "import sys, time; from auction.ledger.verifier.verify import verify_bundle; t = time.perf_counter(); "
        "r = verify_bundle(sys.argv[1], key=sys.argv[2]); print(time.perf_counter() - t, r.ok)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(bundle), vkey], capture_output=True, check=True, cwd=ROOT, text=True
    )
    elapsed, ok = done.stdout.split()
    return float(elapsed), ok == "True"


async def _verification(ctx: BenchContext) -> list[Measurement]:
    entries = 50_000 if ctx.quick else 1_000_000
    bundle, vkey = await asyncio.to_thread(_bundle, entries, ctx.workdir)
    gc.collect()
    count, sha_s = await asyncio.to_thread(_sha256_lines, bundle / ENTRIES_FILE)
    verify_s, report = await asyncio.to_thread(_verify_command, bundle, vkey)
    integrity_s, integrity_ok = await asyncio.to_thread(_verify_integrity, bundle, vkey)
    size = (bundle / ENTRIES_FILE).stat().st_size
    assert count == entries
    assert integrity_ok, "the honest bundle must verify"
    baseline = "sha256 over the same leaf bytes, 1 process"
    return [
        Measurement(
            NAME,
            f"verify {entries:,} entries: python -m auction.ledger.verifier (checks + replay)",
            "s",
            verify_s,
            sha_s,
            baseline,
            at_most=3,
            details={
                "entries": entries,
                "bytes": size,
                # The generated bodies are of kinds the auction replay does not know: it names the first body of
                # every lot (exit 1) and passes over the rest of that lot, after reading every leaf.
                "exit_code": report.get("exit_code"),
                "failure": report.get("failure"),
                "entries_per_s": entries / verify_s,
                "load_average": load_average(),
            },
        ),
        Measurement(
            NAME,
            f"verify {entries:,} entries: integrity checks only (verify_bundle, both cores)",
            "s",
            integrity_s,
            sha_s,
            baseline,
            at_most=3,
            details={"entries_per_s": entries / integrity_s, "load_average": load_average()},
        ),
    ]


# --- (b) proofs over HTTP ---------------------------------------------------------------------------------

LOAD_ENTRIES = """
INSERT INTO ledger_entries (idx, chain_key, lot_seq, kind, body_hash, leaf, leaf_hash, admitted_at, integrated_at)
SELECT i, 1 + i % 1000, 1 + i / 1000, 'bid.placed', encode(sha256(int8send(i)), 'hex'), leaf,
       sha256('\\x00'::bytea || leaf), $2::timestamptz + i * interval '1 millisecond',
       $2::timestamptz + i * interval '1 millisecond'
FROM generate_series(0, $1::bigint - 1) AS i,
     LATERAL (SELECT convert_to(format(
        '{"body":{"actor":"bidder:b-%s","at":"x","kind":"bid.placed","lot":%s,"lot_seq":%s,"payload":'
        '{"amount":%s},"prev_body":"%s","v":1},"index":%s,"v":1}',
        lpad(to_hex(i), 16, '0'), 1 + i % 1000, 1 + i / 1000, 100000 + i, repeat('0', 64), i), 'UTF8') AS leaf) AS l
"""
LOAD_LEAF_NODES = "INSERT INTO ledger_tree_nodes (level, position, hash) SELECT 0, idx, leaf_hash FROM ledger_entries"
LOAD_LEVEL = """
INSERT INTO ledger_tree_nodes (level, position, hash)
SELECT $1::int, l.position / 2, sha256('\\x01'::bytea || l.hash || r.hash)
FROM ledger_tree_nodes l JOIN ledger_tree_nodes r ON r.level = l.level AND r.position = l.position + 1
WHERE l.level = $1::int - 1 AND l.position % 2 = 0
"""
CHECKPOINT_SQL = """
SELECT c.size, c.root, c.note, w.checkpoint_id, s.line FROM ledger_checkpoints c
LEFT JOIN ledger_witnessed w ON w.checkpoint_id = c.id LEFT JOIN ledger_cosignatures s ON s.checkpoint_id = c.id
WHERE c.id = (SELECT id FROM ledger_checkpoints WHERE size = $1 ORDER BY id LIMIT 1) ORDER BY s.id
"""
LATEST_SQL = "SELECT size, root FROM ledger_checkpoints ORDER BY id DESC LIMIT 1"
NODES_SQL = """
SELECT n.level, n.position, n.hash FROM ledger_tree_nodes AS n
JOIN unnest($1::bigint[], $2::bigint[]) AS w(level, position) ON n.level = w.level AND n.position = w.position
"""


async def _load_ledger(url: str, entries: int, data_dir: Path) -> tuple[list[int], dict[int, bytes]]:
    """Fill the ledger tables with `entries` leaves, their tree and signed checkpoints; returns (sizes, roots)."""
    connection = await asyncpg.connect(raw_url(url))
    try:
        start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        await connection.execute(LOAD_ENTRIES, entries, start)
        await connection.execute(LOAD_LEAF_NODES)
        level = 1
        while (1 << level) <= entries:
            await connection.execute(LOAD_LEVEL, level)
            level += 1
        await connection.execute("ANALYZE ledger_entries; ANALYZE ledger_tree_nodes")
        rows = await connection.fetch(
            "SELECT level, position, hash FROM ledger_tree_nodes WHERE level >= $1", min_level(entries)
        )
        nodes = {(row["level"], row["position"]): bytes(row["hash"]) for row in rows}
        sizes = sorted({*range(CHECKPOINT_EVERY, entries + 1, CHECKPOINT_EVERY), entries})
        roots = {size: fold_right([nodes[node] for node in decompose(0, size)]) for size in sizes}
        keys = site_ledger_keys(data_dir)
        signed_at = datetime.now(UTC)
        records = []
        for size in sizes:
            checkpoint = signed_checkpoint(keys, size, roots[size], signed_at)
            records.append((size, checkpoint.root, checkpoint.note, checkpoint.key_name, signed_at))
        await connection.copy_records_to_table(
            "ledger_checkpoints", records=records, columns=["size", "root", "note", "key_name", "signed_at"]
        )
        last = await connection.fetchval("SELECT leaf_hash FROM ledger_entries WHERE idx = $1", entries - 1)
        edge = [nodes[node].hex() for node in decompose(0, entries)]
        await connection.execute(
            "UPDATE ledger_tree_state SET size = $1, right_edge = $2, root = $3, last_leaf_hash = $4, "
            "last_integrated_at = $5",
            entries,
            json.dumps(edge),
            roots[entries].hex(),
            bytes(last).hex(),
            start,
        )
        return sizes, roots
    finally:
        await connection.close()


def min_level(entries: int) -> int:
    """The lowest level any checkpoint size's decomposition needs (the final size may be any number)."""
    return min((entries & -entries).bit_length() - 1, 12)


class _Lookups:
    """The node store a proof needs, as (levels, positions) arrays for one `= ANY`-style lookup."""

    def __init__(self) -> None:
        self.wanted: set[tuple[int, int]] = set()

    def node(self, level: int, index: int) -> bytes:
        self.wanted.add((level, index))
        return bytes(32)


def _wanted_inclusion(index: int, size: int) -> list[tuple[int, int]]:
    lookups = _Lookups()
    inclusion_proof(index, size, layered_subtree_hasher(lookups))
    return sorted({*lookups.wanted, (0, index)})


def _wanted_consistency(size1: int, size2: int) -> list[tuple[int, int]]:
    lookups = _Lookups()
    consistency_proof(size1, size2, layered_subtree_hasher(lookups))
    return sorted(lookups.wanted)


async def _direct(url: str, asks: list[tuple[str, int, int]]) -> dict[str, list[float]]:
    """The baseline: each proof's two statements (its checkpoint, or the latest one; its nodes) sent straight with
    asyncpg, as the handler sends them (the same SQL)."""
    connection = await asyncpg.connect(raw_url(url))
    times: dict[str, list[float]] = {"inclusion": [], "consistency": []}
    try:
        checkpoint = await connection.prepare(CHECKPOINT_SQL)
        latest = await connection.prepare(LATEST_SQL)
        nodes = await connection.prepare(NODES_SQL)
        for what, a, b in asks:
            wanted = _wanted_inclusion(a, b) if what == "inclusion" else _wanted_consistency(a, b)
            started = time.perf_counter()
            await (checkpoint.fetch(b) if what == "inclusion" else latest.fetch())
            await nodes.fetch([level for level, _ in wanted], [position for _, position in wanted])
            times[what].append(time.perf_counter() - started)
    finally:
        await connection.close()
    return times


async def _over_http(site_url: str, asks: list[tuple[str, int, int]], roots: dict[int, bytes]) -> dict[str, Any]:
    """Each proof asked of the server, one at a time on a keep-alive connection, and verified."""
    times: dict[str, list[float]] = {"inclusion": [], "consistency": []}
    immutable = 0
    async with httpx.AsyncClient(base_url=site_url, timeout=30) as client:
        for what, a, b in asks:
            params = {"index": a, "size": b} if what == "inclusion" else {"size1": a, "size2": b}
            started = time.perf_counter()
            response = await client.get(f"/api/v1/ledger/proof/{what}", params=params)
            times[what].append(time.perf_counter() - started)
            response.raise_for_status()
            body = response.json()
            path = [base64.b64decode(h) for h in body["path"]]
            immutable += "immutable" in response.headers.get("cache-control", "")
            if what == "inclusion":
                assert Checkpoint.from_note(body["checkpoint"]).root == roots[b]
                verify_inclusion(a, b, base64.b64decode(body["leaf_hash"]), path, roots[b])
            else:
                verify_consistency(a, b, path, roots[a], roots[b])
    return {"times": times, "immutable": immutable}


def _asks(sizes: list[int], count: int, rng: random.Random) -> list[tuple[str, int, int]]:
    """Proofs a crowd of inspectors would ask for: distinct, so no answer comes from the server's cache."""
    asks: list[tuple[str, int, int]] = []
    for _ in range(count):
        size = rng.choice(sizes[len(sizes) // 2 :])
        asks.append(("inclusion", rng.randrange(size), size))
        old = rng.choice([s for s in sizes if s < size] or [size])
        asks.append(("consistency", old, size))
    return asks


async def _proofs(ctx: BenchContext) -> list[Measurement]:
    entries = 100_000 if ctx.quick else 1_000_000
    samples = 200 if ctx.quick else 1000
    rng = random.Random(14)
    measurements = []
    async with ctx.database("ledger") as url:
        with tempfile.TemporaryDirectory(dir=ctx.workdir) as tmp:
            folder = Path(tmp)
            started = time.perf_counter()
            sizes, roots = await _load_ledger(url, entries, folder / "data")
            load_s = time.perf_counter() - started
            asks = _asks(sizes, samples, rng)
            site = await asyncio.to_thread(start_site, url, folder, {"ACHYK_RUN_BACKGROUND_JOBS": "false"})
            try:
                await _over_http(site.url, asks[:20], roots)  # warm-up: connections, statement caches
                served = await _over_http(site.url, asks, roots)
            finally:
                site.stop()
            direct = await _direct(url, asks)
    for what in ("inclusion", "consistency"):
        achyk, raw = served["times"][what], direct[what]
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            measurements.append(
                Measurement(
                    NAME,
                    f"{what} proof {name} over HTTP at {entries:,} entries",
                    "ms",
                    percentile(achyk, q) * 1000,
                    percentile(raw, q) * 1000,
                    "the same checkpoint + node lookup SQL via asyncpg",
                    absolute_at_most=5 if name == "p99" else None,
                    details={
                        "samples": len(achyk),
                        "median_ms": median(achyk) * 1000,
                        "immutable_responses": served["immutable"],
                        "load_seconds": load_s,
                        "load_average": load_average(),
                    },
                )
            )
    return measurements


async def run(ctx: BenchContext) -> list[Measurement]:
    return [*await _proofs(ctx), *await _verification(ctx)]
