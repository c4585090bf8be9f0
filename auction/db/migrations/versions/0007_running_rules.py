"""running rules: an officer's pending request to cancel a live lot, waiting for a second official

Revision ID: 0007_running_rules
Revises: 0006
Create Date: 2026-11-26 04:00:00.000000
"""

from __future__ import annotations

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision = "0007_running_rules"
down_revision = "0007_leases"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATES = ("draft", "published", "bidding", "closed", "awarded", "failed", "cancelled")


def upgrade() -> None:
    op.create_table(
        "cancellation_requests",
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("lot_state", sa.Enum(*STATES, name="lotstate", native_enum=False, length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by_id", ID, nullable=False),
        sa.Column("requested_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("order_number", sa.String(length=200), nullable=True),
        sa.Column("order_date", sa.String(length=10), nullable=True),
        sa.Column("order_issued_by", sa.String(length=200), nullable=True),
        sa.Column("order_file_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_cancellation_requests_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["order_file_id"], ["lot_files.id"], name=op.f("fk_cancellation_requests_order_file_id_lot_files")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_cancellation_requests_requested_by_id_users")
        ),
        sa.PrimaryKeyConstraint("lot_id", name=op.f("pk_cancellation_requests")),
    )


def downgrade() -> None:
    op.drop_table("cancellation_requests")
