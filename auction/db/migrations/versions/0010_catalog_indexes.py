"""catalog indexes: the keyset orders by price and by close (a price range too), and on PostgreSQL a trigram index
for the text search (LIKE '%word%' over search_text, in every language)

Revision ID: 0010_catalog_indexes
Revises: 0010_live_push
Create Date: 2026-11-26 12:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0010_catalog_indexes"
down_revision = "0010_live_push"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index("ix_lots_starting_price_id", ["starting_price", "id"], unique=False)
        batch_op.create_index("ix_lots_bidding_closes_at_id", ["bidding_closes_at", "id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_lots_search_text_trgm",
            "lots",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_lots_search_text_trgm", table_name="lots")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index("ix_lots_bidding_closes_at_id")
        batch_op.drop_index("ix_lots_starting_price_id")
