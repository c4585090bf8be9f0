"""The offline verifier the site serves, as the platform chain records it (`verifier.published`).

An inspector downloads the verifier from the site as one file (a zipapp); the platform logs the file's SHA-256
whenever it first serves a new build, so the download can be checked against the signed ledger rather than against
the page that offered it (docs/ledger-entries.md). Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from auction.ledger.verifier.entry import Leaf

VERIFIER_KIND = "verifier.published"
VERIFIER_ACTOR = "system"
VERIFIER_FIELDS = frozenset({"version", "file", "sha256", "size"})
VERIFIER_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.pyz")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
MAX_VERSION_LENGTH = 64
MAX_SIZE = 2**31


def verifier_problem(actor: str, payload: dict[str, Any]) -> str | None:
    """What is wrong with a verifier.published body (its field names are checked with every other kind's), or None."""
    if actor != VERIFIER_ACTOR:
        return f"actor {actor!r} is not {VERIFIER_ACTOR}"
    version, file, digest, size = (payload.get(name) for name in ("version", "file", "sha256", "size"))
    if not isinstance(version, str) or not 0 < len(version) <= MAX_VERSION_LENGTH:
        return f"version must be a text of 1 to {MAX_VERSION_LENGTH} characters"
    if not isinstance(file, str) or VERIFIER_FILE.fullmatch(file) is None:
        return "file must be a .pyz file name"
    if not isinstance(digest, str) or SHA256_HEX.fullmatch(digest) is None:
        return "sha256 must be 64 lowercase hex digits"
    if type(size) is not int or not 0 < size <= MAX_SIZE:
        return f"size must be a whole number of bytes from 1 to {MAX_SIZE}"
    return None


def verifier_notes(leaves: Iterable[Leaf]) -> list[str]:
    """The report's line on the downloadable verifier: the newest build the ledger records, to compare a download
    with (nothing when none was logged)."""
    found = [
        leaf
        for leaf in leaves
        if leaf.body.lot is None
        and leaf.body.kind == VERIFIER_KIND
        and verifier_problem(leaf.body.actor, leaf.body.payload) is None
    ]
    if not found:
        return []
    newest = found[-1]
    payload = newest.body.payload
    return [
        f"offline verifier served (entry {newest.index}, {len(found)} builds logged): {payload['file']} "
        f"version {payload['version']}, {payload['size']} bytes, sha256 {payload['sha256']}"
    ]
