"""bidder keys: the public keys bidders sign with, passkey challenges, and each application's keys and sequence

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 19:40:00.000000
"""

from __future__ import annotations

import advanced_alchemy.types.datetime
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bidder_keys",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("alg", sa.String(length=20), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("rp_id", sa.String(length=253), nullable=True),
        sa.Column("credential_id", sa.String(length=1400), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_bidder_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bidder_keys")),
        sa.UniqueConstraint("user_id", "key_id", name=op.f("uq_bidder_keys_user_id")),
    )
    with op.batch_alter_table("bidder_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bidder_keys_user_id"), ["user_id"], unique=False)
    op.create_table(
        "passkey_challenges",
        sa.Column("user_id", ID, autoincrement=False, nullable=False),
        sa.Column("challenge", sa.String(length=100), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_passkey_challenges_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_passkey_challenges")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keys", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("last_seq", ID, nullable=False, server_default="0"))
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.alter_column("keys", server_default=None)
        batch_op.alter_column("last_seq", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("last_seq")
        batch_op.drop_column("keys")
    op.drop_table("passkey_challenges")
    with op.batch_alter_table("bidder_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bidder_keys_user_id"))
    op.drop_table("bidder_keys")
