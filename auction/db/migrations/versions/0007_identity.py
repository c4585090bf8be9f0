"""identity: one bidder account per personal or tax number; the salt of each deposit's bank-reference commitment

Revision ID: 0007_identity
Revises: 0006_municipal_rules
Create Date: 2026-11-26 02:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_identity"
down_revision = "0007_admin_setup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A unique index cannot be built over duplicates; say so plainly rather than with the database's error.
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT count(*) FROM (SELECT identity_number FROM users WHERE identity_number IS NOT NULL"
                " GROUP BY identity_number HAVING count(*) > 1) AS d"
            )
        )
        .scalar()
    )
    if duplicates:
        raise RuntimeError(
            f"{duplicates} personal/tax number(s) are held by more than one account: merge or deactivate the"
            " extra accounts (and clear their identity_number) before upgrading"
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_identity_number"), ["identity_number"], unique=True)
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deposit_reference_salt", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("deposit_reference_salt")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_identity_number"))
