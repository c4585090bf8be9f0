"""The public statistics pages and their CSV files, nationwide and per municipality: no login, like the ledger."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.ledger.verifier.settlement import bishkek_date
from auction.municipalities.models import Municipality
from auction.municipalities.service import MunicipalityService
from auction.statistics.service import StatisticsService
from web.lib.downloads import CSV
from web.lib.rendering import render
from web.lib.visitor import Visitor
from web.statistics.views import STATISTICS_READS, StatisticsView, csv_name, csv_text

CSV_SUFFIX = ".csv"


async def statistics_view(
    state: State,
    statistics_service: StatisticsService,
    municipality_service: MunicipalityService,
    scope: Municipality | None,
    *,
    by_municipality: bool = False,
) -> StatisticsView:
    """The figures of `scope` (None: nationwide); `by_municipality` adds the nationwide page's table."""
    covered, stories = await statistics_service.covered_stories(scope.id if scope else None)
    today = bishkek_date(state.clock.now())
    units = await municipality_service.all() if by_municipality else None
    return StatisticsView.of(stories, today, covered, scope, units)


def csv_response(view: StatisticsView) -> Response[str]:
    name = csv_name(view.scope, view.covered_size)
    return Response(csv_text(view), media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{name}"'})


class StatisticsPages(Controller):
    path = "/"
    # Lag-tolerant public reads: from the replica when one is configured (web.lib.replica).
    dependencies = STATISTICS_READS

    @get("/statistics", name="statistics")
    async def nationwide(
        self,
        request: HTMXRequest,
        state: State,
        visitor: NamedDependency[Visitor],
        statistics_service: NamedDependency[StatisticsService],
        municipality_service: NamedDependency[MunicipalityService],
    ) -> Template:
        view = await statistics_view(state, statistics_service, municipality_service, None, by_municipality=True)
        return render(request, "statistics/index.html.jinja2", view=view)

    @get("/statistics.csv", name="statistics_csv")
    async def nationwide_csv(
        self,
        state: State,
        statistics_service: NamedDependency[StatisticsService],
        municipality_service: NamedDependency[MunicipalityService],
    ) -> Response[str]:
        return csv_response(await statistics_view(state, statistics_service, municipality_service, None))

    @get("/statistics/{reference:str}", name="statistics_municipality")
    async def municipality(
        self,
        request: HTMXRequest,
        state: State,
        reference: Annotated[FromPath[str], Parameter(max_length=68)],
        visitor: NamedDependency[Visitor],
        statistics_service: NamedDependency[StatisticsService],
        municipality_service: NamedDependency[MunicipalityService],
    ) -> Template | Response[str]:
        """A municipality's page (`/statistics/tokmok`), or its CSV file (`/statistics/tokmok.csv`)."""
        code = reference.removesuffix(CSV_SUFFIX)
        unit = await municipality_service.by_code(code)
        view = await statistics_view(state, statistics_service, municipality_service, unit)
        if reference.endswith(CSV_SUFFIX):
            return csv_response(view)
        return render(request, "statistics/index.html.jinja2", view=view)
