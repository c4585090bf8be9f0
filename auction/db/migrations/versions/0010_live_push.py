"""live push: the database NOTIFYs 'achyk_lot' with a lot's id whenever a row that makes its live state changes

The lot (its state, its terms) and its auction clock (price, leader, count, closing time) make what a watcher sees
(auction.bidding.live). A trigger on each sends the notification from inside the changing transaction, so it is
delivered only on commit, to every listening app process on every host, whatever SQL made the change, at no extra
round trip. PostgreSQL only: the embedded SQLite site runs one process, whose streams poll.

Revision ID: 0010_live_push
Revises: 0009_notifications
Create Date: 2026-11-26 12:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0010_live_push"
down_revision = "0009_notifications"
branch_labels = None
depends_on = None

# PostgreSQL folds notifications with the same channel and payload within one transaction: a batch of bids on one
# lot notifies once.
FUNCTIONS = {
    "achyk_notify_lot": "NEW.id",
    "achyk_notify_lot_clock": "COALESCE(NEW.lot_id, OLD.lot_id)",
}
TRIGGERS = [
    # (trigger, table, function, events)
    ("achyk_lot_changed", "lots", "achyk_notify_lot", "AFTER UPDATE"),
    ("achyk_lot_clock_changed", "auction_clocks", "achyk_notify_lot_clock", "AFTER INSERT OR UPDATE OR DELETE"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function, lot_id in FUNCTIONS.items():
        op.execute(
            f"""
            CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('achyk_lot', ({lot_id})::text);
                RETURN NULL;
            END
            $$
            """
        )
    for trigger, table, function, events in TRIGGERS:
        # A rewrite of a row to the same values changes nothing a watcher sees.
        when = "WHEN (OLD.* IS DISTINCT FROM NEW.*)" if events == "AFTER UPDATE" else ""
        op.execute(f"CREATE TRIGGER {trigger} {events} ON {table} FOR EACH ROW {when} EXECUTE FUNCTION {function}()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger, table, _function, _events in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
