"""publish rules: a document replaced by a newer one, and the repeat auctions of a lot found by index

Revision ID: 0007_publish_rules
Revises: 0006
Create Date: 2026-11-26 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_publish_rules"
down_revision = "0007_dutch"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("lot_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_by_id", ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_lot_files_replaced_by_id_lot_files"), "lot_files", ["replaced_by_id"], ["id"]
        )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lots_repeat_of_lot_id"), ["repeat_of_lot_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lots_repeat_of_lot_id"))
    with op.batch_alter_table("lot_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_lot_files_replaced_by_id_lot_files"), type_="foreignkey")
        batch_op.drop_column("replaced_by_id")
