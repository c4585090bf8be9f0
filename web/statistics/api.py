"""The statistics as JSON: nationwide or one municipality's, the same figures as the pages and CSV files."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from auction.municipalities.service import MunicipalityService
from auction.statistics.service import StatisticsService
from web.lib.error_schemas import api_errors
from web.statistics.pages import statistics_view
from web.statistics.schemas import EXAMPLE, StatisticsOut
from web.statistics.views import STATISTICS_READS


class StatisticsApi(Controller):
    path = "/api/v1/statistics"
    tags = ["open data"]  # noqa: RUF012
    dependencies = STATISTICS_READS

    @get(
        "/",
        summary="Statistics: lots by outcome, revenue against starting price and valuation, lease income, per year",
        description=(
            "Nationwide, or one municipality's with `?municipality=<code>`. Computed from the lots' ledger chains "
            "as far as a signed checkpoint covers them (`checkpoint_size`), the same figures as the pages "
            "/statistics and /statistics/<code> and their CSV files /statistics.csv and /statistics/<code>.csv. "
            "A lot counts in the year of its publication (Bishkek date); lease rent in the calendar year it was "
            "paid or falls due. Amounts are integer tyiyn; ratios are decimal strings (percentages to 0.1)."
        ),
        responses={
            200: ResponseSpec(
                data_container=StatisticsOut,
                description="The figures of all years and of each year",
                # The model, not the dict: Litestar drops a dict's nulls from /schema ("year": null is the total).
                examples=[
                    Example(
                        summary="A municipality's figures (the demo's Batken)",
                        value=StatisticsOut.model_validate(EXAMPLE),
                    )
                ],
            ),
            **api_errors(404, 422),
        },
        operation_id="Statistics",
    )
    async def statistics(
        self,
        state: State,
        statistics_service: NamedDependency[StatisticsService],
        municipality_service: NamedDependency[MunicipalityService],
        municipality: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> StatisticsOut:
        scope = await municipality_service.by_code(municipality) if municipality else None
        return StatisticsOut.of(await statistics_view(state, statistics_service, municipality_service, scope))
