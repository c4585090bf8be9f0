"""due indexes: each of the scheduler's due queries is an index probe, and the changes that move a due instant or
add ledger work announce themselves (NOTIFY achyk_due / achyk_pending) so that idle processes sleep, not scan

Also the scheduler's own lease row (ledger_lease id 2): one process per deployment runs the scans and the pulse.

Revision ID: 0010_due_indexes
Revises: 0010_catalog_indexes
Create Date: 2026-11-26 12:00:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime

import advanced_alchemy.types.datetime
import sqlalchemy as sa
from alembic import op

revision = "0010_due_indexes"
down_revision = "0010_catalog_indexes"
branch_labels = None
depends_on = None

TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
SCHEDULER_LEASE_ID = 2

# (name, table, columns, partial condition): the same condition on both dialects (both support partial indexes).
DUE_INDEXES = [
    ("ix_lots_due_opening", "lots", ["bidding_opens_at"], "state = 'published'"),
    # A closed auction keeps its clock (closed_at set): only the running ones are indexed.
    ("ix_auction_clocks_due_close", "auction_clocks", ["closes_at"], "closed_at IS NULL"),
    ("ix_awards_due_expiry", "awards", ["sign_deadline"], "status = 'awaiting_signature'"),
    ("ix_auction_clocks_due_runoff", "auction_clocks", ["runoff_closes_at"], "runoff_closes_at IS NOT NULL"),
    (
        "ix_commission_ceremonies_waiting",
        "commission_ceremonies",
        ["lot_id"],
        "opened_at IS NULL AND discarded_at IS NULL",
    ),
]

# Row triggers fire only when a due instant can have moved; NOTIFY is sent at commit and folded per transaction.
NOTIFY_DUE_FUNCTION = """
CREATE OR REPLACE FUNCTION achyk_notify_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('achyk_due', '');
    RETURN NULL;
END $$
"""
NOTIFY_PENDING_FUNCTION = """
CREATE OR REPLACE FUNCTION achyk_notify_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('achyk_pending', '');
    RETURN NULL;
END $$
"""
DUE_TRIGGERS = [
    # A lot published, withdrawn, closed or rescheduled.
    (
        "lots_due_changed",
        "AFTER UPDATE OF state, bidding_opens_at ON lots FOR EACH ROW "
        "WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.bidding_opens_at IS DISTINCT FROM NEW.bidding_opens_at)",
    ),
    # An auction opened, extended by a bid or an outage, or a descending tie's run-off started.
    (
        "auction_clocks_due_changed",
        "AFTER UPDATE OF closes_at, runoff_closes_at ON auction_clocks FOR EACH ROW "
        "WHEN (OLD.closes_at IS DISTINCT FROM NEW.closes_at "
        "OR OLD.runoff_closes_at IS DISTINCT FROM NEW.runoff_closes_at)",
    ),
    ("auction_clocks_due_added", "AFTER INSERT ON auction_clocks FOR EACH STATEMENT"),
    # An award offered (its signing deadline starts) or settled.
    ("awards_due_changed", "AFTER INSERT OR UPDATE OF status, sign_deadline ON awards FOR EACH STATEMENT"),
    # A commission member posted a decryption share: the sealed lot may open now.
    ("ceremony_messages_due_added", "AFTER INSERT ON ceremony_messages FOR EACH STATEMENT"),
]


def upgrade() -> None:
    # An auction cancelled while running kept its clock open (closed_at NULL); from now on the cancellation closes
    # it, so that closed_at IS NULL means "running" and the due-close index holds only running auctions.
    op.execute(
        "UPDATE auction_clocks SET closed_at = "
        "(SELECT lots.updated_at FROM lots WHERE lots.id = auction_clocks.lot_id) "
        "WHERE closed_at IS NULL AND lot_id IN (SELECT id FROM lots WHERE state <> 'bidding')"
    )
    for name, table, columns, where in DUE_INDEXES:
        op.create_index(
            name, table, columns, unique=False, postgresql_where=sa.text(where), sqlite_where=sa.text(where)
        )
    lease = sa.table(
        "ledger_lease", sa.column("id", sa.Integer), sa.column("holder", sa.String), sa.column("expires_at", TIME)
    )
    op.bulk_insert(
        lease, [{"id": SCHEDULER_LEASE_ID, "holder": "nobody", "expires_at": datetime(2000, 1, 1, tzinfo=UTC)}]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NOTIFY_DUE_FUNCTION)
        op.execute(NOTIFY_PENDING_FUNCTION)
        for name, when in DUE_TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION achyk_notify_due()")
        # One NOTIFY per admitting statement, however many bodies it inserts.
        op.execute(
            "CREATE TRIGGER ledger_pending_added AFTER INSERT ON ledger_pending "
            "FOR EACH STATEMENT EXECUTE FUNCTION achyk_notify_pending()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_pending_added ON ledger_pending")
        for name, when in DUE_TRIGGERS:
            table = when.split(" ON ")[1].split()[0]
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS achyk_notify_pending()")
        op.execute("DROP FUNCTION IF EXISTS achyk_notify_due()")
    op.execute(sa.text("DELETE FROM ledger_lease WHERE id = :id").bindparams(id=SCHEDULER_LEASE_ID))
    for name, table, _columns, _where in reversed(DUE_INDEXES):
        op.drop_index(name, table_name=table)
