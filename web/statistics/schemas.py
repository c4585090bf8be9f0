"""What the statistics API answers: the figures of all years and of each year, amounts in tyiyn."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from web.statistics.views import StatisticsView, YearRow


class FiguresOut(BaseModel):
    year: int | None = Field(description="The lots' year of publication (Bishkek date); null: all years.")
    published: int = Field(description="Lots published.")
    sold: int = Field(description="Sales with a concluded contract.")
    leased: int = Field(description="Leases with a concluded contract.")
    failed: int = Field(description="Lots that failed: no winner, or every offer declined or lapsed.")
    cancelled: int
    still_open: int = Field(description="Lots not decided yet, or awarded and waiting for the contract.")
    revenue: int = Field(description="The sales' contract prices, in tyiyn.")
    sales_starting_price: int = Field(description="The same sales' starting prices, in tyiyn.")
    revenue_to_starting_percent: Decimal | None = Field(description="revenue / sales_starting_price, in %, to 0.1.")
    valued_sales: int = Field(description="Sales whose terms record a valuation.")
    valued_revenue: int = Field(description="Their contract prices, in tyiyn.")
    valuation: int = Field(description="Their valuations, in tyiyn.")
    revenue_to_valuation_percent: Decimal | None = Field(description="valued_revenue / valuation, in %, to 0.1.")
    lots_opened: int = Field(
        description="Lots whose bidding is over (sealed bids: opened): a running auction's participants stay secret."
    )
    average_participants: Decimal | None = Field(description="Admitted bidders per lot of `lots_opened`, to 0.01.")
    mean_days_to_contract: Decimal | None = Field(description="Days from publication to contract (Bishkek dates).")
    median_days_to_contract: Decimal | None
    lease_rent_received: int = Field(description="Rent paid in this calendar year (all years: ever), in tyiyn.")
    lease_rent_due: int = Field(description="Rent the leases' schedules make due in this calendar year, in tyiyn.")

    @classmethod
    def of(cls, row: YearRow) -> FiguresOut:
        f = row.figures
        return cls(
            year=row.year,
            published=f.published,
            sold=f.sold,
            leased=f.leased,
            failed=f.failed,
            cancelled=f.cancelled,
            still_open=f.still_open,
            revenue=f.revenue,
            sales_starting_price=f.sales_starting,
            revenue_to_starting_percent=f.revenue_to_starting,
            valued_sales=f.valued_sales,
            valued_revenue=f.valued_revenue,
            valuation=f.valuation,
            revenue_to_valuation_percent=f.revenue_to_valuation,
            lots_opened=f.opened,
            average_participants=f.average_participants,
            mean_days_to_contract=f.mean_days_to_contract,
            median_days_to_contract=f.median_days_to_contract,
            lease_rent_received=row.lease.received,
            lease_rent_due=row.lease.due,
        )


class StatisticsOut(BaseModel):
    municipality: str | None = Field(description="The municipality's code; null: nationwide.")
    checkpoint_size: int = Field(description="The signed checkpoint's size: the figures rest on the entries below it.")
    total: FiguresOut  # all years
    years: list[FiguresOut] = Field(description="One row per year, oldest first.")

    @classmethod
    def of(cls, view: StatisticsView) -> StatisticsOut:
        return cls(
            municipality=view.scope.code if view.scope else None,
            checkpoint_size=view.covered_size,
            total=FiguresOut.of(view.total),
            years=[FiguresOut.of(row) for row in view.year_rows],
        )


# The demo's Batken (`auction demo`), as `GET /api/v1/statistics?municipality=batken` answered; docs/open-data.md
# shows the request. Its later years hold only the leases' rent falling due.
_BATKEN_TOTAL = {
    "year": None,
    "published": 12,
    "sold": 7,
    "leased": 1,
    "failed": 2,
    "cancelled": 0,
    "still_open": 2,
    "revenue": 559_450_000,
    "sales_starting_price": 505_000_000,
    "revenue_to_starting_percent": "110.8",
    "valued_sales": 7,
    "valued_revenue": 559_450_000,
    "valuation": 772_440_000,
    "revenue_to_valuation_percent": "72.4",
    "lots_opened": 11,
    "average_participants": "2.18",
    "mean_days_to_contract": "24.1",
    "median_days_to_contract": "24.0",
    "lease_rent_received": 7_200_000,
    "lease_rent_due": 274_950_000,
}
_NOTHING_PUBLISHED = {
    **dict.fromkeys(_BATKEN_TOTAL, 0),
    **dict.fromkeys(
        (
            "revenue_to_starting_percent",
            "revenue_to_valuation_percent",
            "average_participants",
            "mean_days_to_contract",
            "median_days_to_contract",
        )
    ),
}
EXAMPLE = {
    "municipality": "batken",
    "checkpoint_size": 643,
    "total": _BATKEN_TOTAL,
    "years": [
        {**_BATKEN_TOTAL, "year": 2026, "lease_rent_due": 14_850_000},
        {**_NOTHING_PUBLISHED, "year": 2027, "lease_rent_due": 91_800_000},
    ],
}
