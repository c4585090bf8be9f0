"""My watchlist and my saved searches, the watch button's form on a lot page, and the catalog's "save this search"."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.accounts.models import User
from auction.bidding.live import LiveAuctions
from auction.errors import InvalidInput, NotAuthenticated
from auction.lots.service import LotService
from auction.watching.service import WatchService
from web.catalog.forms import parse_catalog_query
from web.lib.rendering import redirect, render
from web.lib.visitor import Visitor
from web.watching.forms import describe, search_filters_of
from web.watching.views import load_watchlist, search_views


def provide_account(visitor: NamedDependency[Visitor]) -> User:
    """Any signed-in account: a visitor who is not is sent to log in."""
    if visitor.user is None:
        raise NotAuthenticated("auth.login_required")
    return visitor.user


class WatchPages(Controller):
    dependencies = {"account": Provide(provide_account, sync_to_thread=False)}  # noqa: RUF012

    @get("/me/watchlist", name="my_watchlist")
    async def watchlist(
        self,
        request: HTMXRequest,
        account: NamedDependency[User],
        watch_service: NamedDependency[WatchService],
        lot_service: NamedDependency[LotService],
        live_auctions: NamedDependency[LiveAuctions],
    ) -> Template:
        places = await lot_service.municipalities.hierarchy()
        rows = await load_watchlist(lot_service, live_auctions, await watch_service.watched(account), places)
        return render(request, "watching/watchlist.html.jinja2", rows=rows)

    @post("/lots/{lot_id:int}/watch", status_code=303)
    async def watch(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        account: NamedDependency[User],
        watch_service: NamedDependency[WatchService],
        lot_service: NamedDependency[LotService],
    ) -> Response[Any]:
        """Watch (``watch=1``) or stop watching (``watch=0``) a lot, then back to where the form was."""
        lot = await lot_service.get(lot_id, viewer=account)
        if data.get("watch") == "0":
            await watch_service.unwatch(account, lot.id)
        else:
            await watch_service.watch(account, lot)
        back = "/me/watchlist" if data.get("back") == "watchlist" else f"/lots/{lot.id}#watch"
        return redirect(request, back)

    @get("/me/searches", name="my_searches")
    async def searches(
        self, request: HTMXRequest, account: NamedDependency[User], watch_service: NamedDependency[WatchService]
    ) -> Template:
        views = search_views(await watch_service.searches(account))
        return render(request, "watching/searches.html.jinja2", searches=views)

    @post("/me/searches", status_code=303)
    async def save(
        self,
        request: HTMXRequest,
        data: URLEncodedBody[dict[str, str]],
        visitor: NamedDependency[Visitor],
        account: NamedDependency[User],
        watch_service: NamedDependency[WatchService],
        lot_service: NamedDependency[LotService],
    ) -> Response[Any]:
        """The catalog's filters as the catalog reads them, saved under the name given (or one made from them)."""
        query = parse_catalog_query(data, visitor.gettext)
        if query.errors:
            raise InvalidInput("search.filters_invalid", field="filters")
        filters = search_filters_of(query.filters)
        name = (data.get("name") or "").strip()
        if not name:
            name = describe(filters, await lot_service.municipalities.hierarchy(), visitor.language, visitor.gettext)
        await watch_service.save_search(account, name, filters)
        return redirect(request, "/me/searches")

    @post("/me/searches/{search_id:int}/name", status_code=303)
    async def rename(
        self,
        request: HTMXRequest,
        search_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
        account: NamedDependency[User],
        watch_service: NamedDependency[WatchService],
    ) -> Response[Any]:
        await watch_service.rename_search(account, search_id, data.get("name") or "")
        return redirect(request, "/me/searches")

    @post("/me/searches/{search_id:int}/delete", status_code=303)
    async def delete(
        self,
        request: HTMXRequest,
        search_id: FromPath[int],
        account: NamedDependency[User],
        watch_service: NamedDependency[WatchService],
    ) -> Response[Any]:
        await watch_service.delete_search(account, search_id)
        return redirect(request, "/me/searches")
