"""Export bundles: layout, checkpoint framing, zip and directory forms, streaming."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from auction.ledger.verifier.bundle import (
    FORMAT_TEXT,
    BundleError,
    CheckpointFramingError,
    join_checkpoints,
    read_bundle,
    split_checkpoints,
    write_bundle,
)
from tests.unit.ledger.factory import ORIGIN, honest_log


def test_directory_bundle_round_trip(tmp_path: Path) -> None:
    log = honest_log(30)
    log.write(tmp_path / "b")
    assert (tmp_path / "b" / "FORMAT").read_text() == FORMAT_TEXT
    assert (tmp_path / "b" / "entries.jsonl").read_bytes() == b"".join(leaf + b"\n" for leaf in log.leaves)
    with read_bundle(tmp_path / "b") as bundle:
        assert bundle.origin == ORIGIN
        assert bundle.vkeys == log.vkeys
        assert bundle.checkpoints() == log.checkpoints
        assert list(bundle.entries()) == log.leaves
        assert b"".join(bundle.blocks(100)) == (tmp_path / "b" / "entries.jsonl").read_bytes()
        assert all(block.endswith(b"\n") for block in bundle.blocks(100))
        location = bundle.entries_location()
        assert location is not None
        assert location[1:] == (0, (tmp_path / "b" / "entries.jsonl").stat().st_size)


def test_zip_bundle_round_trip(tmp_path: Path) -> None:
    log = honest_log(30)
    log.write(tmp_path / "b.zip")
    with read_bundle(tmp_path / "b.zip") as bundle:
        assert bundle.checkpoints() == log.checkpoints
        assert list(bundle.entries()) == log.leaves
        assert bundle.entries_location() is None  # deflated: must be streamed


def test_stored_zip_entries_can_be_read_in_place(tmp_path: Path) -> None:
    log = honest_log(30)
    log.write(tmp_path / "dir")
    with zipfile.ZipFile(tmp_path / "b.zip", "w", compression=zipfile.ZIP_STORED) as archive:
        for name in ["FORMAT", "origin.txt", "vkeys.txt", "checkpoints.txt", "entries.jsonl"]:
            archive.write(tmp_path / "dir" / name, name)
    with read_bundle(tmp_path / "b.zip") as bundle:
        location = bundle.entries_location()
        assert location is not None
        path, offset, length = location
        with open(path, "rb") as raw:
            raw.seek(offset)
            assert raw.read(length) == (tmp_path / "dir" / "entries.jsonl").read_bytes()


def test_checkpoint_framing() -> None:
    log = honest_log(20)
    text = join_checkpoints(log.checkpoints)
    assert text == "".join(note + "\n" for note in log.checkpoints)
    assert split_checkpoints(text) == log.checkpoints
    assert split_checkpoints("") == []
    with pytest.raises(CheckpointFramingError, match="not followed by an empty line") as caught:
        split_checkpoints(text[:-1])
    assert caught.value.position == len(log.checkpoints) - 1
    with pytest.raises(CheckpointFramingError, match="no signature lines"):
        split_checkpoints("o\n1\nroot\n\n\n")
    with pytest.raises(CheckpointFramingError, match="empty line where a checkpoint should start"):
        split_checkpoints("\n" + text)
    with pytest.raises(ValueError, match=r"non-empty lines"):
        join_checkpoints(["o\n\n1\nr\n\n— k AAAAAAA=\n"])


def test_missing_and_wrong_files(tmp_path: Path) -> None:
    log = honest_log(5)
    log.write(tmp_path / "b")
    (tmp_path / "b" / "vkeys.txt").unlink()
    with pytest.raises(BundleError, match=r"vkeys\.txt is missing"):
        read_bundle(tmp_path / "b")
    log.write(tmp_path / "c")
    (tmp_path / "c" / "FORMAT").write_text("achyk-ledger-bundle/2\n")
    with pytest.raises(BundleError, match="FORMAT"):
        read_bundle(tmp_path / "c")
    with pytest.raises(BundleError, match="neither"):
        read_bundle(tmp_path / "nothing-here")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(BundleError):
        read_bundle(tmp_path / "bad.zip")


def test_unterminated_entries_are_refused_when_streamed(tmp_path: Path) -> None:
    log = honest_log(5)
    log.write(tmp_path / "b")
    entries = tmp_path / "b" / "entries.jsonl"
    entries.write_bytes(entries.read_bytes()[:-1])
    with read_bundle(tmp_path / "b") as bundle, pytest.raises(BundleError, match="newline"):
        list(bundle.entries())


def test_write_refuses_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="newline"):
        write_bundle(tmp_path / "a", [b"{}\n{}"], [], ["k"], ORIGIN)
    with pytest.raises(ValueError, match="origin"):
        write_bundle(tmp_path / "b", [], [], ["k"], "two\nlines")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x").write_text("x")
    with pytest.raises(FileExistsError):
        write_bundle(tmp_path / "c", [], [], ["k"], ORIGIN)
