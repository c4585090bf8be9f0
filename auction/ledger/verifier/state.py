"""`--state DIR`: the newest checkpoint the inspector verified, per origin, so the next visit must extend it.

``DIR/<origin with '/' replaced by '_'>.checkpoint`` holds the note verbatim (cosignatures included). It is written
only after a trusted pass, atomically (a temporary file in the same directory, then `os.replace`), so a crash never
leaves half a checkpoint and a failed run never moves the state.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from auction.ledger.verifier.limits import MAX_INPUT_FILE_BYTES, InputTooLarge, read_capped

STATE_SUFFIX = ".checkpoint"
# Origins are schema-less URLs; anything that could leave the directory or hide the file is refused.
_SAFE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~:@+,=-]*")


class StateError(ValueError):
    """The state directory or its file cannot be used."""


def state_file(directory: str | os.PathLike[str], origin: str) -> Path:
    """Where the checkpoint of `origin` is remembered."""
    name = origin.replace("/", "_")
    if _SAFE_NAME_RE.fullmatch(name) is None:
        raise StateError(f"the origin {origin!r} cannot name a state file")
    return Path(directory) / (name + STATE_SUFFIX)


def recall(directory: str | os.PathLike[str], origin: str) -> str | None:
    """The remembered checkpoint note of `origin`, or None on a first visit."""
    path = state_file(directory, origin)
    try:
        return read_capped(path, MAX_INPUT_FILE_BYTES, str(path)).decode("utf-8")
    except FileNotFoundError:
        if not Path(directory).is_dir():
            raise StateError(f"--state {directory} is not a directory") from None
        return None
    except InputTooLarge as exc:
        raise StateError(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError(f"cannot read {path}: {exc}") from None


def remember(directory: str | os.PathLike[str], origin: str, note: str) -> Path:
    """Replace the remembered checkpoint of `origin` with `note`, atomically."""
    path = state_file(directory, origin)
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                out.write(note)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StateError(f"cannot write {path}: {exc}") from None
    return path
