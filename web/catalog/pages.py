"""The public catalog: filters that update the list in place, and keyset pages."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.bidding.live import running_closes
from auction.errors import DomainError
from auction.lots.calendar import HORIZON, calendar_of
from auction.lots.models import LotState
from auction.lots.schedule import closing
from auction.lots.service import LotService
from web.catalog.forms import parse_catalog_query, sort_options
from web.catalog.views import Listing, load_listing
from web.lib.rendering import is_htmx, render
from web.lib.replica import REPLICA_READS
from web.lib.visitor import Visitor


class CatalogPages(Controller):
    # Lag-tolerant public reads: from the replica when one is configured (web.lib.replica).
    dependencies = REPLICA_READS

    @get("/", name="catalog")
    async def catalog(
        self,
        request: HTMXRequest,
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
    ) -> Template:
        """The whole page, or for htmx only the results region (the filters are already on screen)."""
        query = parse_catalog_query(request.query_params, visitor.gettext)
        places = await lot_service.municipalities.hierarchy()
        try:
            listing = await load_listing(lot_service, query.filters, places, visitor.now, query.cursor, query.sort)
        except DomainError as refusal:  # e.g. a hand-edited cursor or an unknown place number
            query.errors.add_refusal(refusal, visitor.explain)
            listing = Listing([], None)
        fragment = is_htmx(request)
        return render(
            request,
            "catalog/results.html.jinja2" if fragment else "catalog/index.html.jinja2",
            # The same URL answers with a page or a fragment: caches must keep them apart.
            headers={"Vary": "HX-Request"},
            query=query,
            places=places,
            listing=listing,
            fragment=fragment,
            sort_options=sort_options(visitor.gettext),
        )

    @get("/calendar", name="calendar")
    async def calendar(
        self,
        request: HTMXRequest,
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
    ) -> Template:
        """The upcoming auctions by day in Bishkek, with the auctions running now first."""
        lots = await lot_service.upcoming(visitor.now, horizon=HORIZON)
        places = await lot_service.municipalities.hierarchy()
        running = await running_closes(lot_service.session, [lot.id for lot in lots if lot.state == LotState.BIDDING])
        return render(
            request,
            "catalog/calendar.html.jinja2",
            calendar=calendar_of(lots, visitor.now),
            places=places,
            closings={lot.id: closing(lot, running.get(lot.id)) for lot in lots},
        )
