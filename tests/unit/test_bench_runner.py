"""bench/run's own machinery, with made-up scenarios (no database, no server, no timing): a failing scenario is
reported and does not stop the others, the table shows every measurement against its target, and the JSON keeps
every measurement with the machine and the load around each scenario."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.kit import BenchContext, Measurement
from bench.runner import ROOT, Scenario, chosen, run_all, table


async def fast(ctx: BenchContext) -> list[Measurement]:
    return [
        Measurement("fast", "accepted bids/s", "1/s", 80.0, 100.0, "raw", at_least=0.5),
        Measurement("fast", "ack p99", "ms", 250.0, absolute_at_most=100.0),
        Measurement("fast", "every change seen", "share", 1.0, absolute_at_least=1.0),
        Measurement("fast", "context", "ms", 3.0),
        Measurement("fast", "nothing measured", "ms", float("nan"), 2.0),
    ]


async def broken(ctx: BenchContext) -> list[Measurement]:
    raise RuntimeError("the scenario's server did not start")


async def test_a_failing_scenario_is_reported_and_the_others_still_run(tmp_path: Path) -> None:
    out = io.StringIO()
    path = tmp_path / "results" / "0.0.0.json"
    scenarios = [Scenario("broken", broken), Scenario("fast", fast)]

    outcomes = await run_all(scenarios, BenchContext(workdir=tmp_path, quick=True), path, out)

    assert [o.name for o in outcomes] == ["broken", "fast"]
    assert outcomes[0].error is not None
    assert "did not start" in outcomes[0].error
    assert len(outcomes[1].measurements) == 5
    printed = out.getvalue()
    assert "broken FAILED" in printed
    assert "RuntimeError" in printed
    assert "load average before" in printed
    assert "load average after" in printed

    document = json.loads(path.read_text())
    assert document["quick"] is True
    assert {"cores", "load_average_at_start", "postgresql"} <= document["machine"].keys()
    assert document["commit"]
    assert document["version"]
    assert document["date"]
    failed, ran = document["scenarios"]
    assert failed["failed"] is True
    assert "RuntimeError" in failed["error"]
    assert ran["failed"] is False
    assert len(ran["load_before"]) == 3
    by_metric = {m["metric"]: m for m in document["measurements"]}
    assert by_metric["accepted bids/s"]["ratio"] == 0.8
    assert by_metric["accepted bids/s"]["met"] is True
    assert by_metric["ack p99"]["met"] is False
    assert by_metric["every change seen"]["target"] == ">= 1 share"
    assert by_metric["every change seen"]["met"]
    assert by_metric["context"]["met"] is None
    assert by_metric["nothing measured"]["achyk"] is None  # strict JSON: no NaN


async def test_the_table_shows_each_figure_beside_its_baseline_and_target(tmp_path: Path) -> None:
    outcomes = await run_all(
        [Scenario("fast", fast)], BenchContext(workdir=tmp_path, quick=True), tmp_path / "r.json", io.StringIO()
    )
    lines = table(outcomes).splitlines()

    assert [c.strip() for c in lines[0].split("|")] == [
        "scenario",
        "metric",
        "Achyk",
        "baseline",
        "ratio",
        "target",
        "met",
    ]
    rows = {cells[1]: cells for cells in ([c.strip() for c in line.split("|")] for line in lines[2:])}
    assert rows["accepted bids/s"][2:] == ["80.0 1/s", "100.0 (raw)", "0.8x", ">= 0.5x", "yes"]
    assert rows["ack p99"][2:] == ["250.0 ms", "-", "-", "<= 100 ms", "NO"]
    assert rows["context"][-1] == ""
    assert rows["nothing measured"][2] == "n/a ms"


def test_only_picks_scenarios_by_name_and_refuses_unknown_ones() -> None:
    available = [Scenario("a", fast), Scenario("b", fast), Scenario("c", fast)]
    assert [s.name for s in chosen(available, "c,a")] == ["c", "a"]
    assert [s.name for s in chosen(available, None)] == ["a", "b", "c"]
    with pytest.raises(SystemExit, match="nope"):
        chosen(available, "a,nope")


def test_bench_run_is_one_executable_command() -> None:
    listed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run"), "--list"], capture_output=True, text=True, check=True
    )
    assert {"bidding", "watchers"} <= set(listed.stdout.split())
