"""Saved searches as the catalog knows them: from the catalog's parsed query, back to its filter and its link."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from auction.lots.models import AuctionFormat, Deal, LotState, PropertyKind
from auction.lots.service import PUBLIC_STATES, LotFilter
from auction.money import format_som
from auction.municipalities.service import Hierarchy
from auction.watching.rules import SearchFilters
from web.lib.formatting import som_input
from web.lib.i18n.catalogs import N_
from web.lib.i18n.labels import enum_label

UP_TO = N_("up to %(amount)s som")
FROM = N_("from %(amount)s som")
EVERYTHING = N_("Every lot")


def search_filters_of(filters: LotFilter) -> SearchFilters:
    """The catalog's filter (web.catalog.forms.parse_catalog_query) as a saved search."""
    status = next(iter(filters.states)).value if len(filters.states) == 1 else None
    return SearchFilters(
        region_id=filters.region_id,
        municipality_id=filters.municipality_id,
        kind=None if filters.kind is None else filters.kind.value,
        deal=None if filters.deal is None else filters.deal.value,
        format=None if filters.format is None else filters.format.value,
        status=status,
        min_price=filters.min_price,
        max_price=filters.max_price,
        text=filters.text or None,
    )


def lot_filter_of(search: SearchFilters) -> LotFilter:
    """A saved search as the catalog's filter: what the catalog lists for it."""
    return LotFilter(
        region_id=search.region_id,
        municipality_id=search.municipality_id,
        kind=None if search.kind is None else PropertyKind(search.kind),
        deal=None if search.deal is None else Deal(search.deal),
        format=None if search.format is None else AuctionFormat(search.format),
        states=PUBLIC_STATES if search.status is None else frozenset({LotState(search.status)}),
        min_price=search.min_price,
        max_price=search.max_price,
        text=search.text,
    )


def catalog_link(search: SearchFilters) -> str:
    """The catalog's address with the search's filters filled in."""
    values = {
        "q": search.text,
        "region": search.region_id,
        "municipality": search.municipality_id,
        "kind": search.kind,
        "deal": search.deal,
        "format": search.format,
        "status": search.status,
        "min_price": None if search.min_price is None else som_input(search.min_price),
        "max_price": None if search.max_price is None else som_input(search.max_price),
    }
    return "/?" + urlencode({name: value for name, value in values.items() if value not in (None, "")})


def describe(search: SearchFilters, places: Hierarchy, language: str, gettext: Callable[[str], str]) -> str:
    """A short name for a search, from its filters, in the reader's language ("Lease · Naryn · up to 20 000 som")."""
    parts: list[str] = []
    for enum_class, value in (
        (Deal, search.deal),
        (PropertyKind, search.kind),
        (AuctionFormat, search.format),
        (LotState, search.status),
    ):
        if value is not None:
            parts.append(gettext(enum_label(enum_class(value))))
    for area in (search.region_id, search.municipality_id):
        place = places.by_id.get(area) if area is not None else None
        if place is not None:
            parts.append(place.name(language))
    if search.min_price is not None:
        parts.append(gettext(FROM) % {"amount": format_som(search.min_price)})
    if search.max_price is not None:
        parts.append(gettext(UP_TO) % {"amount": format_som(search.max_price)})
    if search.text:
        parts.append(f"“{search.text}”")
    name = " · ".join(parts) or gettext(EVERYTHING)
    return name[:80]
