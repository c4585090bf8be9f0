"""Release packages, compiled records and record packages: pure, from releases already mapped (release.py).

Records are compiled by ocdsmerge, the Open Contracting Partnership's reference implementation of the OCDS merge
rules, with the merge rules read from the shipped schema (schema.py), so nothing is downloaded.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import ocdsmerge

from auction.opendata.schema import BIDS_EXTENSION_URL, release_schema

OCDS_VERSION = "1.1"


@dataclass(frozen=True, slots=True)
class PackageMeta:
    """What every package says about itself: who publishes, under which licence and policy."""

    publisher: str
    public_url: str
    license_url: str
    policy_url: str

    def head(self, uri: str, published: str) -> dict[str, Any]:
        return {
            "uri": uri,
            "version": OCDS_VERSION,
            "extensions": [BIDS_EXTENSION_URL],
            "publishedDate": published,
            "publisher": {"name": self.publisher, "uri": self.public_url},
            "license": self.license_url,
            "publicationPolicy": self.policy_url,
        }


def release_package(meta: PackageMeta, uri: str, published: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    return {**meta.head(uri, published), "releases": releases}


@cache
def _merger() -> ocdsmerge.Merger:
    return ocdsmerge.Merger(schema=release_schema())


def compiled_release(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """The lot's current state: its releases merged by the OCDS rules (newest value wins, arrays by id)."""
    compiled: dict[str, Any] = _merger().create_compiled_release(releases)
    return compiled


def record(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """One lot's record: every release embedded (oldest first) and the compiled release."""
    return {"ocid": releases[0]["ocid"], "releases": releases, "compiledRelease": compiled_release(releases)}


def record_package(meta: PackageMeta, uri: str, published: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    head = meta.head(uri, published)
    return {**head, "records": [record(releases)]}


def json_lines(releases: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """One release per line, UTF-8 JSON (the bulk files' format)."""
    for release in releases:
        yield json.dumps(release, ensure_ascii=False, separators=(",", ":")) + "\n"


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """A release as one flat row: paths joined by "/", array positions as numbers (the flatten-tool convention
    for a single sheet, e.g. `awards/0/value/amount`); arrays of strings joined by ";"."""
    row: dict[str, Any] = {}
    if isinstance(obj, dict):
        for key, item in obj.items():
            row.update(flatten(item, f"{prefix}/{key}" if prefix else key))
    elif isinstance(obj, list):
        if all(not isinstance(item, dict | list) for item in obj):
            row[prefix] = ";".join("" if item is None else str(item) for item in obj)
        else:
            for position, item in enumerate(obj):
                row.update(flatten(item, f"{prefix}/{position}"))
    else:
        row[prefix] = obj
    return row


def csv_text(releases: Iterable[Mapping[str, Any]]) -> str:
    """The releases flattened to one CSV sheet: a column per path met, in the order first met."""
    rows = [flatten(dict(release)) for release in releases]
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()
