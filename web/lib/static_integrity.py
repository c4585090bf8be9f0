"""Subresource Integrity for what the site serves from /static: each file's SHA-384, computed once at start-up.

A page names every script and stylesheet with its hash (``integrity="sha384-…"``), and module scripts' imports
through the page's import map, so a browser runs only the files this release was started with. The same hashes
of the scripts go into the ledger (``release.scripts``), where anyone can compare them with what they were served.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

STATIC_PREFIX = "/static/"
SERVED_SUFFIXES = (".js", ".css")


def sri_sha384(data: bytes) -> str:
    """The Subresource Integrity value of a file's bytes."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@dataclass(frozen=True, slots=True)
class StaticIntegrity:
    """The SRI hash of every script and stylesheet under /static, by URL path (``/static/js/site.js``)."""

    hashes: Mapping[str, str]

    @classmethod
    def of_directory(cls, root: Path) -> StaticIntegrity:
        hashes = {
            STATIC_PREFIX + path.relative_to(root).as_posix(): sri_sha384(path.read_bytes())
            for path in sorted(root.rglob("*"))
            if path.is_file() and path.suffix in SERVED_SUFFIXES
        }
        return cls(hashes)

    def of(self, url_path: str) -> str:
        """The hash a page puts in ``integrity``; a template naming a file the site does not serve is a bug."""
        try:
            return self.hashes[url_path]
        except KeyError:
            raise LookupError(f"{url_path} is not a script or stylesheet under /static") from None

    @property
    def scripts(self) -> dict[str, str]:
        """The scripts only: what the ledger records for a release."""
        return {path: digest for path, digest in self.hashes.items() if path.endswith(".js")}

    def import_map(self) -> dict[str, dict[str, str]]:
        """An import map whose ``integrity`` covers every module a module script may import."""
        return {"integrity": self.scripts}

    @property
    def import_map_text(self) -> str:
        """The import map as pages print it inside ``<script type="importmap">``: one fixed text, so that the
        Content-Security-Policy can allow exactly it by its hash (web/lib/security_headers.py)."""
        text = json.dumps(self.import_map(), sort_keys=True, separators=(",", ":"))
        # Safe inside a <script> element whatever a file is named: no "</script>" or "<!--" can appear.
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
