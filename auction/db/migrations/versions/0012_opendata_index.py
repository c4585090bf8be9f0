"""open data index: the entries admitted on a day, for the daily bulk files, without reading the whole ledger

A day's bulk file (/opendata/releases-<day>.jsonl and .csv) selects the ledger entries whose admitted_at falls in
that UTC day; without an index that is a scan of ledger_entries, which only grows. ledger_entries takes INSERT and
SELECT only (the append-only trigger of 0002), which CREATE INDEX does not touch.

Revision ID: 0012_opendata_index
Revises: 0011_live_payload
Create Date: 2026-11-26 15:45:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012_opendata_index"
down_revision = "0011_live_payload"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_admitted_at", ["admitted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_admitted_at")
