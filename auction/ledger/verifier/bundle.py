"""Ledger export bundles: a directory, or a .zip with the same files at its top level.

    FORMAT            "achyk-ledger-bundle/1\\n"
    origin.txt        the log origin, one line
    vkeys.txt         every verifier key that ever signed, oldest first, one per line
    checkpoints.txt   every signed checkpoint note, oldest first, each followed by one empty line
    entries.jsonl     each leaf's exact canonical bytes followed by "\\n", in index order

checkpoints.txt framing: a checkpoint note's text lines are non-empty (tlog-checkpoint) and its signature
lines are non-empty, so the only empty line inside a note is the one before its signatures. A reader
therefore ends a note at the second empty line it meets; a file that stops elsewhere is truncated.

Every file has a ceiling (`limits`), checked before it is read whole; a bundle past one, or one whose zip cannot be
decoded, is unusable (BundleError, exit 2).

Standard library only; the inspector runs this without the platform installed.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from auction.ledger.verifier.limits import (
    MAX_CHECKPOINTS_BYTES,
    MAX_ENTRIES_BYTES,
    MAX_ENTRY_BYTES,
    MAX_FORMAT_BYTES,
    MAX_ORIGIN_BYTES,
    MAX_VKEYS_BYTES,
    MAX_ZIP_DIRECTORY_BYTES,
    MAX_ZIP_MEMBERS,
    InputTooLarge,
    read_capped,
    size_text,
    zip_directory,
)

FORMAT_TEXT = "achyk-ledger-bundle/1\n"
FORMAT_FILE = "FORMAT"
ORIGIN_FILE = "origin.txt"
VKEYS_FILE = "vkeys.txt"
CHECKPOINTS_FILE = "checkpoints.txt"
ENTRIES_FILE = "entries.jsonl"
REQUIRED_FILES = (FORMAT_FILE, ORIGIN_FILE, VKEYS_FILE, CHECKPOINTS_FILE, ENTRIES_FILE)
SMALL_FILE_LIMITS = {
    FORMAT_FILE: MAX_FORMAT_BYTES,
    ORIGIN_FILE: MAX_ORIGIN_BYTES,
    VKEYS_FILE: MAX_VKEYS_BYTES,
    CHECKPOINTS_FILE: MAX_CHECKPOINTS_BYTES,
}
# What reading a damaged zip member can raise: a bad CRC or header, a broken deflate stream, a truncated one, an
# unsupported method or an encrypted member.
ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError)
DEFAULT_BLOCK_SIZE = 8 << 20
_ZIP_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")


class BundleError(Exception):
    """The bundle cannot be used: missing or unreadable files, wrong format marker, bad framing."""


class CheckpointFramingError(ValueError):
    """checkpoints.txt does not split into notes; `position` is the 0-based note where it breaks."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"checkpoint {position}: {reason}")
        self.position = position
        self.reason = reason


def join_checkpoints(notes: Iterable[str]) -> str:
    """checkpoints.txt content for signed checkpoint notes."""
    out = []
    for i, note in enumerate(notes):
        if not note.endswith("\n") or note.count("\n\n") != 1 or note.startswith("\n"):
            raise ValueError(f"checkpoint {i} is not a signed checkpoint note with non-empty lines")
        out.append(note + "\n")
    return "".join(out)


def split_checkpoints(text: str) -> list[str]:
    """The signed notes in checkpoints.txt content; raises CheckpointFramingError."""
    notes: list[str] = []
    current: list[str] = []
    empties = 0
    if text and not text.endswith("\n"):
        raise CheckpointFramingError(text.count("\n\n") // 2, "checkpoints.txt does not end with a newline")
    for line in text.split("\n")[:-1] if text else []:
        if line:
            current.append(line)
            continue
        empties += 1
        if empties == 1:
            if not current:
                raise CheckpointFramingError(len(notes), "empty line where a checkpoint should start")
            current.append("")
        else:
            if current[-1] == "":
                raise CheckpointFramingError(len(notes), "note has no signature lines")
            notes.append("\n".join(current) + "\n")
            current, empties = [], 0
    if current:
        raise CheckpointFramingError(len(notes), "last checkpoint is not followed by an empty line")
    return notes


def _check_line(value: str, what: str) -> None:
    if not value or "\n" in value or "\r" in value:
        raise ValueError(f"{what} must be one non-empty line")


def write_bundle(
    path: str | os.PathLike[str],
    leaves: Iterable[bytes],
    checkpoints: Iterable[str],
    vkeys: Iterable[str],
    origin: str,
) -> int:
    """Write a bundle: a .zip if `path` ends in .zip, else a new or empty directory; returns the entry count."""
    _check_line(origin, "origin")
    vkey_list = list(vkeys)
    for vkey in vkey_list:
        _check_line(vkey, "vkey")
    small = {
        FORMAT_FILE: FORMAT_TEXT,
        ORIGIN_FILE: origin + "\n",
        VKEYS_FILE: "".join(v + "\n" for v in vkey_list),
        CHECKPOINTS_FILE: join_checkpoints(checkpoints),
    }
    target = Path(path)
    if target.suffix == ".zip":
        with zipfile.ZipFile(target, "x", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, content in small.items():
                archive.writestr(name, content.encode("utf-8"))
            with archive.open(ENTRIES_FILE, "w", force_zip64=True) as out:
                return _write_entries(out, leaves)
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty")
    for name, content in small.items():
        (target / name).write_text(content, encoding="utf-8", newline="")
    with open(target / ENTRIES_FILE, "wb") as out:
        return _write_entries(out, leaves)


def _write_entries(out: IO[bytes], leaves: Iterable[bytes]) -> int:
    count = 0
    buffer: list[bytes] = []
    for leaf in leaves:
        if not leaf or b"\n" in leaf:
            raise ValueError(f"leaf {count} is empty or contains a newline")
        if len(leaf) >= MAX_ENTRY_BYTES:
            raise ValueError(f"leaf {count} is longer than a verifier reads ({size_text(MAX_ENTRY_BYTES)})")
        buffer.append(leaf)
        count += 1
        if len(buffer) >= 4096:
            out.write(b"\n".join(buffer) + b"\n")
            buffer.clear()
    if buffer:
        out.write(b"\n".join(buffer) + b"\n")
    return count


def bundle_head(origin: str, vkeys: Iterable[str]) -> list[tuple[str, bytes]]:
    """The bundle's first three files, checked: FORMAT, origin.txt, vkeys.txt."""
    _check_line(origin, "origin")
    vkey_list = list(vkeys)
    for vkey in vkey_list:
        _check_line(vkey, "vkey")
    return [
        (FORMAT_FILE, FORMAT_TEXT.encode()),
        (ORIGIN_FILE, (origin + "\n").encode()),
        (VKEYS_FILE, "".join(v + "\n" for v in vkey_list).encode()),
    ]


def checkpoints_piece(notes: Iterable[str], first: int) -> bytes:
    """A run of checkpoints.txt for the notes numbered from `first` (for the error message)."""
    try:
        return join_checkpoints(notes).encode()
    except ValueError as exc:
        raise ValueError(f"{exc} (counting from {first})") from None


def entries_piece(leaves: Iterable[bytes], first: int) -> bytes:
    """A run of entries.jsonl for the leaves indexed from `first`."""
    buffer: list[bytes] = []
    for offset, leaf in enumerate(leaves):
        if not leaf or b"\n" in leaf:
            raise ValueError(f"leaf {first + offset} is empty or contains a newline")
        if len(leaf) >= MAX_ENTRY_BYTES:
            raise ValueError(f"leaf {first + offset} is longer than a verifier reads ({size_text(MAX_ENTRY_BYTES)})")
        buffer.append(leaf)
    return b"".join(line + b"\n" for line in buffer)


class _Sink:
    """Where a streamed zip lands: bytes kept until taken. No tell() or seek(), so zipfile writes data descriptors."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the bytes wait in memory until `take`."""

    def close(self) -> None:
        """Nothing to release."""

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


class ZipStream:
    """A .zip bundle made piece by piece, for a download that starts before the ledger is read to its end.

    Give `add(name, piece)` the bundle's files in order (each file's pieces one after another); each call returns
    the zip bytes ready so far, and `close()` the rest. The same files, in the same order, as `write_bundle`'s zip;
    each member carries its sizes in a data descriptor after its data (the zip cannot seek back to its header).
    """

    def __init__(self) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED)
        self._name: str | None = None
        self._member: IO[bytes] | None = None

    def add(self, name: str, piece: bytes) -> bytes:
        """Append `piece` to file `name` (a new member when the name changes); returns the zip bytes made."""
        if name != self._name:
            if self._member is not None:
                self._member.close()
            self._member = self._zip.open(name, "w", force_zip64=name == ENTRIES_FILE)
            self._name = name
        assert self._member is not None
        self._member.write(piece)
        return self._sink.take()

    def close(self) -> bytes:
        """Close the last member and write the central directory; returns the last bytes."""
        if self._member is not None:
            self._member.close()
            self._member = None
        self._zip.close()
        return self._sink.take()


class Bundle:
    """An open bundle: small files read eagerly, entries streamed."""

    def __init__(
        self, path: Path, origin: str, vkeys: list[str], checkpoints: str, archive: zipfile.ZipFile | None
    ) -> None:
        self.path = path
        self.origin = origin
        self.vkeys = vkeys
        self.checkpoints_text = checkpoints
        self._archive = archive

    def checkpoints(self) -> list[str]:
        """The signed checkpoint notes, oldest first; raises CheckpointFramingError."""
        return split_checkpoints(self.checkpoints_text)

    def _open_entries(self) -> IO[bytes]:
        if self._archive is not None:
            return self._archive.open(ENTRIES_FILE)
        return open(self.path / ENTRIES_FILE, "rb")

    def entries_location(self) -> tuple[str, int, int] | None:
        """(file, offset, length) of entries.jsonl's raw bytes when they can be read in place, else None."""
        if self._archive is None:
            file = self.path / ENTRIES_FILE
            return str(file), 0, file.stat().st_size
        info = self._archive.getinfo(ENTRIES_FILE)
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            return None
        with open(self.path, "rb") as raw:
            raw.seek(info.header_offset)
            header = raw.read(_ZIP_LOCAL_HEADER.size)
        fields = _ZIP_LOCAL_HEADER.unpack(header)
        if fields[0] != b"PK\x03\x04":
            return None
        offset = info.header_offset + _ZIP_LOCAL_HEADER.size + fields[9] + fields[10]
        return str(self.path), offset, info.file_size

    def blocks(self, block_size: int = DEFAULT_BLOCK_SIZE) -> Iterator[bytes]:
        """entries.jsonl as chunks of whole lines; a last line without newline comes alone, unterminated.

        Linear in the file's size: a line that spans reads is gathered as a list of parts, never by concatenating
        again on each read. Raises BundleError for a line (with its newline) longer than MAX_ENTRY_BYTES, a file
        longer than MAX_ENTRIES_BYTES, or a zip member that does not decode.
        """
        try:
            with self._open_entries() as stream:
                yield from _whole_lines(stream, block_size)
        except ZIP_READ_ERRORS as exc:
            raise BundleError(f"cannot read {ENTRIES_FILE} from {self.path}: {exc}") from None

    def entries(self) -> Iterator[bytes]:
        """Each leaf's bytes, in file order; raises BundleError if the last line lacks its newline."""
        for block in self.blocks():
            lines = block.split(b"\n")
            if lines[-1]:
                raise BundleError("entries.jsonl does not end with a newline")
            yield from lines[:-1]

    def close(self) -> None:
        """Release the zip file, if any."""
        if self._archive is not None:
            self._archive.close()

    def __enter__(self) -> Bundle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _whole_lines(stream: IO[bytes], block_size: int) -> Iterator[bytes]:
    carry: list[bytes] = []  # the parts of the line still open at the end of the last read
    carried = 0
    total = 0
    while True:
        chunk = stream.read(block_size)
        if not chunk:
            break
        total += len(chunk)
        if total > MAX_ENTRIES_BYTES:
            raise BundleError(f"{ENTRIES_FILE} is larger than the verifier reads ({size_text(MAX_ENTRIES_BYTES)})")
        first = chunk.find(b"\n")
        if first < 0:
            carry.append(chunk)
            carried += len(chunk)
            _check_line_length(carried)
            continue
        _check_line_length(carried + first + 1)
        cut = chunk.rfind(b"\n") + 1
        yield b"".join([*carry, chunk[:cut]]) if carry else chunk[:cut]
        carry = [chunk[cut:]] if cut < len(chunk) else []
        carried = len(chunk) - cut
        _check_line_length(carried)
    if carry:
        yield b"".join(carry)


def _check_line_length(length: int) -> None:
    if length > MAX_ENTRY_BYTES:
        raise BundleError(
            f"{ENTRIES_FILE} has a line longer than the verifier reads ({size_text(MAX_ENTRY_BYTES)}): no ledger "
            "entry is that long"
        )


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{name} is not UTF-8") from None


def _lines(name: str, text: str) -> list[str]:
    if not text.endswith("\n"):
        raise BundleError(f"{name} must end with a newline")
    lines = text[:-1].split("\n")
    if any(not line or "\r" in line for line in lines):
        raise BundleError(f"{name} has an empty line or a carriage return")
    return lines


def _read_directory(root: Path) -> dict[str, str]:
    for name in REQUIRED_FILES:
        if not (root / name).is_file():
            raise BundleError(f"{name} is missing from {root}")
    try:
        return {name: _decode(name, read_capped(root / name, limit, name)) for name, limit in SMALL_FILE_LIMITS.items()}
    except InputTooLarge as exc:
        raise BundleError(str(exc)) from None


def _open_zip(root: Path) -> zipfile.ZipFile:
    """Open a zip whose central directory is small enough to read, with at most MAX_ZIP_MEMBERS members."""
    try:
        count, directory_size = zip_directory(root)
    except ValueError as exc:
        raise BundleError(f"{root} is not a readable zip file: {exc}") from None
    if directory_size > MAX_ZIP_DIRECTORY_BYTES or count > MAX_ZIP_MEMBERS:
        raise BundleError(
            f"{root} lists {count} members in a {directory_size}-byte directory; a bundle has {len(REQUIRED_FILES)} "
            f"(the verifier reads at most {MAX_ZIP_MEMBERS} members, {size_text(MAX_ZIP_DIRECTORY_BYTES)} of directory)"
        )
    archive = zipfile.ZipFile(root)
    if len(archive.infolist()) > MAX_ZIP_MEMBERS:
        archive.close()
        raise BundleError(f"{root} has more than {MAX_ZIP_MEMBERS} members")
    return archive


def _read_zip(archive: zipfile.ZipFile, root: Path) -> dict[str, str]:
    names = set(archive.namelist())
    for name in REQUIRED_FILES:
        if name not in names:
            raise BundleError(f"{name} is missing from {root}")
    entries = archive.getinfo(ENTRIES_FILE)
    if entries.file_size > MAX_ENTRIES_BYTES:
        raise BundleError(f"{ENTRIES_FILE} is larger than the verifier reads ({size_text(MAX_ENTRIES_BYTES)})")
    small = {}
    for name, limit in SMALL_FILE_LIMITS.items():
        # The declared size is checked first; the read is capped too, since the declaration is the zip's own word.
        if archive.getinfo(name).file_size > limit:
            raise BundleError(f"{name} is larger than the verifier reads ({size_text(limit)})")
        with archive.open(name) as member:
            data = member.read(limit + 1)
        if len(data) > limit:
            raise BundleError(f"{name} is larger than the verifier reads ({size_text(limit)})")
        small[name] = _decode(name, data)
    return small


def _open(root: Path, small: dict[str, str], archive: zipfile.ZipFile | None) -> Bundle:
    if small[FORMAT_FILE] != FORMAT_TEXT:
        raise BundleError(f"FORMAT is not {FORMAT_TEXT.strip()!r}")
    origin_lines = _lines(ORIGIN_FILE, small[ORIGIN_FILE])
    if len(origin_lines) != 1:
        raise BundleError("origin.txt must hold exactly one line")
    vkeys = _lines(VKEYS_FILE, small[VKEYS_FILE]) if small[VKEYS_FILE] else []
    return Bundle(root, origin_lines[0], vkeys, small[CHECKPOINTS_FILE], archive)


def read_bundle(path: str | os.PathLike[str]) -> Bundle:
    """Open a bundle directory or .zip and read its small files; raises BundleError."""
    root = Path(path)
    if root.is_dir():
        try:
            return _open(root, _read_directory(root), None)
        except OSError as exc:
            raise BundleError(f"cannot read {root}: {exc}") from exc
    if not (root.is_file() and zipfile.is_zipfile(root)):
        raise BundleError(f"{root} is neither a bundle directory nor a zip file")
    try:
        archive = _open_zip(root)
    except (OSError, *ZIP_READ_ERRORS) as exc:
        raise BundleError(f"cannot read {root}: {exc}") from None
    try:
        return _open(root, _read_zip(archive, root), archive)
    except (OSError, *ZIP_READ_ERRORS, BundleError) as exc:
        archive.close()
        if isinstance(exc, BundleError):
            raise
        raise BundleError(f"cannot read {root}: {exc}") from None
