"""admin setup: the administrative action log (who did what to the platform's set-up, and when)

Revision ID: 0007_admin_setup
Revises: 0006
Create Date: 2026-11-26 04:00:00.000000
"""

from __future__ import annotations

import advanced_alchemy.types.datetime
import sqlalchemy as sa
from alembic import op

revision = "0007_admin_setup"
down_revision = "0007_contracts"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
ACTIONS = (
    "units.imported",
    "account.created",
    "account.deactivated",
    "account.reactivated",
    "municipality.rules_set",
    "municipality.payment_details_set",
    "municipality.owns_property_set",
)


def upgrade() -> None:
    op.create_table(
        "admin_actions",
        sa.Column("id", ID, nullable=False),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("action", sa.Enum(*ACTIONS, name="adminactionkind", native_enum=False, length=64), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_admin_actions_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_actions")),
    )
    with op.batch_alter_table("admin_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_actions_actor_id"), ["actor_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("admin_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_actions_actor_id"))
    op.drop_table("admin_actions")
