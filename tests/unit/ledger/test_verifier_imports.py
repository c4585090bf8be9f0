"""An inspector installs only `cryptography`, `rfc8785` and PyNaCl: no verifier module may load anything else.

Import-linter (tests/unit/test_import_rules.py) reads import statements; this test imports every module of
the package in a clean interpreter and looks at what actually arrived in sys.modules, so it also sees what a
dependency drags in and imports done by __init__ files on the way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "auction" / "ledger" / "verifier"

PROBE = """
import json, sys
before = set(sys.modules)
for name in sys.argv[1:]:
    __import__(name)
loaded = set(sys.modules) - before
# cryptography and PyNaCl load their compiled bindings under these names; multiprocessing aliases __main__.
allowed_roots = set(sys.stdlib_module_names) | {
    "cryptography", "rfc8785", "nacl", "_cffi_backend", "_openssl", "_sodium", "__mp_main__"
}
allowed_auction = {"auction", "auction.ledger"}
print(json.dumps({
    "third_party": sorted(n for n in loaded if n.split(".")[0] not in allowed_roots | {"auction"}),
    "auction": sorted(
        n for n in loaded
        if n.split(".")[0] == "auction" and n not in allowed_auction and not n.startswith("auction.ledger.verifier")
    ),
    "modules": len([n for n in loaded if n.startswith("auction.ledger.verifier.")]),
}))
"""


def _verifier_modules() -> list[str]:
    return sorted(f"auction.ledger.verifier.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__")


def test_the_verifier_imports_only_the_standard_library_cryptography_rfc8785_and_pynacl() -> None:
    modules = _verifier_modules()
    assert "auction.ledger.verifier.replay" in modules
    assert "auction.ledger.verifier.cli" in modules
    # -I: no PYTHONPATH, no user site-packages, no current directory: only what the installed package loads.
    result = subprocess.run(
        [sys.executable, "-I", "-c", PROBE, *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["third_party"] == []
    assert report["auction"] == []
    assert report["modules"] >= len(modules)
