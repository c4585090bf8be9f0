"""How much the verifier reads: every input has a ceiling, checked before it is read whole (docs/ledger.md).

A bundle or a file the inspector was handed may come from the party under suspicion. Without ceilings a crafted
input (a zip bomb, `--since /dev/zero`, a FIFO that never ends) would exhaust the inspector's memory or time, and a
crash reads like exit 1, "tampering". Past a ceiling the input is unusable (exit 2), and the message names the
ceiling. Each ceiling is far above what the platform writes.

Standard library only.
"""

from __future__ import annotations

import os
import struct

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30

# Files the inspector brings: --since, --receipt, --checkpoint, --refusal, --policy, --key, the --state file.
MAX_INPUT_FILE_BYTES = 1 * MIB

# The bundle's small files, read whole.
MAX_FORMAT_BYTES = 1 * KIB
MAX_ORIGIN_BYTES = 4 * KIB
MAX_VKEYS_BYTES = 1 * MIB
MAX_CHECKPOINTS_BYTES = 512 * MIB  # one note per integration batch, each well under 1 KiB with cosignatures

# entries.jsonl, streamed: one leaf (its line) and the whole file.
MAX_ENTRY_BYTES = 16 * MIB
MAX_ENTRIES_BYTES = 64 * GIB

# A .zip bundle: five members; its central directory is read whole before any member.
MAX_ZIP_MEMBERS = 64
MAX_ZIP_DIRECTORY_BYTES = 1 * MIB

# Proof files: a tree of at most 2**64 leaves has inclusion paths of at most 64 hashes.
MAX_PROOF_HASHES = 64

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_MAX_COMMENT = (1 << 16) - 1


class InputTooLarge(ValueError):
    """An input is larger than the verifier reads."""


def size_text(limit: int) -> str:
    """A ceiling in words: '16 MiB'."""
    for unit, name in ((GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")):
        if limit >= unit and limit % unit == 0:
            return f"{limit // unit} {name}"
    return f"{limit} bytes"


def read_capped(path: str | os.PathLike[str], limit: int, what: str) -> bytes:
    """The bytes of `path`, refused past `limit` without reading more than one byte beyond it.

    One read of at most limit + 1 bytes: a device or a FIFO that never ends costs no more than a file that does.
    """
    with open(path, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputTooLarge(f"{what} is larger than the verifier reads ({size_text(limit)})")
    return data


def zip_directory(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(member count, central directory size) from a zip's end records, read before the zip is opened.

    Opening a zip reads its whole central directory into memory, so its size is checked first. Raises ValueError
    if there is no end record.
    """
    with open(path, "rb") as raw:
        file_size = raw.seek(0, os.SEEK_END)
        tail_size = min(file_size, _EOCD.size + _MAX_COMMENT + _ZIP64_LOCATOR.size)
        raw.seek(file_size - tail_size)
        tail = raw.read(tail_size)
        end = tail.rfind(_EOCD_SIGNATURE)
        if end < 0 or len(tail) - end < _EOCD.size:
            raise ValueError("no end of central directory record")
        _, _, _, _, count, directory_size, _, _ = _EOCD.unpack_from(tail, end)
        locator_at = end - _ZIP64_LOCATOR.size
        if locator_at >= 0 and tail[locator_at : locator_at + 4] == _ZIP64_LOCATOR_SIGNATURE:
            _, _, record_offset, _ = _ZIP64_LOCATOR.unpack_from(tail, locator_at)
            if record_offset + _ZIP64_EOCD.size > file_size:
                raise ValueError("the zip64 end record lies outside the file")
            raw.seek(record_offset)
            record = raw.read(_ZIP64_EOCD.size)
            if len(record) != _ZIP64_EOCD.size or record[:4] != _ZIP64_EOCD_SIGNATURE:
                raise ValueError("bad zip64 end of central directory record")
            fields = _ZIP64_EOCD.unpack(record)
            count, directory_size = fields[7], fields[8]
    return count, directory_size
