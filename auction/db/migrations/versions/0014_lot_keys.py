"""lot keys: a passkey the browser makes for one lot only, so that one bidder's lots do not share a key

`bidder_keys.lot_key` marks such a passkey (it does not count against the account's limit of keys); the
registration's purpose is fixed when its options are given, so `passkey_challenges.lot_key` carries it to the
verification.

Revision ID: 0014_lot_keys
Revises: 0013_valuation
Create Date: 2026-11-26 16:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_lot_keys"
down_revision = "0013_valuation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("bidder_keys", "passkey_challenges"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("lot_key", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for table in ("passkey_challenges", "bidder_keys"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("lot_key")
