"""The lock files pin what pyproject.toml asks for, with hashes, so an audited build can be rebuilt exactly.

When one of these fails after a dependency changed: run ``scripts/lock`` and commit the lock files.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RUNTIME_LOCK = ROOT / "requirements" / "lock-prod.txt"
DEV_LOCK = ROOT / "requirements" / "lock.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _normal(name: str) -> str:
    """A package name as the index compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Locked:
    version: str
    hashes: list[str] = field(default_factory=list)


def _read_lock(path: Path) -> dict[str, Locked]:
    """Each requirement of a pip requirements file written with hashes: its pinned version and its hashes."""
    locked: dict[str, Locked] = {}
    current: Locked | None = None
    for line in path.read_text().splitlines():
        if pin := PIN.match(line):
            current = locked.setdefault(_normal(pin.group(1)), Locked(pin.group(2)))
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            current.hashes.append(line.strip().removeprefix("--hash=sha256:").rstrip(" \\"))
        elif line.strip() and not line.lstrip().startswith("#"):
            pytest.fail(f"{path.name}: a line that is neither a pin, a hash nor a comment: {line!r}")
    return locked


def _pins(requirements: list[str]) -> dict[str, str]:
    pins: dict[str, str] = {}
    for requirement in requirements:
        pin = PIN.match(requirement)
        assert pin is not None, f"{requirement!r} is not pinned exactly (name==version)"
        pins[_normal(pin.group(1))] = pin.group(2)
    return pins


RUNTIME = _pins(PYPROJECT["project"]["dependencies"])
DEV = _pins(PYPROJECT["project"]["optional-dependencies"]["dev"])
BUILD = _pins(PYPROJECT["build-system"]["requires"])


@pytest.mark.parametrize(
    ("lock", "wanted"),
    [(RUNTIME_LOCK, RUNTIME | BUILD), (DEV_LOCK, RUNTIME | DEV | BUILD)],
    ids=["runtime lock", "dev lock"],
)
def test_the_lock_pins_every_dependency_of_pyproject_at_its_version(lock: Path, wanted: dict[str, str]) -> None:
    locked = _read_lock(lock)
    drift = {name: (version, locked[name].version if name in locked else None) for name, version in wanted.items()}
    assert {name: pair for name, pair in drift.items() if pair[0] != pair[1]} == {}, (
        f"(pyproject.toml, {lock.name}) differ: run scripts/lock"
    )


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=["runtime lock", "dev lock"])
def test_every_locked_package_carries_sha256_hashes(lock: Path) -> None:
    locked = _read_lock(lock)
    assert len(locked) > len(RUNTIME)
    unhashed = sorted(name for name, entry in locked.items() if not entry.hashes)
    assert unhashed == []
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for entry in locked.values() for digest in entry.hashes)


def test_tests_run_on_the_versions_that_ship() -> None:
    runtime, dev = _read_lock(RUNTIME_LOCK), _read_lock(DEV_LOCK)
    differing = {name: (entry.version, dev[name].version if name in dev else None) for name, entry in runtime.items()}
    assert {name: pair for name, pair in differing.items() if pair[0] != pair[1]} == {}


def test_the_build_backend_input_of_the_lock_matches_pyproject() -> None:
    lines = (ROOT / "requirements" / "build-system.in").read_text().splitlines()
    assert _pins([line for line in lines if line and not line.startswith("#")]) == BUILD


def test_the_front_end_packages_are_locked_with_integrity_hashes() -> None:
    wanted = json.loads((ROOT / "package.json").read_text())["dependencies"]
    packages = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    installed = {path.removeprefix("node_modules/"): entry for path, entry in packages.items() if path}
    assert {name: installed[name]["version"] for name in wanted} == wanted
    assert all(entry["integrity"].startswith("sha512-") for entry in installed.values())
