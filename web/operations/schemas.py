"""The health answer a monitor reads (docs/operations.md, "What to monitor")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from auction.operations.health import HealthProblem, HealthReading


class ProblemOut(BaseModel):
    code: str = Field(description="A stable name to alert on, e.g. `ledger.integration_behind`.")
    detail: str


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"] = Field(description="`degraded` when any problem is listed.")
    problems: list[ProblemOut]
    checked_at: datetime
    ledger_vkey: str = Field(
        description="The verifier key this host signs with; every host of a deployment must answer the same."
    )
    release: str
    pending_entries: int = Field(description="Ledger entries admitted and not yet integrated.")
    oldest_pending_admitted_at: datetime | None
    tree_size: int
    last_checkpoint_signed_at: datetime | None
    unwitnessed_since: datetime | None
    witnessed_until: datetime | None
    scheduler_last_alive: datetime | None

    @classmethod
    def of(cls, reading: HealthReading, problems: list[HealthProblem], *, ledger_vkey: str, release: str) -> HealthOut:
        return cls(
            status="degraded" if problems else "ok",
            problems=[ProblemOut(code=p.code, detail=p.detail) for p in problems],
            checked_at=reading.now,
            ledger_vkey=ledger_vkey,
            release=release,
            pending_entries=reading.pending_entries,
            oldest_pending_admitted_at=reading.oldest_pending_admitted_at,
            tree_size=reading.tree_size,
            last_checkpoint_signed_at=reading.last_checkpoint_signed_at,
            unwitnessed_since=reading.unwitnessed_since,
            witnessed_until=reading.witnessed_until,
            scheduler_last_alive=reading.scheduler_last_alive,
        )
