"""One page of lots with what their cards show: place names, first photo, the deadline that matters now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auction.lots.models import Lot
from auction.lots.service import LotFilter, LotService
from auction.municipalities.models import Municipality, MunicipalityLevel
from web.lots.views import Deadline, next_deadline

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


@dataclass(frozen=True, slots=True)
class Places:
    """The municipal hierarchy for the filter form: regions, and every other place under its region."""

    regions: list[Municipality]
    by_region: dict[int, list[Municipality]]
    by_id: dict[int, Municipality]


async def load_places(service: LotService) -> Places:
    everything = await service.municipalities.all()
    by_id = {m.id: m for m in everything}
    by_region: dict[int, list[Municipality]] = {}
    for place in everything:
        top = place
        while top.parent_id is not None and top.parent_id in by_id:
            top = by_id[top.parent_id]
        if top is not place:
            by_region.setdefault(top.id, []).append(place)
    regions = [m for m in everything if m.level == MunicipalityLevel.REGION]
    return Places(regions, by_region, by_id)


async def load_listing(
    service: LotService, filters: LotFilter, places: Places, now: datetime, cursor: str | None
) -> Listing:
    lots, next_cursor = await service.browse(filters, limit=PAGE_SIZE, cursor=cursor)
    photos = await service.first_photo_ids([lot.id for lot in lots])
    cards = [
        Card(
            lot=lot,
            municipality=places.by_id.get(lot.municipality_id),
            photo_url=f"/api/v1/lots/{lot.id}/files/{photos[lot.id]}" if lot.id in photos else None,
            deadline=next_deadline(lot, now),
        )
        for lot in lots
    ]
    return Listing(cards, next_cursor)
