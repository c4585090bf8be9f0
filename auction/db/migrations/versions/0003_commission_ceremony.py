"""commission ceremony: the relay of the members' signed messages replaces server-held key shares

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 19:30:00.000000
"""

from __future__ import annotations

import advanced_alchemy.types.datetime
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _moment(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=nullable)


def upgrade() -> None:
    # The old table held passphrase-sealed shares of a key made on the server: dropped, not migrated, because
    # keeping it would keep exactly what this revision removes. Lots published with it cannot be opened again.
    op.drop_table("sealed_lot_keys")
    op.create_table(
        "commission_ceremonies",
        sa.Column("id", BIG, nullable=False),
        sa.Column("lot_id", BIG, nullable=False),
        sa.Column("threshold", BIG, nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("started_by", BIG, nullable=False),
        _moment("started_at", nullable=False),
        _moment("discarded_at", nullable=True),
        sa.Column("public_key", sa.String(length=64), nullable=True),
        _moment("opened_at", nullable=True),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_commission_ceremonies_lot_id_lots")),
        sa.ForeignKeyConstraint(["started_by"], ["users.id"], name=op.f("fk_commission_ceremonies_started_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_ceremonies")),
    )
    with op.batch_alter_table("commission_ceremonies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commission_ceremonies_lot_id"), ["lot_id"], unique=False)
    op.create_table(
        "ceremony_messages",
        sa.Column("id", BIG, nullable=False),
        sa.Column("ceremony_id", BIG, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("member", BIG, nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        _moment("received_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["ceremony_id"],
            ["commission_ceremonies.id"],
            name=op.f("fk_ceremony_messages_ceremony_id_commission_ceremonies"),
        ),
        sa.ForeignKeyConstraint(["member"], ["users.id"], name=op.f("fk_ceremony_messages_member_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ceremony_messages")),
        sa.UniqueConstraint("ceremony_id", "kind", "member", name=op.f("uq_ceremony_messages_ceremony_id")),
    )
    with op.batch_alter_table("ceremony_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ceremony_messages_ceremony_id"), ["ceremony_id"], unique=False)


def downgrade() -> None:
    op.drop_table("ceremony_messages")
    op.drop_table("commission_ceremonies")
    op.create_table(
        "sealed_lot_keys",
        sa.Column("lot_id", BIG, autoincrement=False, nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("threshold", BIG, nullable=False),
        sa.Column("shares", sa.JSON(), nullable=False),
        sa.Column("private_key", sa.String(length=100), nullable=True),
        _moment("opened_at", nullable=True),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_sealed_lot_keys_lot_id_lots")),
        sa.PrimaryKeyConstraint("lot_id", name=op.f("pk_sealed_lot_keys")),
    )
