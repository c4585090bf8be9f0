"""The OCDS 1.1.5 schemas and the bids extension this platform publishes against, shipped in the package.

The files under schema/ are the Open Contracting Partnership's (Apache License 2.0, schema/LICENSE and
schema/README.md); nothing here reaches the network. The extension is applied as the OCDS tooling does: its
release-schema.json is a JSON Merge Patch (RFC 7386) of the core release schema.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).parent / "schema"
CORE = SCHEMA_DIR / "1.1.5"
BIDS = SCHEMA_DIR / "bids"
RELEASE_SCHEMA_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
# Where the extension's own extension.json is published, as release packages name extensions.
BIDS_EXTENSION_URL = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json"
)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, change in patch.items():
        if change is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), change)
    return merged


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@cache
def release_schema() -> dict[str, Any]:
    """The core release schema with the bids extension merged in (callers must not change it)."""
    merged: dict[str, Any] = merge_patch(_load(CORE / "release-schema.json"), _load(BIDS / "release-schema.json"))
    return merged


def package_schema(name: str) -> dict[str, Any]:
    """`release-package-schema.json` or `record-package-schema.json`, as published."""
    return _load(CORE / name)
