"""A stale open bid is refused without the lot's lock.

Open ascending prices only rise, so a bid below the minimum next bid read at any moment is still below it at every
later moment: the refusal read without the lock is the one the lock would have given, serialised at the read.
Everything else (replays, applications, the format, the state, the clock) is read too, in the same single
statement, so that the early answer is given only when the locked path would have reached the same one: a bid
that would be answered otherwise goes on to the lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role
from auction.bidding.models import Application, ApplicationStatus, AuctionClock, Bid
from auction.clock import as_utc
from auction.errors import InvalidInput
from auction.ledger.models import ChainHead
from auction.ledger.verifier import auction_rules as rules
from auction.lots.models import AuctionFormat, Lot, LotState

LOTS = cast(Table, Lot.__table__)
CLOCKS = cast(Table, AuctionClock.__table__)
HEADS = cast(Table, ChainHead.__table__)
APPLICATIONS = cast(Table, Application.__table__)
BIDS = cast(Table, Bid.__table__)


@dataclass(frozen=True, slots=True)
class Glance:
    """A lot's bidding state as one unlocked read saw it, with what it says about this bidder and this key."""

    format: AuctionFormat
    state: LotState
    starting_price: int
    bid_step: int
    opened_at: datetime | None  # None: no clock yet (not opened)
    closes_at: datetime | None
    current_price: int | None
    head_at: datetime | None  # the lot chain's latest admission time, None before its first entry
    application_status: ApplicationStatus | None
    key_used: bool  # the bidder already used this idempotency key: a replay (or a reuse), for the lock to answer


async def glance(session: AsyncSession, lot_id: int, bidder_id: int, key: str) -> Glance | None:
    """One unlocked statement: the lot, its clock, its chain head, the bidder's application and any use of the key."""
    query = (
        select(
            LOTS.c.format,
            LOTS.c.state,
            LOTS.c.starting_price,
            LOTS.c.bid_step,
            CLOCKS.c.opened_at,
            CLOCKS.c.closes_at,
            CLOCKS.c.current_price,
            HEADS.c.admitted_at,
            APPLICATIONS.c.status,
            BIDS.c.id,
        )
        .select_from(
            LOTS.outerjoin(CLOCKS, CLOCKS.c.lot_id == LOTS.c.id)
            .outerjoin(HEADS, HEADS.c.chain_key == LOTS.c.id)
            .outerjoin(APPLICATIONS, and_(APPLICATIONS.c.lot_id == LOTS.c.id, APPLICATIONS.c.bidder_id == bidder_id))
            .outerjoin(BIDS, and_(BIDS.c.bidder_id == bidder_id, BIDS.c.idempotency_key == key))
        )
        .where(LOTS.c.id == lot_id)
        .limit(1)
    )
    connection = await session.connection()
    row = (await connection.execute(query)).first()
    if row is None:
        return None
    fmt, state, starting, step, opened, closes, price, head_at, status, used = row
    return Glance(
        format=fmt,
        state=state,
        starting_price=starting,
        bid_step=step,
        opened_at=None if opened is None else as_utc(opened),
        closes_at=None if closes is None else as_utc(closes),
        current_price=price,
        head_at=None if head_at is None else as_utc(head_at),
        application_status=status,
        key_used=used is not None,
    )


def stale_refusal(seen: Glance | None, role: Role, amount: int, now: datetime) -> InvalidInput | None:
    """The too-low refusal of an open bid, when the locked path would give exactly it; otherwise None.

    Follows the locked path's order of checks: the lot exists, the key is new, the bidder is an approved
    participant, the lot is an open ascending one now bidding, and its clock is open at the admission time.
    """
    if seen is None or not _would_reach_the_price(seen, role):
        return None
    assert seen.opened_at is not None
    assert seen.closes_at is not None
    at = now if seen.head_at is None else max(now, seen.head_at)
    if not rules.is_open(seen.opened_at, seen.closes_at, at):
        return None
    problem = rules.bid_problem(amount, rules.minimum_next_bid(seen.starting_price, seen.bid_step, seen.current_price))
    if problem is None or problem.code != "bid.too_low":
        return None
    return InvalidInput.of(problem)


def _would_reach_the_price(seen: Glance, role: Role) -> bool:
    """Whether the locked path would get as far as the price: a new key, an approved participant, an open
    ascending lot bidding on its running clock."""
    return (
        not seen.key_used
        and role == Role.BIDDER
        and seen.application_status == ApplicationStatus.APPROVED
        and seen.format == AuctionFormat.OPEN_ASCENDING
        and seen.state == LotState.BIDDING
        and seen.opened_at is not None
        and seen.closes_at is not None
    )
