"""municipal rules: each municipality's rules of law, classifier code, property ownership and payment details;
a lot's council decision and rent indexation

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 02:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("municipalities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("classifier_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("owns_property", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("rules", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("payment_details", sa.Text(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_municipalities_classifier_code"), ["classifier_code"])
        # The two settings the first wave had now live in `rules`, with the law's defaults.
        batch_op.drop_column("max_lease_months")
        batch_op.drop_column("max_repeat_reduction_pct")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("council_decision", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("indexation_percent", ID, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_column("indexation_percent")
        batch_op.drop_column("council_decision")
    with op.batch_alter_table("municipalities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_repeat_reduction_pct", ID, nullable=False, server_default="50"))
        batch_op.add_column(sa.Column("max_lease_months", ID, nullable=False, server_default="588"))
        batch_op.drop_constraint(batch_op.f("uq_municipalities_classifier_code"), type_="unique")
        batch_op.drop_column("payment_details")
        batch_op.drop_column("rules")
        batch_op.drop_column("owns_property")
        batch_op.drop_column("classifier_code")
