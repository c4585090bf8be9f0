"""One page of lots with what their cards show: place names, first photo, the deadline that matters now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auction.bidding.live import running_closes
from auction.lots.catalog_order import LotSort
from auction.lots.models import Lot, LotState
from auction.lots.schedule import Deadline, next_deadline
from auction.lots.service import LotFilter, LotService
from auction.municipalities.models import Municipality
from auction.municipalities.service import Hierarchy

PAGE_SIZE = 24


@dataclass(frozen=True, slots=True)
class Card:
    lot: Lot
    municipality: Municipality | None
    photo_url: str | None
    deadline: Deadline | None


@dataclass(frozen=True, slots=True)
class Listing:
    cards: list[Card]
    next_cursor: str | None


async def load_listing(
    service: LotService,
    filters: LotFilter,
    places: Hierarchy,
    now: datetime,
    cursor: str | None,
    sort: LotSort = LotSort.NEWEST,
) -> Listing:
    # The public catalog lists what the public may see, whoever looks: officers find their drafts in the console.
    lots, next_cursor = await service.browse(filters, viewer=None, limit=PAGE_SIZE, cursor=cursor, sort=sort)
    photos = await service.first_photo_ids([lot.id for lot in lots])
    running = await running_closes(service.session, [lot.id for lot in lots if lot.state == LotState.BIDDING])
    cards = [
        Card(
            lot=lot,
            municipality=places.by_id.get(lot.municipality_id),
            photo_url=f"/api/v1/lots/{lot.id}/files/{photos[lot.id]}" if lot.id in photos else None,
            deadline=next_deadline(lot, now, running.get(lot.id)),
        )
        for lot in lots
    ]
    return Listing(cards, next_cursor)
