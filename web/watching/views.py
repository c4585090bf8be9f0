"""What the watching pages and API show: each watched lot with its state and closing time, each saved search
described and linked to the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auction.bidding.live import LiveAuctions
from auction.clock import as_utc
from auction.lots.models import Lot, LotState
from auction.lots.service import LotService
from auction.municipalities.models import Municipality
from auction.municipalities.service import Hierarchy
from auction.watching.models import SavedSearch, Watch
from auction.watching.rules import SearchFilters
from web.watching.forms import catalog_link


@dataclass(frozen=True, slots=True)
class WatchedLot:
    lot: Lot
    watched_at: datetime
    municipality: Municipality | None
    closes_at: datetime  # the auction clock's close once bidding opened (soft-close extensions included)


@dataclass(frozen=True, slots=True)
class SearchView:
    search: SavedSearch
    filters: SearchFilters
    catalog_url: str


async def load_watchlist(
    lot_service: LotService, live: LiveAuctions, watches: list[Watch], places: Hierarchy
) -> list[WatchedLot]:
    """The watched lots, as watched (latest first); a lot is always public once watched, so none is hidden."""
    lots = {lot.id: lot for lot in await lot_service.some([w.lot_id for w in watches], viewer=None)}
    rows = []
    for watch in watches:
        lot = lots.get(watch.lot_id)
        if lot is None:
            continue
        closes_at = as_utc(lot.bidding_closes_at)
        if lot.state in (LotState.BIDDING, LotState.CLOSED):
            running = await live.state(lot.id)
            closes_at = running.closes_at or closes_at
        rows.append(WatchedLot(lot, as_utc(watch.created_at), places.by_id.get(lot.municipality_id), closes_at))
    return rows


def search_views(searches: list[SavedSearch]) -> list[SearchView]:
    views = []
    for search in searches:
        filters = SearchFilters.from_json(search.filters)
        views.append(SearchView(search, filters, catalog_link(filters)))
    return views
