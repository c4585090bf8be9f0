"""The public catalog: filters that update the list in place, and keyset pages."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.errors import DomainError
from auction.lots.service import LotService
from web.catalog.forms import parse_catalog_query
from web.catalog.views import Listing, load_listing
from web.lib.rendering import is_htmx, render
from web.lib.visitor import Visitor


class CatalogPages(Controller):
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
            listing = await load_listing(lot_service, query.filters, places, visitor.now, query.cursor)
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
        )
