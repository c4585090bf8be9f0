"""The public results protocol page: the document as issued into the ledger, its hash and its signatures."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.bidding.results_protocol import ProtocolService
from auction.lots.service import LotService
from web.lib.rendering import render
from web.lib.visitor import Visitor


class ProtocolPages(Controller):
    @get("/lots/{lot_id:int}/protocol", name="lot_protocol")
    async def protocol(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        visitor: NamedDependency[Visitor],
        lot_service: NamedDependency[LotService],
        protocol_service: NamedDependency[ProtocolService],
    ) -> Template:
        """Printable; anyone may read it, and a commission member sees what they are to sign."""
        lot = await lot_service.get(lot_id, viewer=visitor.user)
        view = await protocol_service.get(lot.id)
        municipality = await lot_service.municipalities.get(lot.municipality_id)
        names = await protocol_service.names(view.commission)
        signed_by = {s.member: s for s in view.signatures}
        user = visitor.user
        awaiting_me = user is not None and user.id in view.commission and user.id not in signed_by
        return render(
            request,
            "lots/protocol.html.jinja2",
            lot=lot,
            doc=view.document,
            view=view,
            municipality=municipality,
            members=[(member, names.get(member, ""), signed_by.get(member)) for member in view.commission],
            statement=view.statement(user.id) if awaiting_me and user is not None else None,
        )
