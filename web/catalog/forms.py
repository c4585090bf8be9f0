"""The catalog's filter form, read from the query string into a LotFilter; bad values are reported, not fatal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from auction.lots.catalog_order import LotSort
from auction.lots.models import AuctionFormat, Deal, LotState, PropertyKind
from auction.lots.service import PUBLIC_STATES, LotFilter
from web.lib.fields import Number, SomAmount
from web.lib.form_errors import FormErrors, Translate
from web.lib.i18n.catalogs import N_

FIELDS = ("q", "region", "municipality", "kind", "deal", "format", "status", "min_price", "max_price")
MAX_QUERY_LENGTH = 200
BAD_CHOICE = N_("Choose one of the options.")
BAD_AMOUNT = N_("Enter an amount in som, such as 1250 or 1250.50.")
MESSAGES = {
    "region": BAD_CHOICE,
    "municipality": BAD_CHOICE,
    "status": BAD_CHOICE,
    "min_price": BAD_AMOUNT,
    "max_price": BAD_AMOUNT,
}


@dataclass(frozen=True, slots=True)
class CatalogQuery:
    """The filters as typed (to refill the form), as the service takes them, and any problems."""

    values: dict[str, str]
    filters: LotFilter
    errors: FormErrors
    cursor: str | None
    # The order is not a filter: it changes no result, so it is kept apart from ``values``.
    sort: LotSort = LotSort.NEWEST

    @property
    def is_filtered(self) -> bool:
        return any(self.values.values())

    @property
    def has_more_filters(self) -> bool:
        """Whether a filter other than the text search is in use."""
        return any(value for name, value in self.values.items() if name != "q")


class CatalogFilters(BaseModel):
    """The filters that could be read; a filter left blank (or refused) is None and filters nothing."""

    model_config = ConfigDict(extra="ignore")

    q: str | None = None
    region: Number | None = None
    municipality: Number | None = None
    kind: PropertyKind | None = None
    deal: Deal | None = None
    format: AuctionFormat | None = None
    status: LotState | None = None
    min_price: SomAmount | None = None
    max_price: SomAmount | None = None

    @field_validator("status")
    @classmethod
    def _public(cls, status: LotState | None) -> LotState | None:
        if status == LotState.DRAFT:
            # Drafts are not public; officers see them in their console.
            raise PydanticCustomError("not_public", "Drafts are not public.")
        return status


def parse_catalog_query(params: Mapping[str, str], gettext: Translate) -> CatalogQuery:
    values = {name: str(params.get(name) or "").strip() for name in FIELDS}
    values["q"] = values["q"][:MAX_QUERY_LENGTH]
    errors = FormErrors()
    typed = {name: text for name, text in values.items() if text}
    try:
        read = CatalogFilters.model_validate(typed)
    except ValidationError as invalid:
        errors.add_validation_error(invalid, gettext, overrides=MESSAGES)
        # A bad value is reported and left out; the other filters still apply.
        refused = {str(item["loc"][0]) for item in invalid.errors() if item["loc"]}
        read = CatalogFilters.model_validate({name: text for name, text in typed.items() if name not in refused})
    min_price, max_price = read.min_price, read.max_price
    if min_price is not None and max_price is not None and min_price > max_price:
        errors.add("min_price", gettext(N_("The lowest price is above the highest.")))
        min_price = max_price = None
    filters = LotFilter(
        region_id=read.region,
        municipality_id=read.municipality,
        kind=read.kind,
        deal=read.deal,
        format=read.format,
        states=PUBLIC_STATES if read.status is None else frozenset({read.status}),
        min_price=min_price,
        max_price=max_price,
        text=read.q,
    )
    return CatalogQuery(values, filters, errors, str(params.get("cursor") or "") or None, parse_sort(params))


def parse_sort(params: Mapping[str, str]) -> LotSort:
    """The order asked for; an unknown one (an old link, a hand-edited URL) falls back to the newest first."""
    try:
        return LotSort(str(params.get("sort") or LotSort.NEWEST))
    except ValueError:
        return LotSort.NEWEST


SORT_LABELS = {
    LotSort.NEWEST: N_("Newest first"),
    LotSort.CLOSING_SOON: N_("Closing soon"),
    LotSort.PRICE_LOW: N_("Price: lowest first"),
    LotSort.PRICE_HIGH: N_("Price: highest first"),
}


def sort_options(gettext: Translate) -> list[tuple[str, str]]:
    """The catalog's orders as (value, label) pairs for its sort menu, in the reader's language. The default (the
    newest first) is the empty value, so that a shareable URL names an order only when one was chosen."""
    return [("" if sort == LotSort.NEWEST else sort.value, gettext(label)) for sort, label in SORT_LABELS.items()]
