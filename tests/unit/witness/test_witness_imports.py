"""The witness runs without the platform: loading every witness module brings in no part of auction but the verifier
(and its two package __init__ files), and nothing of web. Import-linter checks the import statements (contract
witness-independent); this checks what actually arrives in sys.modules. (Third-party packages are not judged here:
importing Litestar itself loads advanced_alchemy in this environment.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import json, sys
before = set(sys.modules)
for name in sys.argv[1:]:
    __import__(name)
loaded = set(sys.modules) - before
print(json.dumps(sorted(loaded)))
"""


def test_loading_the_witness_loads_no_other_part_of_the_platform() -> None:
    modules = sorted(f"witness.{path.stem}" for path in (ROOT / "witness").glob("*.py") if path.stem != "__init__")
    assert {"witness.cli", "witness.server", "witness.monitor", "witness.state"} <= set(modules)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *modules], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    platform = [
        name
        for name in loaded
        if name.split(".")[0] in {"auction", "web"}
        and name not in {"auction", "auction.ledger"}
        and not name.startswith("auction.ledger.verifier")
    ]
    assert platform == []
    assert "auction.ledger.verifier.witnessing" in loaded
