"""The auction's notices to its participants, queued in the transaction of the event (auction.notifications)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.bidding.models import Application, ApplicationStatus
from auction.lots.models import Lot
from auction.notifications import lot_params, notify
from auction.notifications.outbox import HasTitles


async def tell_participants(
    session: AsyncSession, lot: Lot, bidders: Sequence[int], kind: str, event: str, **more: str | int
) -> None:
    """Notice ``kind`` to the lot's admitted ``bidders`` (``participants``, read once by the caller, which also
    spares them the watchers' notice of the same event); ``event`` names the event once."""
    for bidder_id in bidders:
        await tell(session, lot, bidder_id, kind, event, **more)


async def participants(session: AsyncSession, lot_id: int) -> list[int]:
    """The accounts admitted to bid on the lot: those ``tell_participants`` tells (and its watchers then need not)."""
    bidders = await session.scalars(
        select(Application.bidder_id)
        .where(Application.lot_id == lot_id, Application.status == ApplicationStatus.APPROVED)
        .order_by(Application.id)
    )
    return list(bidders)


async def tell(session: AsyncSession, lot: HasTitles, bidder_id: int, kind: str, event: str, **more: str | int) -> None:
    """Notice ``kind`` about ``lot`` to one account; ``event`` names the event (the account is added)."""
    await notify(
        session,
        account_id=bidder_id,
        kind=kind,
        params=lot_params(lot, **more),
        dedupe_key=f"{kind}:{lot.id}:{event}:{bidder_id}",
    )
