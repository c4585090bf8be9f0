"""Secrets a first run generates and keeps in the data directory, readable by the owner only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def kept_secret(path: Path, generate: Callable[[], str]) -> str:
    """The secret stored at ``path``; on first use, a new one from ``generate``, stored there."""
    if path.exists():
        return path.read_text().strip()
    value = generate()
    keep_secret(path, value)
    return value


def keep_secret(path: Path, value: str) -> None:
    """Write a secret into a new file created with owner-only permissions (never world-readable, even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(value + "\n")
