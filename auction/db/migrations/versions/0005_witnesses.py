"""witnesses: cosignatures on checkpoints, quorum times, each witness's last cosigned size, witnessing health

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 22:40:00.000000
"""

from __future__ import annotations

import advanced_alchemy.types.datetime
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
# Cosignatures and quorum times are part of the ledger's evidence: INSERT and SELECT only, like the checkpoints.
APPEND_ONLY_TABLES = ("ledger_cosignatures", "ledger_witnessed")


def upgrade() -> None:
    op.create_table(
        "ledger_cosignatures",
        sa.Column("id", ID, nullable=False),
        sa.Column("checkpoint_id", ID, nullable=False),
        sa.Column("witness_vkey", sa.String(length=300), nullable=False),
        sa.Column("timestamp", ID, nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["ledger_checkpoints.id"],
            name=op.f("fk_ledger_cosignatures_checkpoint_id_ledger_checkpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_cosignatures")),
        sa.UniqueConstraint("checkpoint_id", "witness_vkey", name=op.f("uq_ledger_cosignatures_checkpoint_id")),
    )
    with op.batch_alter_table("ledger_cosignatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_cosignatures_checkpoint_id"), ["checkpoint_id"], unique=False)
    op.create_table(
        "ledger_witnessed",
        sa.Column("checkpoint_id", ID, nullable=False),
        sa.Column("size", ID, nullable=False),
        sa.Column("witnessed_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["ledger_checkpoints.id"],
            name=op.f("fk_ledger_witnessed_checkpoint_id_ledger_checkpoints"),
        ),
        sa.PrimaryKeyConstraint("checkpoint_id", name=op.f("pk_ledger_witnessed")),
    )
    with op.batch_alter_table("ledger_witnessed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_witnessed_size"), ["size"], unique=False)
    op.create_table(
        "ledger_witness_state",
        sa.Column("witness_vkey", sa.String(length=300), nullable=False),
        sa.Column("size", ID, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("witness_vkey", name=op.f("pk_ledger_witness_state")),
    )
    op.create_table(
        "ledger_witness_health",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("unwitnessed_since", TIME, nullable=True),
        sa.Column("witnessed_until", TIME, nullable=True),
        sa.Column("witnessed_size", ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_witness_health")),
    )
    health = sa.table("ledger_witness_health", sa.column("id", sa.Integer), sa.column("witnessed_size", sa.Integer))
    op.bulk_insert(health, [{"id": 1, "witnessed_size": 0}])
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION achyk_refuse_ledger_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION achyk_refuse_ledger_change()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.drop_table("ledger_witness_health")
    op.drop_table("ledger_witness_state")
    with op.batch_alter_table("ledger_witnessed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_witnessed_size"))
    op.drop_table("ledger_witnessed")
    with op.batch_alter_table("ledger_cosignatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_cosignatures_checkpoint_id"))
    op.drop_table("ledger_cosignatures")
