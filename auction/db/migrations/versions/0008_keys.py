"""keys: the deployment's one set of keys (sealed), the fingerprints and ledger key its first start published

Revision ID: 0008_keys
Revises: 0007_publish_rules
Create Date: 2026-11-26 05:40:00.000000
"""

from __future__ import annotations

import advanced_alchemy.types.datetime
import sqlalchemy as sa
from alembic import op

revision = "0008_keys"
down_revision = "0007_publish_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployment_keys",
        sa.Column("purpose", sa.String(length=80), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("purpose", name=op.f("pk_deployment_keys")),
    )


def downgrade() -> None:
    op.drop_table("deployment_keys")
