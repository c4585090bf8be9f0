"""Dependencies point inward: the domain never imports the web layer; the verifier needs no database."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_domain_never_imports_the_web_layer() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & {"web", "litestar", "uvicorn"})
        for path in (ROOT / "auction").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
