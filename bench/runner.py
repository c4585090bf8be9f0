"""The one benchmark command's machinery (``bench/run`` calls `main`): find the scenarios, run them one after another
in one process, print every measurement beside its baseline and write ``bench/results/<version>.json``.

A scenario that raises is reported as failed, with its traceback, and the others still run: one broken scenario
must not hide the figures of the rest. The machine is shared, so the load average before and after each scenario is
printed and kept with the results: a ratio measured under a load of 6 on 2 cores says less than one under 0.5.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.metadata
import json
import os
import pkgutil
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

import asyncpg

from bench import scenarios as scenario_package
from bench.kit import ADMIN_URL, BenchContext, Measurement, load_average

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PACKAGE = "achyk"

Run = Callable[[BenchContext], Awaitable[list[Measurement]]]


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Run


@dataclass
class Outcome:
    """What one scenario gave: its measurements, or the traceback it failed with, and the load around it."""

    name: str
    measurements: list[Measurement] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "failed": self.error is not None,
            "error": self.error,
            "seconds": round(self.seconds, 1),
            "load_before": list(self.load_before),
            "load_after": list(self.load_after),
            "measurements": [m.as_dict() for m in self.measurements],
        }


def discover() -> list[Scenario]:
    """Every module of bench/scenarios with a NAME and a `run`, in file-name order; helpers (no NAME) are skipped."""
    found = []
    for info in sorted(pkgutil.iter_modules(scenario_package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module: ModuleType = importlib.import_module(f"{scenario_package.__name__}.{info.name}")
        name, run = getattr(module, "NAME", None), getattr(module, "run", None)
        if isinstance(name, str) and callable(run):
            found.append(Scenario(name, run))
    return found


def chosen(available: Sequence[Scenario], only: str | None) -> list[Scenario]:
    """The scenarios ``--only`` names (comma-separated), in the order given; an unknown name is an error."""
    if not only:
        return list(available)
    by_name = {s.name: s for s in available}
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(f"no scenario named {', '.join(unknown)}; there are: {', '.join(by_name) or 'none'}")
    return [by_name[n] for n in names]


async def run_one(scenario: Scenario, context: BenchContext, out: TextIO = sys.stdout) -> Outcome:
    outcome = Outcome(scenario.name, load_before=load_average())
    print(f"== {scenario.name}: load average before {fmt_load(outcome.load_before)}", file=out, flush=True)
    started = time.monotonic()
    try:
        outcome.measurements = list(await scenario.run(context))
    except Exception:  # any failure of a scenario is reported, and the next one runs
        outcome.error = traceback.format_exc()
        print(f"!! {scenario.name} FAILED:\n{outcome.error}", file=out, flush=True)
    outcome.seconds = time.monotonic() - started
    outcome.load_after = load_average()
    print(
        f"== {scenario.name}: {outcome.seconds:.0f} s, load average after {fmt_load(outcome.load_after)}",
        file=out,
        flush=True,
    )
    return outcome


def fmt_load(load: Sequence[float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


def fmt_number(value: float | None) -> str:
    if value is None:
        return "-"
    if value != value:  # NaN: a figure the scenario could not measure
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 0.01 or value == 0:
        return f"{value:.3g}"
    return f"{value:.2e}"


def table(outcomes: Sequence[Outcome]) -> str:
    """The measurements as a plain-text table: scenario, metric, Achyk, baseline, ratio, target, met."""
    header = ("scenario", "metric", "Achyk", "baseline", "ratio", "target", "met")
    rows: list[tuple[str, ...]] = []
    for outcome in outcomes:
        if outcome.error is not None:
            rows.append((outcome.name, "FAILED (traceback above)", "", "", "", "", "no"))
        for m in outcome.measurements:
            met = {True: "yes", False: "NO", None: ""}[m.met]
            baseline = fmt_number(m.baseline)
            if m.baseline is not None and m.baseline_name:
                baseline = f"{baseline} ({m.baseline_name})"
            ratio = f"{fmt_number(m.ratio)}x" if m.ratio is not None else "-"
            rows.append(
                (m.scenario, m.metric, f"{fmt_number(m.achyk)} {m.unit}", baseline, ratio, m.target or "-", met)
            )
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i]) for i in range(7)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines.extend(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
    return "\n".join(line.rstrip() for line in lines)


def version() -> str:
    """The release measured: pyproject's version (what the working tree is), else the installed package's."""
    try:
        with (ROOT / "pyproject.toml").open("rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return importlib.metadata.version(PACKAGE)


def git_commit() -> str:
    """The commit measured, with "-dirty" when the working tree has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


async def postgres_version(admin_url: str) -> str:
    try:
        connection = await asyncpg.connect(admin_url)
    except (OSError, asyncpg.PostgresError) as failed:
        return f"unreachable: {failed}"
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def machine(load: tuple[float, float, float], pg_version: str) -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "load_average_at_start": list(load),
        "load_average_at_end": list(load_average()),
        "postgresql": pg_version,
        "python": sys.version.split()[0],
        "platform": sys.platform,
    }


def report(outcomes: Sequence[Outcome], *, quick: bool, machine_info: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": version(),
        "commit": git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine_info,
        "scenarios": [o.as_dict() for o in outcomes],
        "measurements": [m.as_dict() for o in outcomes for m in o.measurements],
    }


def plain(value: Any) -> Any:
    """`value` with NaN (a figure that could not be measured) as null: strict JSON has no NaN."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def write(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plain(document), indent=2, allow_nan=False, default=str) + "\n")


async def run_all(
    scenarios: Sequence[Scenario], context: BenchContext, out_path: Path, out: TextIO = sys.stdout
) -> list[Outcome]:
    start_load = load_average()
    pg_version = await postgres_version(context.admin_url)
    outcomes = [await run_one(s, context, out) for s in scenarios]
    print(file=out)
    print(table(outcomes), file=out)
    document = report(outcomes, quick=context.quick, machine_info=machine(start_load, pg_version))
    write(out_path, document)
    print(f"\nwritten: {out_path}", file=out, flush=True)
    return outcomes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/run",
        description="Run the benchmark scenarios against the real service, each beside its raw baseline.",
    )
    parser.add_argument("--only", help="comma-separated scenario names (default: all)")
    parser.add_argument("--quick", action="store_true", help="smoke sizes: seconds per scenario, figures not final")
    parser.add_argument("--out", type=Path, help="where the JSON goes (default bench/results/<version>.json)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and stop")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep generated inputs here and reuse them next run (the 1M-entry ledger bundle takes minutes to build)",
    )
    args = parser.parse_args(argv)
    available = discover()
    if args.list:
        print("\n".join(s.name for s in available))
        return 0
    scenarios = chosen(available, args.only)
    out_path: Path = args.out or RESULTS / f"{version()}.json"
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        outcomes = asyncio.run(run_all(scenarios, BenchContext(args.workdir, args.quick, ADMIN_URL), out_path))
    else:
        with tempfile.TemporaryDirectory(prefix="achyk-bench-") as workdir:
            context = BenchContext(workdir=Path(workdir), quick=args.quick, admin_url=ADMIN_URL)
            outcomes = asyncio.run(run_all(scenarios, context, out_path))
    return 1 if any(o.error is not None for o in outcomes) else 0
