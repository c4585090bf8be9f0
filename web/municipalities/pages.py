"""A municipality's public contact page: how to reach its asset office, and the lots it has put up."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.lots.service import LotFilter, LotService
from auction.municipalities.service import MunicipalityService
from web.lib.rendering import render
from web.lib.replica import REPLICA_READS
from web.lib.visitor import Visitor

LOTS_SHOWN = 50


class MunicipalityPages(Controller):
    path = "/municipalities"
    # Lag-tolerant public reads: from the replica when one is configured (web.lib.replica).
    dependencies = REPLICA_READS

    @get("/{reference:str}", name="municipality")
    async def contact(
        self,
        request: HTMXRequest,
        reference: Annotated[FromPath[str], Parameter(max_length=64)],
        visitor: NamedDependency[Visitor],
        municipality_service: NamedDependency[MunicipalityService],
        lot_service: NamedDependency[LotService],
    ) -> Template:
        """Address, phone, e-mail, office hours and the responsible officer; then the municipality's lots."""
        unit = await municipality_service.by_reference(reference)
        region = await municipality_service.get(unit.parent_id) if unit.parent_id is not None else None
        lots, more = await lot_service.browse(LotFilter(municipality_id=unit.id), viewer=visitor.user, limit=LOTS_SHOWN)
        return render(
            request, "municipalities/contact.html.jinja2", unit=unit, region=region, lots=lots, more=more is not None
        )
