"""A lot's public page (with the visitor's bidding panel) and the history of its published terms."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.lots.service import LotService
from web.bidding.views import BiddingDesk
from web.lib.rendering import render
from web.lib.visitor import Visitor
from web.lots.lot_page import render_lot_page
from web.lots.views import version_history


class LotPages(Controller):
    @get("/lots/{lot_id:int}", name="lot")
    async def lot(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        bidding_desk: NamedDependency[BiddingDesk],
    ) -> Template:
        lot = await lot_service.get(lot_id, viewer=visitor.user)
        return await render_lot_page(request, visitor, lot_service, bidding_desk, lot)

    @get("/lots/{lot_id:int}/versions", name="lot_versions")
    async def versions(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
    ) -> Template:
        lot = await lot_service.get(lot_id, viewer=visitor.user)
        history = version_history(await lot_service.versions(lot_id))
        return render(request, "lots/versions.html.jinja2", lot=lot, history=history)
