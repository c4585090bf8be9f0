"""ledger and bidding

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:49:14.063552
"""

from __future__ import annotations

from datetime import UTC, datetime

import advanced_alchemy.types.datetime
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY_TABLES = ("ledger_entries", "ledger_tree_nodes", "ledger_checkpoints")
APPEND_ONLY_FUNCTION = """
CREATE FUNCTION achyk_refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the Achyk ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("key_name", sa.String(length=200), nullable=False),
        sa.Column("signed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoints")),
    )
    with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_checkpoints_size"), ["size"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("idx", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("chain_key", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("admitted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("integrated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("body_hash", name=op.f("uq_ledger_entries_body_hash")),
        sa.UniqueConstraint("chain_key", "lot_seq", name=op.f("uq_ledger_entries_chain_key")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_chain_seq", ["chain_key", "lot_seq"], unique=False)

    op.create_table(
        "ledger_heads",
        sa.Column(
            "chain_key",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("lot_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("admitted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chain_key", name=op.f("pk_ledger_heads")),
    )
    op.create_table(
        "ledger_lease",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_lease")),
    )
    op.create_table(
        "ledger_pending",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chain_key", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("admitted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_pending")),
        sa.UniqueConstraint("body_hash", name=op.f("uq_ledger_pending_body_hash")),
        sa.UniqueConstraint("chain_key", "lot_seq", name=op.f("uq_ledger_pending_chain_key")),
    )
    with op.batch_alter_table("ledger_pending", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_pending_chain_key"), ["chain_key"], unique=False)

    op.create_table(
        "ledger_tree_nodes",
        sa.Column("level", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "position", name=op.f("pk_ledger_tree_nodes")),
    )
    op.create_table(
        "ledger_tree_state",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("right_edge", sa.JSON(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("last_leaf_hash", sa.String(length=64), nullable=False),
        sa.Column("last_integrated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_tree_state")),
    )
    op.create_table(
        "scheduler_pulse",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("last_alive", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_pulse")),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bidder_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum("submitted", "approved", "rejected", name="applicationstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("deposit_reference", sa.String(length=100), nullable=True),
        sa.Column("deposit_confirmed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("reviewed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bidder_id"], ["users.id"], name=op.f("fk_applications_bidder_id_users")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_applications_lot_id_lots")),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"], name=op.f("fk_applications_reviewed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("lot_id", "bidder_id", name=op.f("uq_applications_lot_id")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_bidder_id"), ["bidder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_applications_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "auction_clocks",
        sa.Column(
            "lot_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("opened_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("closes_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("latest_close", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("current_price", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("leader", sa.String(length=40), nullable=True),
        sa.Column("bid_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("closed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_auction_clocks_lot_id_lots")),
        sa.PrimaryKeyConstraint("lot_id", name=op.f("pk_auction_clocks")),
    )
    op.create_table(
        "awards",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rank", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bidder_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("price", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "reserve",
                "awaiting_signature",
                "signed",
                "declined",
                "expired",
                name="awardstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("sign_deadline", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("decided_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bidder_id"], ["users.id"], name=op.f("fk_awards_bidder_id_users")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_awards_lot_id_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_awards")),
        sa.UniqueConstraint("lot_id", "rank", name=op.f("uq_awards_lot_id")),
    )
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_awards_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "bids",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bidder_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("ciphertext", sa.Text(), nullable=True),
        sa.Column("ciphertext_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "status",
            sa.Enum("standing", "replaced", "withdrawn", name="bidstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("placed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["bidder_id"], ["users.id"], name=op.f("fk_bids_bidder_id_users")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_bids_lot_id_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bids")),
        sa.UniqueConstraint("bidder_id", "idempotency_key", name=op.f("uq_bids_bidder_id")),
    )
    with op.batch_alter_table("bids", schema=None) as batch_op:
        batch_op.create_index("ix_bids_lot_amount", ["lot_id", "amount"], unique=False)
        batch_op.create_index(batch_op.f("ix_bids_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "sealed_lot_keys",
        sa.Column(
            "lot_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("threshold", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shares", sa.JSON(), nullable=False),
        sa.Column("private_key", sa.String(length=100), nullable=True),
        sa.Column("opened_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_sealed_lot_keys_lot_id_lots")),
        sa.PrimaryKeyConstraint("lot_id", name=op.f("pk_sealed_lot_keys")),
    )

    # The empty tree: RFC 6962's root of no leaves is SHA-256 of the empty string.
    tree_state = sa.table(
        "ledger_tree_state",
        sa.column("id", sa.Integer),
        sa.column("size", sa.Integer),
        sa.column("right_edge", sa.JSON),
        sa.column("root", sa.String),
        sa.column("last_leaf_hash", sa.String),
    )
    op.bulk_insert(
        tree_state,
        [
            {
                "id": 1,
                "size": 0,
                "right_edge": [],
                "root": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "last_leaf_hash": "0" * 64,
            }
        ],
    )
    lease = sa.table(
        "ledger_lease",
        sa.column("id", sa.Integer),
        sa.column("holder", sa.String),
        sa.column("expires_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)),
    )
    op.bulk_insert(lease, [{"id": 1, "holder": "nobody", "expires_at": datetime(2000, 1, 1, tzinfo=UTC)}])
    pulse = sa.table("scheduler_pulse", sa.column("id", sa.Integer))
    op.bulk_insert(pulse, [{"id": 1}])
    if op.get_bind().dialect.name == "postgresql":
        # The ledger proper takes INSERT and SELECT only: not even the application may rewrite history.
        op.execute(APPEND_ONLY_FUNCTION)
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
        op.execute("DROP FUNCTION IF EXISTS achyk_refuse_ledger_change()")
    op.drop_table("sealed_lot_keys")
    with op.batch_alter_table("bids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bids_lot_id"))
        batch_op.drop_index("ix_bids_lot_amount")

    op.drop_table("bids")
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_awards_lot_id"))

    op.drop_table("awards")
    op.drop_table("auction_clocks")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_lot_id"))
        batch_op.drop_index(batch_op.f("ix_applications_bidder_id"))

    op.drop_table("applications")
    op.drop_table("scheduler_pulse")
    op.drop_table("ledger_tree_state")
    op.drop_table("ledger_tree_nodes")
    with op.batch_alter_table("ledger_pending", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_pending_chain_key"))

    op.drop_table("ledger_pending")
    op.drop_table("ledger_lease")
    op.drop_table("ledger_heads")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_chain_seq")

    op.drop_table("ledger_entries")
    with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_checkpoints_size"))

    op.drop_table("ledger_checkpoints")
