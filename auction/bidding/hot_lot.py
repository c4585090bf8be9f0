"""The open ascending bid's statements: the lock, one read, then the writes, in plain SQL (SQLAlchemy Core).

A hot lot's bids queue on its row lock, so every round trip made under the lock is paid by every bid behind it.
Once the lot's row is locked, one read brings all an admission needs: the lot, its clock, its chain head, the
bidder's application, any earlier use of the idempotency key, the bidder's active keys, the outbid leader's
account and the ledger's backlog (counted only up to its limit). The writes are guarded (each UPDATE names the
state it was computed from) and, on PostgreSQL, sent as one statement of data-modifying CTEs; SQLite, local and
serial, takes them one by one. The ledger entries go into the same transaction as the bid, as everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    TextClause,
    and_,
    bindparam,
    func,
    insert,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from auction.accounts.models import BidderKey
from auction.bidding.models import Application, ApplicationStatus, AuctionClock, Bid, BidStatus
from auction.clock import as_utc
from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.models import ChainHead, PendingEntry
from auction.lots.models import AuctionFormat, Lot, LotState

LOTS = cast(Table, Lot.__table__)
CLOCKS = cast(Table, AuctionClock.__table__)
HEADS = cast(Table, ChainHead.__table__)
PENDING = cast(Table, PendingEntry.__table__)
APPLICATIONS = cast(Table, Application.__table__)
BIDS = cast(Table, Bid.__table__)
KEYS = cast(Table, BidderKey.__table__)


class LostRace(RuntimeError):
    """A guarded write found the state changed under the lot's lock: someone wrote the lot without it (a bug)."""


@dataclass(frozen=True, slots=True)
class LotTitles:
    """What a notice needs to name the lot (auction.notifications.HasTitles)."""

    id: int
    title_ky: str | None
    title_ru: str | None
    title_en: str | None


@dataclass(frozen=True, slots=True)
class RunningClock:
    opened_at: datetime
    closes_at: datetime
    latest_close: datetime
    current_price: int | None
    leader: str | None


@dataclass(frozen=True, slots=True)
class Head:
    """The chain's latest entry: the next one follows it."""

    lot_seq: int
    head_hash: str
    admitted_at: datetime


@dataclass(frozen=True, slots=True)
class Participant:
    """The bidder's application on the lot."""

    id: int
    status: ApplicationStatus
    pseudonym: str
    keys: list[dict[str, Any]]
    last_seq: int


@dataclass(frozen=True, slots=True)
class EarlierBid:
    """The bid already placed with this idempotency key (on any lot)."""

    request_hash: str
    placed_at: datetime
    receipt: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LockedLot:
    """Everything an open bid's admission reads, as one statement read it under the lot's row lock."""

    titles: LotTitles
    format: AuctionFormat
    state: LotState
    starting_price: int
    bid_step: int
    soft_close_minutes: int
    clock: RunningClock | None
    head: Head | None
    application: Participant | None
    earlier: EarlierBid | None
    active_keys: frozenset[str]
    outbid_account: int | None  # the account behind the current leader's pseudonym
    backlog: int
    next_bid_id: int | None  # PostgreSQL: the id the bid will get, so that its receipt is written with it


def _scalar(query: Any) -> Any:
    return query.scalar_subquery()


async def lock_lot(
    session: AsyncSession, ledger: LedgerWriter, lot_id: int, bidder_id: int, key: str
) -> LockedLot | None:
    """The lot row-locked until the transaction ends, with all an open bid reads; None if there is no such lot."""
    connection = await session.connection()
    leader_app = APPLICATIONS.alias("leader_application")
    active = _scalar(
        select(func.aggregate_strings(KEYS.c.key_id, ",")).where(
            KEYS.c.user_id == bidder_id, KEYS.c.revoked_at.is_(None)
        )
    )
    next_id: Any = null()
    if connection.dialect.name == "postgresql":
        next_id = func.nextval(func.pg_get_serial_sequence("bids", "id"))
    query = (
        select(
            LOTS.c.id,
            LOTS.c.title_ky,
            LOTS.c.title_ru,
            LOTS.c.title_en,
            LOTS.c.format,
            LOTS.c.state,
            LOTS.c.starting_price,
            LOTS.c.bid_step,
            LOTS.c.soft_close_minutes,
            CLOCKS.c.opened_at,
            CLOCKS.c.closes_at,
            CLOCKS.c.latest_close,
            CLOCKS.c.current_price,
            CLOCKS.c.leader,
            HEADS.c.lot_seq,
            HEADS.c.head_hash,
            HEADS.c.admitted_at,
            APPLICATIONS.c.id,
            APPLICATIONS.c.status,
            APPLICATIONS.c.pseudonym,
            APPLICATIONS.c["keys"],
            APPLICATIONS.c.last_seq,
            BIDS.c.request_hash,
            BIDS.c.placed_at,
            BIDS.c.receipt,
            active,
            leader_app.c.bidder_id,
            ledger.backlog(),
            next_id,
        )
        .select_from(
            LOTS.outerjoin(CLOCKS, CLOCKS.c.lot_id == LOTS.c.id)
            .outerjoin(HEADS, HEADS.c.chain_key == LOTS.c.id)
            .outerjoin(APPLICATIONS, and_(APPLICATIONS.c.lot_id == LOTS.c.id, APPLICATIONS.c.bidder_id == bidder_id))
            .outerjoin(BIDS, and_(BIDS.c.bidder_id == bidder_id, BIDS.c.idempotency_key == key))
            .outerjoin(leader_app, and_(leader_app.c.lot_id == LOTS.c.id, leader_app.c.pseudonym == CLOCKS.c.leader))
        )
        .where(LOTS.c.id == lot_id)
    )
    # The lock first, in a statement of its own: a statement that waited for a row lock sees the other tables as
    # they were before it waited (READ COMMITTED re-reads only the locked row), so the read must come after.
    if (await connection.execute(select(LOTS.c.id).where(LOTS.c.id == lot_id).with_for_update())).first() is None:
        return None
    row = (await connection.execute(query)).one()
    (
        lot_key,
        title_ky,
        title_ru,
        title_en,
        fmt,
        state,
        starting,
        step,
        soft_close,
        opened,
        closes,
        latest,
        price,
        leader,
        seq,
        head_hash,
        head_at,
        app_id,
        status,
        pseudonym,
        keys,
        last_seq,
        earlier_hash,
        earlier_at,
        earlier_receipt,
        active_keys,
        outbid,
        backlog,
        bid_id,
    ) = row
    return LockedLot(
        titles=LotTitles(lot_key, title_ky, title_ru, title_en),
        format=fmt,
        state=state,
        starting_price=starting,
        bid_step=step,
        soft_close_minutes=soft_close,
        clock=None if opened is None else RunningClock(as_utc(opened), as_utc(closes), as_utc(latest), price, leader),
        head=None if seq is None else Head(seq, head_hash, as_utc(head_at)),
        application=None if app_id is None else Participant(app_id, status, pseudonym, list(keys or []), last_seq),
        earlier=None if earlier_hash is None else EarlierBid(earlier_hash, as_utc(earlier_at), earlier_receipt),
        active_keys=frozenset(active_keys.split(",")) if active_keys else frozenset(),
        outbid_account=outbid,
        backlog=int(backlog or 0),
        next_bid_id=bid_id,
    )


@dataclass(frozen=True, slots=True)
class OpenBidWrite:
    """What an admitted open bid changes, computed in memory from the locked read."""

    lot_id: int
    bidder_id: int
    application_id: int
    last_seq: int  # the application's sequence before this bid
    previous_head: Head | None
    entries: Sequence[Admitted]  # the bid's entry, then the extension's if the bid extended the close
    amount: int
    pseudonym: str
    closes_at: datetime
    idempotency_key: str
    request_hash: str
    receipt: dict[str, Any]  # the bid's receipt, without its id when the id is not known yet


def _statements(change: OpenBidWrite, bid_id: int | None) -> tuple[Any, Any, Any, Any, Any]:
    last = change.entries[-1]
    head_values = {"lot_seq": last.lot_seq, "head_hash": last.body_hash, "admitted_at": last.admitted_at}
    if change.previous_head is None:
        head: Any = insert(HEADS).values(chain_key=change.lot_id, **head_values)
    else:
        head = (
            update(HEADS)
            .where(HEADS.c.chain_key == change.lot_id, HEADS.c.lot_seq == change.previous_head.lot_seq)
            .values(**head_values)
        )
    pending = insert(PENDING).values(
        [
            {
                "chain_key": change.lot_id,
                "lot_seq": entry.lot_seq,
                "kind": entry.kind,
                "body": entry.body,
                "body_hash": entry.body_hash,
                "admitted_at": entry.admitted_at,
            }
            for entry in change.entries
        ]
    )
    application = (
        update(APPLICATIONS)
        .where(APPLICATIONS.c.id == change.application_id, APPLICATIONS.c.last_seq == change.last_seq)
        .values(last_seq=change.last_seq + 1)
    )
    # The guard is the rule itself: the price only rises, and only while the lot runs.
    clock = (
        update(CLOCKS)
        .where(
            CLOCKS.c.lot_id == change.lot_id,
            CLOCKS.c.closed_at.is_(None),
            or_(CLOCKS.c.current_price.is_(None), CLOCKS.c.current_price < change.amount),
        )
        .values(
            current_price=change.amount,
            leader=change.pseudonym,
            closes_at=change.closes_at,
            bid_count=CLOCKS.c.bid_count + 1,
        )
    )
    receipt = change.receipt if bid_id is None else {**change.receipt, "bid_id": bid_id}
    bid_values: dict[str, Any] = {
        "lot_id": change.lot_id,
        "bidder_id": change.bidder_id,
        "pseudonym": change.pseudonym,
        "amount": change.amount,
        "status": BidStatus.STANDING,
        "placed_at": change.entries[0].admitted_at,
        "idempotency_key": change.idempotency_key,
        "request_hash": change.request_hash,
        "body_hash": change.entries[0].body_hash,
        "receipt": receipt,
    }
    if bid_id is not None:
        bid_values["id"] = bid_id
    bid = insert(BIDS).values(**bid_values)
    return head, pending, application, clock, bid


def _one_statement_write(head_is_new: bool, entries: int) -> TextClause:
    """The PostgreSQL write of one shape (is the chain's head new; how many entries), as one fixed SQL text.

    Fixed text with named binds, so that SQLAlchemy compiles it once and asyncpg prepares it once per connection:
    a Core statement with a multi-row VALUES compiles per bid, under the lot's lock. Every write is a CTE; the
    SELECT answers how many rows each one hit, which the caller compares with what the guards expect.
    """
    binds = [
        bindparam("lot_id", type_=HEADS.c.chain_key.type),
        bindparam("head_seq", type_=HEADS.c.lot_seq.type),
        bindparam("head_hash", type_=HEADS.c.head_hash.type),
        bindparam("head_at", type_=HEADS.c.admitted_at.type),
        bindparam("application_id", type_=APPLICATIONS.c.id.type),
        bindparam("last_seq", type_=APPLICATIONS.c.last_seq.type),
        bindparam("next_seq", type_=APPLICATIONS.c.last_seq.type),
        bindparam("amount", type_=CLOCKS.c.current_price.type),
        bindparam("pseudonym", type_=BIDS.c.pseudonym.type),
        bindparam("closes_at", type_=CLOCKS.c.closes_at.type),
        bindparam("bid_id", type_=BIDS.c.id.type),
        bindparam("bidder_id", type_=BIDS.c.bidder_id.type),
        bindparam("status", type_=BIDS.c.status.type),
        bindparam("placed_at", type_=BIDS.c.placed_at.type),
        bindparam("idempotency_key", type_=BIDS.c.idempotency_key.type),
        bindparam("request_hash", type_=BIDS.c.request_hash.type),
        bindparam("body_hash", type_=BIDS.c.body_hash.type),
        bindparam("receipt", type_=BIDS.c.receipt.type),
    ]
    rows = []
    for n in range(entries):
        binds += [
            bindparam(f"entry_seq_{n}", type_=PENDING.c.lot_seq.type),
            bindparam(f"entry_kind_{n}", type_=PENDING.c.kind.type),
            bindparam(f"entry_body_{n}", type_=PENDING.c.body.type),
            bindparam(f"entry_hash_{n}", type_=PENDING.c.body_hash.type),
            bindparam(f"entry_at_{n}", type_=PENDING.c.admitted_at.type),
        ]
        rows.append(f"(:lot_id, :entry_seq_{n}, :entry_kind_{n}, :entry_body_{n}, :entry_hash_{n}, :entry_at_{n})")
    if head_is_new:
        head = (
            "INSERT INTO ledger_heads (chain_key, lot_seq, head_hash, admitted_at) "
            "VALUES (:lot_id, :head_seq, :head_hash, :head_at) RETURNING 1"
        )
    else:
        binds.append(bindparam("previous_seq", type_=HEADS.c.lot_seq.type))
        head = (
            "UPDATE ledger_heads SET lot_seq = :head_seq, head_hash = :head_hash, admitted_at = :head_at "
            "WHERE chain_key = :lot_id AND lot_seq = :previous_seq RETURNING 1"
        )
    # The tables' names are written out, not formatted in: the text is a constant but for the entries' rows.
    sql = (
        "WITH head_moved AS (" + head + "), "  # noqa: S608 (the parts are constants of this module)
        "entries_queued AS (INSERT INTO ledger_pending (chain_key, lot_seq, kind, body, body_hash, admitted_at) "
        "VALUES " + ", ".join(rows) + " RETURNING id), "
        "sequence_moved AS (UPDATE applications SET last_seq = :next_seq "
        "WHERE id = :application_id AND last_seq = :last_seq RETURNING 1), "
        # The guard is the rule itself: the price only rises, and only while the lot runs.
        "clock_moved AS (UPDATE auction_clocks SET current_price = :amount, leader = :pseudonym, "
        "closes_at = :closes_at, bid_count = bid_count + 1 "
        "WHERE lot_id = :lot_id AND closed_at IS NULL AND (current_price IS NULL OR current_price < :amount) "
        "RETURNING 1), "
        "bid_placed AS (INSERT INTO bids (id, lot_id, bidder_id, pseudonym, amount, status, placed_at, "
        "idempotency_key, request_hash, body_hash, receipt) VALUES (:bid_id, :lot_id, :bidder_id, :pseudonym, "
        ":amount, :status, :placed_at, :idempotency_key, :request_hash, :body_hash, :receipt) RETURNING id) "
        "SELECT (SELECT count(*) FROM head_moved), (SELECT count(*) FROM entries_queued), "
        "(SELECT count(*) FROM sequence_moved), (SELECT count(*) FROM clock_moved), (SELECT count(*) FROM bid_placed)"
    )
    return text(sql).bindparams(*binds)


# An open bid admits one entry, or two when it extends the close (soft close); the head is new only on a chain's
# first entry. Built once, at import: the same objects every bid, so one compiled form and one prepared statement.
ONE_STATEMENT_WRITES = {
    (head_is_new, entries): _one_statement_write(head_is_new, entries)
    for head_is_new in (False, True)
    for entries in (1, 2)
}


def _one_statement_values(change: OpenBidWrite, bid_id: int) -> dict[str, Any]:
    last = change.entries[-1]
    values: dict[str, Any] = {
        "lot_id": change.lot_id,
        "head_seq": last.lot_seq,
        "head_hash": last.body_hash,
        "head_at": last.admitted_at,
        "application_id": change.application_id,
        "last_seq": change.last_seq,
        "next_seq": change.last_seq + 1,
        "amount": change.amount,
        "pseudonym": change.pseudonym,
        "closes_at": change.closes_at,
        "bid_id": bid_id,
        "bidder_id": change.bidder_id,
        "status": BidStatus.STANDING,
        "placed_at": change.entries[0].admitted_at,
        "idempotency_key": change.idempotency_key,
        "request_hash": change.request_hash,
        "body_hash": change.entries[0].body_hash,
        "receipt": {**change.receipt, "bid_id": bid_id},
    }
    if change.previous_head is not None:
        values["previous_seq"] = change.previous_head.lot_seq
    for n, entry in enumerate(change.entries):
        values[f"entry_seq_{n}"] = entry.lot_seq
        values[f"entry_kind_{n}"] = entry.kind
        values[f"entry_body_{n}"] = entry.body
        values[f"entry_hash_{n}"] = entry.body_hash
        values[f"entry_at_{n}"] = entry.admitted_at
    return values


async def write_open_bid(session: AsyncSession, change: OpenBidWrite, bid_id: int | None) -> int:
    """Write the bid, its ledger entries, the clock and the bidder's sequence; the bid's id. ``LostRace`` if a
    guard finds the state other than the locked read saw it (the caller's transaction is then rolled back)."""
    connection = await session.connection()
    shape = (change.previous_head is None, len(change.entries))
    if connection.dialect.name == "postgresql" and bid_id is not None and shape in ONE_STATEMENT_WRITES:
        # One round trip: every write a CTE of one statement, which answers how many rows each guarded one hit.
        statement = ONE_STATEMENT_WRITES[shape]
        row = (await connection.execute(statement, _one_statement_values(change, bid_id))).one()
        if tuple(row) != (1, len(change.entries), 1, 1, 1):
            raise LostRace(f"lot {change.lot_id}: guarded writes hit {tuple(row)}")
    else:
        head, pending, application, clock, bid = _statements(change, bid_id)
        for statement in (head, application, clock):
            if (await connection.execute(statement)).rowcount != 1:
                raise LostRace(f"lot {change.lot_id}: a guarded write found the lot changed")
        await connection.execute(pending)
        if bid_id is None:
            bid_id = (await connection.execute(bid.returning(BIDS.c.id))).scalar_one()
            receipt = {**change.receipt, "bid_id": bid_id}
            await connection.execute(update(BIDS).where(BIDS.c.id == bid_id).values(receipt=receipt))
        else:
            await connection.execute(bid)
    # Objects this session may hold of the rows just written would be stale: let the next use reload them.
    for cls, pk in ((AuctionClock, change.lot_id), (ChainHead, change.lot_id), (Application, change.application_id)):
        held = session.identity_map.get(identity_key(cls, pk))
        if held is not None:
            session.expire(held)
    return bid_id
