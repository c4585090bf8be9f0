"""leases modelled as leases: a lease's permitted use, sitting tenant and term-extension decision

The new property kinds (premises, kiosk place, pitch, advertising space) need no change: `lots.kind` is a plain
text column without a check constraint (text_enum).

Revision ID: 0007_leases
Revises: 0006
Create Date: 2026-11-26 03:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_leases"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("permitted_use", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("sitting_tenant", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("lease_extension_decision", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_column("lease_extension_decision")
        batch_op.drop_column("sitting_tenant")
        batch_op.drop_column("permitted_use")
