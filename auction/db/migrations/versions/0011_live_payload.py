"""live payload: an auction clock's change notifies its running fields, not only its lot's id

Migration 0010_live_push had each change of a lot's auction clock NOTIFY 'achyk_lot' with the lot's id, and each
listening process read the lot again: a read sees only the latest committed state, so two bids committed close
together showed their watchers one price. Now a changed clock notifies, at commit, its running fields as the
transaction leaves them, as compact JSON (what auction.bidding.live.RunningClock takes): PostgreSQL delivers
notifications in commit order, a lot's bids commit in the order they lock it, so the payloads arrive in price order
and the listener shows each of them without a read. Distinct payloads are never folded; identical ones within one
transaction are. A clock deleted by the transaction, and a payload that would not fit NOTIFY's 8000 bytes (a clock
with very many recorded outages), still send just the id: the listener reads the lot then. The lots trigger is
unchanged (a lot's change: read it).

Times are sent as UTC without an offset, whatever the session's time zone. PostgreSQL only, like 0010_live_push.

Revision ID: 0011_live_payload
Revises: 0010_due_indexes
Create Date: 2026-11-26 13:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0011_live_payload"
down_revision = "0010_due_indexes"
branch_labels = None
depends_on = None

TRIGGER = "achyk_lot_clock_changed"
EVENTS = "AFTER INSERT OR UPDATE OR DELETE ON auction_clocks"

# Run at commit (a deferred constraint trigger), it sends the clock as the transaction leaves it: a bid's
# transaction updates its clock in several flushes, whose states between them no one must see. Every row event of
# one transaction then sends the same payload, which PostgreSQL folds into one. 7900: below NOTIFY's 8000-byte
# limit, over which pg_notify raises, which would refuse the bid itself.
CLOCK_PAYLOAD = """
CREATE OR REPLACE FUNCTION achyk_notify_lot_clock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    payload text;
BEGIN
    SELECT json_build_object(
        'lot', c.lot_id,
        'closes_at', c.closes_at AT TIME ZONE 'UTC',
        'current_price', c.current_price,
        'leader', c.leader,
        'bid_count', c.bid_count,
        'pauses', c.pauses,
        'runoff_price', c.runoff_price,
        'runoff_closes_at', c.runoff_closes_at AT TIME ZONE 'UTC'
    )::text
    INTO payload
    FROM auction_clocks AS c
    WHERE c.lot_id = COALESCE(NEW.lot_id, OLD.lot_id);
    IF payload IS NULL OR octet_length(payload) > 7900 THEN
        payload := (COALESCE(NEW.lot_id, OLD.lot_id))::text;
    END IF;
    PERFORM pg_notify('achyk_lot', payload);
    RETURN NULL;
END
$$
"""

# 0010_live_push's function, as it was.
CLOCK_ID = """
CREATE OR REPLACE FUNCTION achyk_notify_lot_clock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('achyk_lot', (COALESCE(NEW.lot_id, OLD.lot_id))::text);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CLOCK_PAYLOAD)
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON auction_clocks")
    op.execute(
        f"CREATE CONSTRAINT TRIGGER {TRIGGER} {EVENTS} DEFERRABLE INITIALLY DEFERRED "
        "FOR EACH ROW EXECUTE FUNCTION achyk_notify_lot_clock()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON auction_clocks")
    op.execute(CLOCK_ID)
    op.execute(f"CREATE TRIGGER {TRIGGER} {EVENTS} FOR EACH ROW EXECUTE FUNCTION achyk_notify_lot_clock()")
