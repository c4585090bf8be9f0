"""Which release of Achyk this process runs."""

from __future__ import annotations

from importlib import metadata


def release_version() -> str:
    """The installed package's version, as the ledger's release.scripts entries and the health answer name it."""
    try:
        return metadata.version("achyk")
    except metadata.PackageNotFoundError:
        return "unknown"
