"""The verifier bounds every input: unusable input is exit 2, never 1 (tampering) and never a traceback.

The party under suspicion may hand the inspector the bundle and the files, so each is hostile: a corrupt zip, a
zip bomb of one endless line, `--since /dev/zero`, and thousands of random byte flips of honest inputs.
"""

from __future__ import annotations

import random
import resource
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from auction.ledger.verifier import cli
from auction.ledger.verifier.bundle import (
    CHECKPOINTS_FILE,
    ENTRIES_FILE,
    FORMAT_FILE,
    FORMAT_TEXT,
    ORIGIN_FILE,
    VKEYS_FILE,
)
from auction.ledger.verifier.limits import MAX_ENTRY_BYTES, MAX_ZIP_MEMBERS
from auction.ledger.verifier.merkle import hash_leaf, inclusion_proof
from auction.ledger.verifier.note import Checkpoint, sign_checkpoint
from auction.ledger.verifier.proof_file import build_proof
from auction.ledger.verifier.refusal import Refusal, sign_refusal
from auction.ledger.verifier.state import state_file
from tests.kit.policy import write_policy
from tests.unit.ledger.factory import START, Log, honest_log
from tests.unit.ledger.reference_tree import list_subtree_hasher

ROOT = Path(__file__).resolve().parents[3]
MEMORY_LIMIT = 1 << 30  # the old reader held a whole member (or /dev/zero) in memory and died of it


def _verify_in_subprocess(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [sys.executable, "-m", "auction.ledger.verifier", "--workers", "1", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        preexec_fn=limit_memory,
    )


@dataclass
class Evidence:
    """An honest log's bundle and every other file an inspector may bring, all verifying (exit 0)."""

    log: Log
    zip_bundle: Path
    directory: Path
    policy: Path
    receipt: Path
    proof: Path
    checkpoint: Path
    refusal: Path
    state: Path


def _evidence(tmp: Path) -> Evidence:
    log = honest_log(12)
    body = log.add("bid.placed", 1, {"amount": 99_900, "currency": "KGS", "round": 1}, actor="b-0000000000000009")
    log.checkpoint()
    index = len(log.leaves) - 1
    hashes = [hash_leaf(leaf) for leaf in log.leaves]
    path = inclusion_proof(index, len(hashes), list_subtree_hasher(hashes))
    note = sign_checkpoint(Checkpoint(log.origin, len(hashes), log.tree.root()), log.key_name, log.key)
    refusal = Refusal(log.origin, 1, "bid.place", "ab" * 32, "bid.too_low", START)
    state = tmp / "state"
    state.mkdir()
    state_file(state, log.origin).write_text(log.checkpoints[0], encoding="utf-8")
    files = {
        "receipt": log.receipt(body),
        "proof": build_proof(index, path, note),
        "checkpoint": log.checkpoints[-1],
        "refusal": sign_refusal(refusal, log.key_name, log.key),
    }
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    return Evidence(
        log=log,
        zip_bundle=log.write(tmp / "bundle.zip"),
        directory=log.write(tmp / "bundle"),
        policy=write_policy(tmp / "policy", [log.vkey]),
        receipt=tmp / "receipt",
        proof=tmp / "proof",
        checkpoint=tmp / "checkpoint",
        refusal=tmp / "refusal",
        state=state,
    )


def _all_options(evidence: Evidence, bundle: Path) -> list[str]:
    return [
        str(bundle),
        "--policy",
        str(evidence.policy),
        "--receipt",
        str(evidence.receipt),
        "--receipt",
        str(evidence.proof),
        "--checkpoint",
        str(evidence.checkpoint),
        "--refusal",
        str(evidence.refusal),
        "--state",
        str(evidence.state),
    ]


def _main(argv: list[str]) -> int:
    """The command's integrity checks (the factory's logs are not auctions to replay); an exception fails the test."""
    return cli.main([*argv, "--workers", "1"])


def test_every_input_together_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The fuzzing below starts from inputs that all hold: a mutation is what changes the outcome."""
    evidence = _evidence(tmp_path)
    for bundle in (evidence.zip_bundle, evidence.directory):
        assert _main(_all_options(evidence, bundle)) == 0, capsys.readouterr().out


def test_a_corrupt_zip_is_unusable_not_tampering(tmp_path: Path) -> None:
    evidence = _evidence(tmp_path)
    data = bytearray(evidence.zip_bundle.read_bytes())
    member = zipfile.ZipFile(evidence.zip_bundle).getinfo(ENTRIES_FILE)
    start = member.header_offset + 30 + len(ENTRIES_FILE) + len(member.extra) + 8  # inside the deflate stream
    data[start : start + 40] = bytes(b ^ 0xFF for b in data[start : start + 40])
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bytes(data))
    result = _verify_in_subprocess(str(corrupt), "--policy", str(evidence.policy), cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "ERROR (unusable input): cannot read" in result.stdout


def _deflated_zip(path: Path, members: dict[str, tuple[bytes, int, int, int]]) -> None:
    """A zip written by hand from raw deflate streams: name -> (stream, crc, compressed size, size)."""
    out = bytearray()
    directory = bytearray()
    for name, (stream, crc, compressed, size) in members.items():
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, compressed, size, len(encoded), 0)
        out += encoded + stream
        directory += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            compressed,
            size,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        directory += encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(out), 0)
    path.write_bytes(bytes(out + directory + end))


def _deflated(data: bytes, times: int = 1) -> tuple[bytes, int, int, int]:
    """`data` repeated `times` times as one raw deflate stream, built without compressing it `times` times."""
    once = zlib.compressobj(1, zlib.DEFLATED, -15)
    block = once.compress(data) + once.flush(zlib.Z_FULL_FLUSH)  # byte-aligned and independent of what precedes
    stream = block * times + zlib.compressobj(1, zlib.DEFLATED, -15).flush()
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(data, crc)
    return stream, crc, len(stream), len(data) * times


def test_a_zip_bomb_of_one_endless_line_is_unusable_and_read_no_further_than_a_leaf(tmp_path: Path) -> None:
    """1 GiB of 'a' in 5 MB: the old reader joined it line by line (quadratic) and then ran out of memory."""
    log = honest_log(4)
    members = {
        FORMAT_FILE: _deflated(FORMAT_TEXT.encode()),
        ORIGIN_FILE: _deflated(f"{log.origin}\n".encode()),
        VKEYS_FILE: _deflated(f"{log.vkey}\n".encode()),
        CHECKPOINTS_FILE: _deflated(log.checkpoints[-1].encode() + b"\n"),
        ENTRIES_FILE: _deflated(b"a" * (1 << 20), times=1 << 10),
    }
    bomb = tmp_path / "bomb.zip"
    _deflated_zip(bomb, members)
    with zipfile.ZipFile(bomb) as archive:  # a well-formed zip: the bomb is in what it holds
        assert archive.getinfo(ENTRIES_FILE).file_size == 1 << 30
    result = _verify_in_subprocess(str(bomb), cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr[-2000:])
    assert "line longer than the verifier reads (16 MiB)" in result.stdout
    assert MAX_ENTRY_BYTES == 16 << 20


def test_since_dev_zero_is_unusable(tmp_path: Path) -> None:
    evidence = _evidence(tmp_path)
    result = _verify_in_subprocess(str(evidence.zip_bundle), "--since", "/dev/zero", cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr[-2000:])
    assert "--since /dev/zero is larger than the verifier reads (1 MiB)" in result.stdout


@pytest.mark.parametrize("option", ["--receipt", "--checkpoint", "--policy", "--refusal", "--since", "--key"])
def test_every_input_file_is_read_with_a_ceiling(
    tmp_path: Path, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    evidence = _evidence(tmp_path)
    assert _main([str(evidence.directory), option, "/dev/zero"]) == 2
    assert f"{option} /dev/zero is larger than the verifier reads (1 MiB)" in capsys.readouterr().out


def test_a_state_file_past_the_ceiling_is_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evidence = _evidence(tmp_path)
    remembered = state_file(evidence.state, evidence.log.origin)
    remembered.write_bytes(b"x" * ((1 << 20) + 1))
    assert _main([str(evidence.directory), "--policy", str(evidence.policy), "--state", str(evidence.state)]) == 2
    assert "larger than the verifier reads (1 MiB)" in capsys.readouterr().out


def test_a_zip_of_too_many_members_is_refused_before_it_is_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evidence = _evidence(tmp_path)
    crowded = tmp_path / "crowded.zip"
    shutil.copy(evidence.zip_bundle, crowded)
    with zipfile.ZipFile(crowded, "a") as archive:
        for number in range(MAX_ZIP_MEMBERS):
            archive.writestr(f"extra-{number}", b"")
    assert _main([str(crowded)]) == 2
    assert f"at most {MAX_ZIP_MEMBERS} members" in capsys.readouterr().out


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """Flip, overwrite, insert or delete a few bytes."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(out) or 1)
        match rng.randrange(4):
            case 0 if out:
                out[at] ^= 1 << rng.randrange(8)
            case 1 if out:
                out[at] = rng.randrange(256)
            case 2:
                out[at:at] = bytes([rng.randrange(256)])
            case _:
                del out[at : at + rng.randint(1, 8)]
    return bytes(out)


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


Pick = Callable[[Evidence], Path]
TEXT_INPUTS: dict[str, Pick] = {
    "--receipt": lambda e: e.receipt,
    "--receipt (tlog-proof)": lambda e: e.proof,
    "--checkpoint": lambda e: e.checkpoint,
    "--policy": lambda e: e.policy,
    "--refusal": lambda e: e.refusal,
    "--state": lambda e: state_file(e.state, e.log.origin),
}


@pytest.mark.parametrize("name", list(TEXT_INPUTS))
def test_mutated_input_files_end_in_a_verdict_never_a_crash(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    evidence = _evidence(tmp_path)
    target = TEXT_INPUTS[name](evidence)
    honest = target.read_bytes()
    rng = random.Random(f"verifier-bounds {name}")
    outcomes = set()
    for _ in range(150):
        mutated = _mutate(honest, rng)
        target.write_bytes(mutated)
        code = _main(_all_options(evidence, evidence.directory))
        out = capsys.readouterr().out
        assert code in {0, 1, 2}, out
        if not _decodes(mutated):
            assert code == 2, out
            assert "ERROR (unusable input)" in out
        outcomes.add(code)
    target.write_bytes(honest)
    assert 2 in outcomes


@pytest.mark.parametrize("member", ["zip", FORMAT_FILE, ORIGIN_FILE, VKEYS_FILE, CHECKPOINTS_FILE, ENTRIES_FILE])
def test_mutated_bundles_end_in_a_verdict_never_a_crash(
    tmp_path: Path, member: str, capsys: pytest.CaptureFixture[str]
) -> None:
    evidence = _evidence(tmp_path)
    target = evidence.zip_bundle if member == "zip" else evidence.directory / member
    honest = target.read_bytes()
    rng = random.Random(f"verifier-bounds {member}")
    bundle = evidence.zip_bundle if member == "zip" else evidence.directory
    for _ in range(120):
        mutated = _mutate(honest, rng)
        target.write_bytes(mutated)
        code = _main([str(bundle), "--policy", str(evidence.policy)])
        out = capsys.readouterr().out
        assert code in {0, 1, 2}, out
        if member in {FORMAT_FILE, ORIGIN_FILE, VKEYS_FILE, CHECKPOINTS_FILE} and not _decodes(mutated):
            assert code == 2, out
    target.write_bytes(honest)
