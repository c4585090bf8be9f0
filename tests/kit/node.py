"""The pages' own JavaScript, run in Node: an ES module of web/static/js imported by a small runner script that reads
JSON jobs on stdin and writes one JSON result per job, so Python's reference implementation can judge every answer."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

NODE = Path("/usr/bin/node")
SCRIPTS = Path(__file__).resolve().parents[2] / "web" / "static" / "js"

needs_node = pytest.mark.skipif(not NODE.exists(), reason="/usr/bin/node is not installed; cannot run the JS")


def run_module(
    runner: str, module: str, jobs: Sequence[Mapping[str, Any]], *, timeout: float = 120
) -> list[dict[str, Any]]:
    """Run ``runner`` (an ES module body; ``process.argv[1]`` is the module's URL) over ``jobs``.

    ``module`` names a file of web/static/js. The runner must answer a JSON array with one result per job.
    """
    completed = subprocess.run(
        [str(NODE), "--input-type=module", "-e", runner, (SCRIPTS / module).as_uri()],
        input=json.dumps(list(jobs)),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    assert len(results) == len(jobs), completed.stdout[:2000]
    return results
