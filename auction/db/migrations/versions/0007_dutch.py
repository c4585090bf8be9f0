"""dutch: a descending lot's recorded outages and run-off, and the contenders' sealed run-off offers

Revision ID: 0007_dutch
Revises: 0006
Create Date: 2026-11-26 03:00:00.000000
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0007_dutch"
down_revision = "0007_identity"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("auction_clocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pauses", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("runoff_price", ID, nullable=True))
        batch_op.add_column(sa.Column("runoff_closes_at", MOMENT, nullable=True))
    op.create_table(
        "runoff_offers",
        sa.Column("id", ID, nullable=False),
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("bidder_id", ID, nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("amount", ID, nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("offer_hash", sa.String(length=64), nullable=False),
        sa.Column("placed_at", MOMENT, nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["bidder_id"], ["users.id"], name=op.f("fk_runoff_offers_bidder_id_users")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_runoff_offers_lot_id_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runoff_offers")),
        sa.UniqueConstraint("lot_id", "bidder_id", name=op.f("uq_runoff_offers_lot_id")),
    )
    with op.batch_alter_table("runoff_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runoff_offers_lot_id"), ["lot_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("runoff_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runoff_offers_lot_id"))
    op.drop_table("runoff_offers")
    with op.batch_alter_table("auction_clocks", schema=None) as batch_op:
        batch_op.drop_column("runoff_closes_at")
        batch_op.drop_column("runoff_price")
        batch_op.drop_column("pauses")
