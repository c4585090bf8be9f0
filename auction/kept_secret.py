"""Secrets a first run generates and keeps in the data directory, readable by the owner only.

Several processes can start at the same instant on a fresh data directory (uvicorn's workers, a CLI command
beside the site), and they must all end up with the same secret. So a secret is first written in full to a new
private file (created with ``O_CREAT | O_EXCL``, mode 0600), then published under its name with a hard link,
which the kernel refuses when the name exists: the first process to link wins, every other one reads the
winner's file, and nobody ever reads a file that is still being written.
"""

from __future__ import annotations

import errno
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# A writer on a file system without hard links creates the file, then writes: a reader may see it empty for
# the moment between the two.
_EMPTY_FILE_PATIENCE_SECONDS = 2.0


def kept_secret(path: Path, generate: Callable[[], str]) -> str:
    """The secret stored at ``path``; on first use, a new one from ``generate``, unless another process won."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    value = generate()
    if _publish(path, value):
        return value
    return _read(path)


def replace_secret(path: Path, value: str, retired: Path) -> None:
    """Swap the secret at ``path`` for ``value``, keeping the old one at ``retired``.

    A process reading meanwhile gets the old secret or the new one, whole, never nothing.
    """
    os.link(path, retired)
    fresh = _written_private_file(path, value)
    try:
        fresh.replace(path)
    except BaseException:
        fresh.unlink()
        raise
    _sync_directory(path.parent)


def _publish(path: Path, value: str) -> bool:
    """Make ``value`` the secret at ``path`` if there is none yet; False when another process was first."""
    fresh = _written_private_file(path, value)
    try:
        try:
            os.link(fresh, path)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}:
                raise
            return _create_exclusively(path, value)
    finally:
        fresh.unlink()
    _sync_directory(path.parent)
    return True


def _create_exclusively(path: Path, value: str) -> bool:
    """For file systems without hard links: create the name itself with O_EXCL, then write."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w") as file:
        file.write(value + "\n")
        file.flush()
        os.fsync(file.fileno())
    return True


def _written_private_file(beside: Path, value: str) -> Path:
    """A new owner-only file next to ``beside`` holding ``value``, flushed to disk."""
    beside.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp opens with O_CREAT | O_EXCL and mode 0600: the secret is never world-readable, even briefly.
    descriptor, name = tempfile.mkstemp(dir=beside.parent, prefix=f".{beside.name}.", suffix=".new")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(value + "\n")
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        Path(name).unlink()
        raise
    return Path(name)


def _read(path: Path) -> str:
    deadline = time.monotonic() + _EMPTY_FILE_PATIENCE_SECONDS
    while not (value := path.read_text().strip()):
        if time.monotonic() > deadline:
            raise ValueError(f"{path} is empty: remove it to have a new secret made, or configure the setting")
        time.sleep(0.01)
    return value


def _sync_directory(directory: Path) -> None:
    """Make the new name survive a power cut: a key that signed ledger entries must not vanish."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
