"""contracts: the contract a signed award concludes, payments against its schedule, deposit refunds, and the
instalment count an officer chose for a sale

Revision ID: 0007_contracts
Revises: 0006
Create Date: 2026-11-26 04:00:00.000000
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0007_contracts"
down_revision = "0007_running_rules"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "instalment_plans",
        sa.Column("lot_id", ID, autoincrement=False, nullable=False),
        sa.Column("instalments", ID, nullable=False),
        sa.Column("chosen_by_id", ID, nullable=False),
        sa.Column("chosen_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["chosen_by_id"], ["users.id"], name=op.f("fk_instalment_plans_chosen_by_id_users")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_instalment_plans_lot_id_lots")),
        sa.PrimaryKeyConstraint("lot_id", name=op.f("pk_instalment_plans")),
    )
    op.create_table(
        "contracts",
        sa.Column("id", ID, nullable=False),
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("bidder_id", ID, nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("deal", sa.String(length=10), nullable=False),
        sa.Column("price", ID, nullable=False),
        sa.Column("deposit_credited", ID, nullable=False),
        sa.Column("instalments", ID, nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("concluded_at", UTC, nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["bidder_id"], ["users.id"], name=op.f("fk_contracts_bidder_id_users")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_contracts_lot_id_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("lot_id", name=op.f("uq_contracts_lot_id")),
    )
    op.create_index(op.f("ix_contracts_bidder_id"), "contracts", ["bidder_id"], unique=False)
    op.create_table(
        "contract_payments",
        sa.Column("id", ID, nullable=False),
        sa.Column("contract_id", ID, nullable=False),
        sa.Column("number", ID, nullable=False),
        sa.Column("amount", ID, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("reference_salt", sa.String(length=32), nullable=False),
        sa.Column("reference_commitment", sa.String(length=64), nullable=False),
        sa.Column("recorded_by_id", ID, nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_contract_payments_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_contract_payments_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_payments")),
    )
    op.create_index(op.f("ix_contract_payments_contract_id"), "contract_payments", ["contract_id"], unique=False)
    op.create_table(
        "deposit_refunds",
        sa.Column("id", ID, nullable=False),
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("application_id", ID, nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("amount", ID, nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("reference_salt", sa.String(length=32), nullable=False),
        sa.Column("reference_commitment", sa.String(length=64), nullable=False),
        sa.Column("recorded_by_id", ID, nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_deposit_refunds_application_id_applications")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_deposit_refunds_lot_id_lots")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_deposit_refunds_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_refunds")),
        sa.UniqueConstraint("application_id", name=op.f("uq_deposit_refunds_application_id")),
    )
    op.create_index(op.f("ix_deposit_refunds_lot_id"), "deposit_refunds", ["lot_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_deposit_refunds_lot_id"), table_name="deposit_refunds")
    op.drop_table("deposit_refunds")
    op.drop_index(op.f("ix_contract_payments_contract_id"), table_name="contract_payments")
    op.drop_table("contract_payments")
    op.drop_index(op.f("ix_contracts_bidder_id"), table_name="contracts")
    op.drop_table("contracts")
    op.drop_table("instalment_plans")
