"""Times in JSON responses, typed as datetimes and written in the exact form each response has always used."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, PlainSerializer

from auction.ledger.verifier.canonical import format_time


def iso_8601(moment: datetime) -> str:
    return moment.isoformat()


# The ledger's own time form, as bodies and receipts carry it, so a client can compare the two as strings.
LedgerTime = Annotated[
    datetime,
    PlainSerializer(format_time, return_type=str, when_used="json"),
    Field(description="UTC with microseconds, as in ledger bodies: 2026-01-31T09:05:00.000000Z"),
]
# Records kept outside the ledger (checkpoints, lot versions) are written with Python's isoformat.
IsoTime = Annotated[
    datetime,
    PlainSerializer(iso_8601, return_type=str, when_used="json"),
    Field(description="ISO 8601 with its UTC offset: 2026-01-31T09:05:00+00:00"),
]
