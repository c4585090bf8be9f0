"""The scripts a release serves, as the platform chain records them (`release.scripts`).

The sealing page's JavaScript is what stands between a bidder and the operator's server: Subresource Integrity
binds each page to one file by its SHA-384, and the platform logs the set of (path, hash) whenever it changes, so
an inspector can compare what a browser was served with what the ledger says was in force. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from auction.ledger.verifier.entry import Leaf

RELEASE_KIND = "release.scripts"
RELEASE_ACTOR = "system"
RELEASE_FIELDS = frozenset({"version", "scripts"})
SCRIPT_PATH = re.compile(r"/static/[A-Za-z0-9_./-]{1,200}\.js")
SRI_SHA384 = re.compile(r"sha384-[A-Za-z0-9+/]{64}")
MAX_VERSION_LENGTH = 64
MAX_SCRIPTS = 500


@dataclass(frozen=True, slots=True)
class Release:
    """One release.scripts entry: the scripts in force from its index on."""

    index: int
    version: str
    scripts: dict[str, str]


def release_problem(actor: str, payload: dict[str, Any]) -> str | None:
    """What is wrong with a release.scripts body (its field names are checked with every other kind's), or None."""
    if actor != RELEASE_ACTOR:
        return f"actor {actor!r} is not {RELEASE_ACTOR}"
    version, scripts = payload.get("version"), payload.get("scripts")
    if not isinstance(version, str) or not 0 < len(version) <= MAX_VERSION_LENGTH:
        return f"version must be a text of 1 to {MAX_VERSION_LENGTH} characters"
    if not isinstance(scripts, dict) or not 0 < len(scripts) <= MAX_SCRIPTS:
        return f"scripts must be an object of 1 to {MAX_SCRIPTS} paths"
    for path, digest in scripts.items():
        if SCRIPT_PATH.fullmatch(path) is None or "/../" in path or "//" in path:
            return f"script path {path!r} is not a /static/….js path"
        if not isinstance(digest, str) or SRI_SHA384.fullmatch(digest) is None:
            return f"the hash of {path} is not an SRI sha384- value"
    return None


def releases(leaves: Iterable[Leaf]) -> list[Release]:
    """Every well-formed release.scripts entry of the platform chain, in index order."""
    found = []
    for leaf in leaves:
        body = leaf.body
        if body.lot is None and body.kind == RELEASE_KIND and release_problem(body.actor, body.payload) is None:
            found.append(Release(leaf.index, body.payload["version"], dict(body.payload["scripts"])))
    return found


def release_notes(leaves: Iterable[Leaf]) -> list[str]:
    """The report's lines on the scripts in force: the latest release's, one line per script."""
    recorded = releases(leaves)
    if not recorded:
        return ["no release.scripts entry: the ledger records no script hashes"]
    latest = recorded[-1]
    lines = [f"scripts in force (release {latest.version}, entry {latest.index}, {len(recorded)} releases logged):"]
    lines += [f"  {path} {digest}" for path, digest in sorted(latest.scripts.items())]
    return lines
