"""The reliability suite runs on PostgreSQL, the production database: NUL bytes, 64-bit bounds and row-lock races
are its behaviour, and one backend keeps the suite within its time."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("the reliability suite runs on PostgreSQL")
