"""The watching API (bearer token): my watchlist and my saved searches, each account's own."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from auction.accounts.models import User
from auction.bidding.live import LiveAuctions
from auction.errors import NotAuthenticated
from auction.lots.service import LotService
from auction.watching.models import SavedSearch
from auction.watching.rules import SearchFilters
from auction.watching.service import WatchService
from web.lib.error_schemas import api_errors
from web.lib.guards import identified
from web.watching.forms import catalog_link
from web.watching.schemas import (
    SavedSearchIn,
    SavedSearchOut,
    SearchFiltersOut,
    SearchRename,
    WatchedLotOut,
    WatchOut,
)
from web.watching.views import load_watchlist

READ = api_errors(401)
CHANGE = api_errors(401, 404, 409, 422)


def _caller(user: User | None) -> User:
    if user is None:
        raise NotAuthenticated("auth.bearer_required")
    return user


def search_out(search: SavedSearch) -> SavedSearchOut:
    filters = SearchFilters.from_json(search.filters)
    return SavedSearchOut(
        id=search.id,
        name=search.name,
        filters=SearchFiltersOut.model_validate(
            {name: getattr(filters, name) for name in SearchFiltersOut.model_fields}
        ),
        catalog_url=catalog_link(filters),
        created_at=search.created_at,
    )


class WatchApi(Controller):
    path = "/api/v1/me"
    tags = ["watching"]  # noqa: RUF012
    guards = [identified]  # noqa: RUF012

    @get("/watchlist", summary="My watchlist: each lot with its state and closing time", responses=READ)
    async def watchlist(
        self,
        api_user: NamedDependency[User | None],
        watch_service: NamedDependency[WatchService],
        lot_service: NamedDependency[LotService],
        live_auctions: NamedDependency[LiveAuctions],
    ) -> list[WatchedLotOut]:
        watches = await watch_service.watched(_caller(api_user))
        places = await lot_service.municipalities.hierarchy()
        rows = await load_watchlist(lot_service, live_auctions, watches, places)
        return [
            WatchedLotOut(
                lot_id=row.lot.id,
                state=row.lot.state,
                title=row.lot.title_ky or row.lot.title_ru or row.lot.title_en,
                closes_at=row.closes_at,
                watched_at=row.watched_at,
            )
            for row in rows
        ]

    @put(
        "/watchlist/{lot_id:int}",
        summary="Watch a published lot: be told when bidding opens, is extended, closes, and of the result",
        responses=CHANGE,
    )
    async def watch(
        self,
        lot_id: FromPath[int],
        api_user: NamedDependency[User | None],
        watch_service: NamedDependency[WatchService],
        lot_service: NamedDependency[LotService],
    ) -> WatchOut:
        user = _caller(api_user)
        lot = await lot_service.get(lot_id, viewer=user)
        await watch_service.watch(user, lot)
        return WatchOut(lot_id=lot.id, watching=True)

    @delete("/watchlist/{lot_id:int}", status_code=200, summary="Stop watching a lot", responses=CHANGE)
    async def unwatch(
        self,
        lot_id: FromPath[int],
        api_user: NamedDependency[User | None],
        watch_service: NamedDependency[WatchService],
    ) -> WatchOut:
        await watch_service.unwatch(_caller(api_user), lot_id)
        return WatchOut(lot_id=lot_id, watching=False)

    @get("/searches", summary="My saved searches", responses=READ)
    async def searches(
        self, api_user: NamedDependency[User | None], watch_service: NamedDependency[WatchService]
    ) -> list[SavedSearchOut]:
        return [search_out(search) for search in await watch_service.searches(_caller(api_user))]

    @post(
        "/searches",
        summary="Save the catalog's filters as a search: be told of each new lot that matches (at most 20)",
        responses=CHANGE,
    )
    async def save(
        self,
        data: JSONBody[SavedSearchIn],
        api_user: NamedDependency[User | None],
        watch_service: NamedDependency[WatchService],
    ) -> SavedSearchOut:
        saved = await watch_service.save_search(_caller(api_user), data.name, data.filters.filters())
        return search_out(saved)

    @patch("/searches/{search_id:int}", summary="Rename one of my saved searches", responses=CHANGE)
    async def rename(
        self,
        search_id: FromPath[int],
        data: JSONBody[SearchRename],
        api_user: NamedDependency[User | None],
        watch_service: NamedDependency[WatchService],
    ) -> SavedSearchOut:
        return search_out(await watch_service.rename_search(_caller(api_user), search_id, data.name))

    @delete("/searches/{search_id:int}", status_code=204, summary="Delete one of my saved searches", responses=CHANGE)
    async def delete_search(
        self,
        search_id: FromPath[int],
        api_user: NamedDependency[User | None],
        watch_service: NamedDependency[WatchService],
    ) -> None:
        await watch_service.delete_search(_caller(api_user), search_id)
