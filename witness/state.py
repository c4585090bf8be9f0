"""The witness's memory: the newest checkpoint it cosigned per origin, and the evidence it kept (SQLite).

One file, DIR/witness.sqlite, in WAL mode. Judging a request and storing what it cosigned happen in one
``BEGIN IMMEDIATE`` transaction per request: SQLite lets one such writer in at a time, so two concurrent requests
cannot both be judged against the same stored size and roll the witness back (the race c2sp.org/tlog-witness warns of).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from witness.protocol import Cosigned

DATABASE = "witness.sqlite"
BUSY_TIMEOUT_SECONDS = 30.0  # how long a request waits for another's transaction before failing

_SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoints (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32),
    note TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    request TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    origin: str
    size: int
    root: bytes
    note: str
    updated_at: int


@dataclass(frozen=True, slots=True)
class Evidence:
    id: int
    origin: str
    received_at: int
    reason: str
    request: str


class OriginSlot:
    """One origin's row inside an open write transaction: read it, then store what was cosigned or the evidence."""

    def __init__(self, connection: sqlite3.Connection, origin: str) -> None:
        self._connection = connection
        self.origin = origin
        row = connection.execute("SELECT size, root FROM checkpoints WHERE origin = ?", (origin,)).fetchone()
        self.latest = Cosigned(size=row[0], root=bytes(row[1])) if row is not None else None

    def store(self, cosigned: Cosigned, note: str, now: int) -> None:
        # The caller checked the old size under this same lock; the CHECK below is a second guard against rollback.
        if self.latest is not None and cosigned.size < self.latest.size:
            raise RuntimeError(f"refusing to roll {self.origin} back from {self.latest.size} to {cosigned.size}")
        self._connection.execute(
            "INSERT INTO checkpoints (origin, size, root, note, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note, "
            "updated_at = excluded.updated_at",
            (self.origin, cosigned.size, cosigned.root, note, now),
        )
        self.latest = cosigned

    def keep_evidence(self, reason: str, request: str, now: int) -> None:
        self._connection.execute(
            "INSERT INTO evidence (origin, received_at, reason, request) VALUES (?, ?, ?, ?)",
            (self.origin, now, reason, request),
        )


class WitnessState:
    """The SQLite file of one witness. Every method opens its own connection, so threads may share the object."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / DATABASE
        with closing(self._connect()) as connection:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode: transactions are opened explicitly below, never implicitly by the sqlite3 module.
        return sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)

    @contextmanager
    def origin(self, origin: str) -> Iterator[OriginSlot]:
        """Hold the database's write lock while the caller judges a request for `origin` and stores the result."""
        with closing(self._connect()) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield OriginSlot(connection, origin)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def latest(self, origin: str) -> StoredCheckpoint | None:
        with closing(self._connect()) as connection:
            row = connection.execute(
                "SELECT origin, size, root, note, updated_at FROM checkpoints WHERE origin = ?", (origin,)
            ).fetchone()
        return StoredCheckpoint(row[0], row[1], bytes(row[2]), row[3], row[4]) if row is not None else None

    def checkpoints(self) -> list[StoredCheckpoint]:
        with closing(self._connect()) as connection:
            rows = connection.execute(
                "SELECT origin, size, root, note, updated_at FROM checkpoints ORDER BY origin"
            ).fetchall()
        return [StoredCheckpoint(r[0], r[1], bytes(r[2]), r[3], r[4]) for r in rows]

    def evidence(self) -> list[Evidence]:
        with closing(self._connect()) as connection:
            rows = connection.execute(
                "SELECT id, origin, received_at, reason, request FROM evidence ORDER BY id"
            ).fetchall()
        return [Evidence(*row) for row in rows]
