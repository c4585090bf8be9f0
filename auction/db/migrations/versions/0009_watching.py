"""watching: lots on an account's watchlist, saved catalog searches, and the alerts recorded for them

Revision ID: 0009_watching
Revises: 0008_sessions
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import advanced_alchemy.types.datetime
import sqlalchemy as sa
from alembic import op

revision = "0009_watching"
down_revision = "0009_payment_details"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["users.id"], name=op.f("fk_watches_account_id_users")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_watches_lot_id_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watches")),
        sa.UniqueConstraint("account_id", "lot_id", name=op.f("uq_watches_account_id")),
    )
    with op.batch_alter_table("watches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_watches_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_watches_lot_id"), ["lot_id"], unique=False)
    op.create_table(
        "saved_searches",
        sa.Column("id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["users.id"], name=op.f("fk_saved_searches_account_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_searches_account_id"), ["account_id"], unique=False)
    op.create_table(
        "search_matches",
        sa.Column("id", ID, nullable=False),
        sa.Column("saved_search_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["saved_search_id"],
            ["saved_searches.id"],
            name=op.f("fk_search_matches_saved_search_id_saved_searches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["account_id"], ["users.id"], name=op.f("fk_search_matches_account_id_users")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_search_matches_lot_id_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_matches")),
        sa.UniqueConstraint("saved_search_id", "lot_id", name=op.f("uq_search_matches_saved_search_id")),
    )
    with op.batch_alter_table("search_matches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_matches_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_matches_lot_id"), ["lot_id"], unique=False)
    op.create_table(
        "watch_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("dedupe_key", sa.String(length=160), nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["users.id"], name=op.f("fk_watch_events_account_id_users")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_watch_events_lot_id_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_events")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_watch_events_dedupe_key")),
    )
    with op.batch_alter_table("watch_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_watch_events_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_watch_events_lot_id"), ["lot_id"], unique=False)


def downgrade() -> None:
    for table in ("watch_events", "search_matches", "saved_searches", "watches"):
        op.drop_table(table)
