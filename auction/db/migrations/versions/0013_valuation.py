"""valuation: a lot's appraised value from the independent appraisal report, for statistics and red flags

Integer tyiyn: a sale's market value of the property, a lease's market rent per rent period. Nullable: lots created
before it was recorded have none.

Revision ID: 0013_valuation
Revises: 0012_opendata_index
Create Date: 2026-11-26 15:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_valuation"
down_revision = "0012_opendata_index"
branch_labels = None
depends_on = None

# Money columns are BIGINT (INTEGER on SQLite), like starting_price.
TYIYN = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("valuation", TYIYN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_column("valuation")
