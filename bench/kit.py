"""What every benchmark scenario shares: a scratch database, a measurement compared with its raw baseline, and the
percentiles. A scenario is a module in ``bench/scenarios/`` with ``NAME`` and
``async def run(ctx) -> list[Measurement]``; ``bench/run`` runs them in one process, one after another, and
reports every measurement against the baseline the scenario measured in the same run (the machine is shared:
only ratios mean anything)."""

from __future__ import annotations

import asyncio
import os
import statistics
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

ADMIN_URL = os.environ.get("ACHYK_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SCRATCH_PREFIX = "achyk_bench_"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass(frozen=True, slots=True)
class Measurement:
    """One figure of Achyk beside its raw baseline from the same run.

    ``ratio`` is achyk / baseline. A target is "at_least" (throughput: ratio >= bound) or "at_most" (latency,
    overhead: ratio <= bound), or an absolute bound on ``achyk`` itself (``absolute_at_most``,
    ``absolute_at_least``), or none (context).
    """

    scenario: str
    metric: str
    unit: str
    achyk: float
    baseline: float | None = None
    baseline_name: str = ""
    at_least: float | None = None
    at_most: float | None = None
    absolute_at_most: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # A floor on ``achyk`` itself (a share that must be 1: every watcher saw every change). After ``details`` so that
    # every existing positional use keeps its meaning.
    absolute_at_least: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.achyk / self.baseline

    @property
    def target(self) -> str:
        parts = []
        if self.at_least is not None:
            parts.append(f">= {self.at_least:g}x")
        if self.at_most is not None:
            parts.append(f"<= {self.at_most:g}x")
        if self.absolute_at_most is not None:
            parts.append(f"<= {self.absolute_at_most:g} {self.unit}")
        if self.absolute_at_least is not None:
            parts.append(f">= {self.absolute_at_least:g} {self.unit}")
        return ", ".join(parts)

    @property
    def met(self) -> bool | None:
        """Whether every bound holds; None when there is no target."""
        checks: list[bool] = []
        ratio = self.ratio
        if self.at_least is not None:
            checks.append(ratio is not None and ratio >= self.at_least)
        if self.at_most is not None:
            checks.append(ratio is not None and ratio <= self.at_most)
        if self.absolute_at_most is not None:
            checks.append(self.achyk <= self.absolute_at_most)
        if self.absolute_at_least is not None:
            checks.append(self.achyk >= self.absolute_at_least)
        return all(checks) if checks else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "target": self.target, "met": self.met}


@dataclass
class BenchContext:
    """What a scenario gets from the runner: where to make databases and files, and how big to go.

    ``quick`` shrinks every scenario to a smoke run (seconds, not minutes): the figures are then not the report's.
    """

    workdir: Path
    quick: bool = False
    admin_url: str = ADMIN_URL

    @asynccontextmanager
    async def database(self, name: str) -> AsyncIterator[str]:
        """A new PostgreSQL database at the schema's head, dropped afterwards; yields its SQLAlchemy URL
        (``postgresql+asyncpg://…``). ``raw_url`` turns it into a plain asyncpg/libpq one."""
        database = f"{SCRATCH_PREFIX}{name}_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(self.admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{database}"')
        finally:
            await admin.close()
        base = self.admin_url.rsplit("/", 1)[0]
        url = f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{database}"
        try:
            from auction.db.migrate import upgrade

            await asyncio.to_thread(upgrade, url)
            yield url
        finally:
            admin = await asyncpg.connect(self.admin_url)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            finally:
                await admin.close()


def raw_url(url: str) -> str:
    """The plain libpq/asyncpg form of a SQLAlchemy URL (for asyncpg.connect, pgbench and psql)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()
