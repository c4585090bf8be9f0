"""payment details and contacts: where bidders pay a lot's deposit, and how to reach a municipality's office

Revision ID: 0009_payment_details
Revises: 0008_sessions
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_payment_details"
down_revision = "0008_sessions"
branch_labels = None
depends_on = None

LOT_COLUMNS = (
    ("payment_recipient", 200),
    ("payment_bank", 200),
    ("payment_account", 34),
    ("payment_bank_code", 6),
    ("payment_purpose", 300),
)
MUNICIPALITY_COLUMNS = (
    ("contact_address", 300),
    ("contact_phone", 100),
    ("contact_email", 254),
    ("office_hours", 300),
    ("responsible_officer", 200),
)


def upgrade() -> None:
    with op.batch_alter_table("lots", schema=None) as batch_op:
        for name, length in LOT_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    with op.batch_alter_table("municipalities", schema=None) as batch_op:
        for name, length in MUNICIPALITY_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("municipalities", schema=None) as batch_op:
        for name, _ in reversed(MUNICIPALITY_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table("lots", schema=None) as batch_op:
        for name, _ in reversed(LOT_COLUMNS):
            batch_op.drop_column(name)
