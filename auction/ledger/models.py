"""Where the ledger lives in the database.

``ledger_entries``, ``ledger_tree_nodes`` and ``ledger_checkpoints`` are the ledger proper: on PostgreSQL a
trigger lets them take INSERT and SELECT only. The other tables are working state: the per-chain heads, the
queue of admitted bodies awaiting a global index, the tree's right edge, and the integrator's lease.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from auction.db.base import Base

PLATFORM_CHAIN = 0
"""Chain key of entries that belong to no lot (key rotations); lot ids start at 1."""

APPEND_ONLY_TABLES = (
    "ledger_entries",
    "ledger_tree_nodes",
    "ledger_checkpoints",
    "ledger_cosignatures",
    "ledger_witnessed",
)


class ChainHead(Base):
    """The latest body of one chain (a lot's, or the platform's); its row lock orders that chain."""

    __tablename__ = "ledger_heads"

    chain_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    lot_seq: Mapped[int]
    head_hash: Mapped[str] = mapped_column(String(64))
    admitted_at: Mapped[datetime]


class PendingEntry(Base):
    """A body admitted with its business change, waiting for the integrator to give it a global index."""

    __tablename__ = "ledger_pending"
    __table_args__ = (UniqueConstraint("chain_key", "lot_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_key: Mapped[int] = mapped_column(index=True)
    lot_seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    body_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admitted_at: Mapped[datetime]


class LedgerEntry(Base):
    """An integrated leaf: its global index, bytes and RFC 6962 leaf hash."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("chain_key", "lot_seq"),
        Index("ix_ledger_entries_chain_seq", "chain_key", "lot_seq"),
        # A day's open-data bulk file reads the entries admitted that day (auction/opendata/service.py).
        Index("ix_ledger_entries_admitted_at", "admitted_at"),
    )

    idx: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    chain_key: Mapped[int]
    lot_seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))
    body_hash: Mapped[str] = mapped_column(String(64), unique=True)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    admitted_at: Mapped[datetime]
    integrated_at: Mapped[datetime]


class TreeNode(Base):
    """The hash of a complete subtree: level k, position i covers leaves [i*2^k, (i+1)*2^k). Never changes."""

    __tablename__ = "ledger_tree_nodes"

    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class TreeState(Base):
    """The single row the integrator locks once per batch: size, right edge, root, chain tip."""

    __tablename__ = "ledger_tree_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int]
    right_edge: Mapped[list[Any]] = mapped_column(JSON)
    root: Mapped[str] = mapped_column(String(64))
    last_leaf_hash: Mapped[str] = mapped_column(String(64))
    last_integrated_at: Mapped[datetime | None]


class SignedCheckpoint(Base):
    """Every checkpoint the log ever signed, oldest first."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(index=True)
    root: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    key_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime]


class IntegratorLease(Base):
    """Which process integrates now; a lease rather than a lock so that a dead leader is replaced."""

    __tablename__ = "ledger_lease"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]


class CheckpointCosignature(Base):
    """One witness's cosignature line on a signed checkpoint (c2sp.org/tlog-cosignature), as the witness answered."""

    __tablename__ = "ledger_cosignatures"
    __table_args__ = (UniqueConstraint("checkpoint_id", "witness_vkey"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("ledger_checkpoints.id"), index=True)
    witness_vkey: Mapped[str] = mapped_column(String(300))
    timestamp: Mapped[int]
    line: Mapped[str] = mapped_column(Text)


class WitnessedCheckpoint(Base):
    """A checkpoint a quorum of the configured witnesses cosigned, and the quorum time (docs/witnesses.md §5)."""

    __tablename__ = "ledger_witnessed"

    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("ledger_checkpoints.id"), primary_key=True)
    size: Mapped[int] = mapped_column(index=True)
    witnessed_at: Mapped[datetime]


class WitnessState(Base):
    """The tree size each witness last cosigned, as it told us: the `old` of the next add-checkpoint."""

    __tablename__ = "ledger_witness_state"

    witness_vkey: Mapped[str] = mapped_column(String(300), primary_key=True)
    size: Mapped[int]
    updated_at: Mapped[datetime]


class WitnessHealth(Base):
    """The single row binding actions and the scheduler read: is the log witnessed, what time do witnesses vouch for.

    `unwitnessed_since` is when the oldest checkpoint still lacking a quorum was signed (None: all witnessed);
    `witnessed_until` is the newest quorum time; both stay None while no witnesses are configured.
    """

    __tablename__ = "ledger_witness_health"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    unwitnessed_since: Mapped[datetime | None]
    witnessed_until: Mapped[datetime | None]
    witnessed_size: Mapped[int] = mapped_column(default=0)
