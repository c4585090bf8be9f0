"""The statistics as pages, CSV files and the API show them: one row per year, amounts in tyiyn until printed."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from auction.municipalities.models import Municipality
from auction.statistics.figures import Figures, LeaseYear, Statistics, by_municipality, statistics
from auction.statistics.service import StatisticsService, StoryCache
from auction.statistics.stories import LotStory
from web.lib.formatting import som_decimal
from web.lib.replica import REPLICA_READS

STORY_CACHE = "story_cache"  # the key of the per-app cache in app.state (web.core)


def provide_statistics_service(read_session: NamedDependency[AsyncSession], state: State) -> StatisticsService:
    """The statistics over the app's story cache, for the statistics, red-flag and inspection routes alike."""
    # One cache per app (web.core puts it in app.state), never per module: a process may serve several databases.
    cache: StoryCache = state[STORY_CACHE]
    return StatisticsService(read_session, cache)


STATISTICS_READS = {
    **REPLICA_READS,
    "statistics_service": Provide(provide_statistics_service, sync_to_thread=False),
}


CSV_COLUMNS = (
    "year",
    "published",
    "sold",
    "leased",
    "failed",
    "cancelled",
    "still_open",
    "revenue_som",
    "sales_starting_price_som",
    "revenue_to_starting_percent",
    "valued_sales",
    "valued_revenue_som",
    "valuation_som",
    "revenue_to_valuation_percent",
    "lots_opened",
    "average_participants",
    "mean_days_to_contract",
    "median_days_to_contract",
    "lease_rent_received_som",
    "lease_rent_due_som",
)
ALL_YEARS = "all"


def som_text(tyiyn: int) -> str:
    """An amount in som with two decimals and no grouping (`1234.50`): what spreadsheets read in any locale."""
    return f"{som_decimal(tyiyn):.2f}"


@dataclass(frozen=True, slots=True)
class YearRow:
    """A year's line of the table: the lots published that year and the rent received and due in it."""

    year: int | None  # None: all years
    figures: Figures
    lease: LeaseYear


@dataclass(frozen=True, slots=True)
class MunicipalityRow:
    unit: Municipality
    figures: Figures


@dataclass(frozen=True, slots=True)
class StatisticsView:
    scope: Municipality | None  # None: nationwide
    covered_size: int  # the signed checkpoint's size the figures rest on
    statistics: Statistics
    rows: list[YearRow]  # oldest year first, then all years
    # Nationwide pages only: each municipality that published a lot, by code (the same order in every language).
    municipalities: list[MunicipalityRow]

    @classmethod
    def of(
        cls,
        stories: list[LotStory],
        today: date,
        covered_size: int,
        scope: Municipality | None = None,
        units: list[Municipality] | None = None,
    ) -> StatisticsView:
        found = statistics(stories, today)
        by_year = {figures.year: figures for figures in found.years if figures.year is not None}
        leases = {lease.year: lease for lease in found.lease_income}
        rows = [
            YearRow(year, by_year.get(year) or Figures(year), leases.get(year) or LeaseYear(year))
            for year in sorted(set(by_year) | set(leases))
        ]
        lease_total = LeaseYear(
            0,
            sum(lease.received for lease in found.lease_income),
            sum(lease.due for lease in found.lease_income),
            sum(lease.due_so_far for lease in found.lease_income),
        )
        rows.append(YearRow(None, found.total, lease_total))
        # Only the nationwide page shows the table by municipality: the API, the CSV files and a municipality's page
        # pass no units, and the grouping is not computed for them.
        places = {unit.id: unit for unit in units or []}
        municipalities = (
            [
                MunicipalityRow(places[place], figures)
                for place, figures in by_municipality(stories).items()
                if place in places
            ]
            if places
            else []
        )
        municipalities.sort(key=lambda row: row.unit.code)
        return cls(scope, covered_size, found, rows, municipalities)

    @property
    def year_rows(self) -> list[YearRow]:
        return self.rows[:-1]

    @property
    def total(self) -> YearRow:
        return self.rows[-1]


def _number(value: object) -> str:
    return "" if value is None else str(value)


def csv_text(view: StatisticsView) -> str:
    """A header row, then a row per year and one for all years; amounts in som with two decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in view.rows:
        f = row.figures
        writer.writerow(
            [
                ALL_YEARS if row.year is None else row.year,
                f.published,
                f.sold,
                f.leased,
                f.failed,
                f.cancelled,
                f.still_open,
                som_text(f.revenue),
                som_text(f.sales_starting),
                _number(f.revenue_to_starting),
                f.valued_sales,
                som_text(f.valued_revenue),
                som_text(f.valuation),
                _number(f.revenue_to_valuation),
                f.opened,
                _number(f.average_participants),
                _number(f.mean_days_to_contract),
                _number(f.median_days_to_contract),
                som_text(row.lease.received),
                som_text(row.lease.due),
            ]
        )
    return out.getvalue()


def csv_name(scope: Municipality | None, covered_size: int) -> str:
    """The file's name says whose figures and from which signed ledger size."""
    return f"achyk-statistics-{scope.code if scope else 'kyrgyzstan'}-{covered_size}.csv"
