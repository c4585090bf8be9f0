"""The catalog's filter form, read from the query string into a LotFilter; bad values are reported, not fatal."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from auction.lots.models import AuctionFormat, Deal, LotState, PropertyKind
from auction.lots.service import PUBLIC_STATES, LotFilter
from auction.money import parse_som
from web.lib.form_errors import FormErrors, Translate
from web.lib.i18n.catalogs import N_

FIELDS = ("q", "region", "municipality", "kind", "deal", "format", "status", "min_price", "max_price")
MAX_QUERY_LENGTH = 200
BAD_CHOICE = N_("Choose one of the options.")
BAD_AMOUNT = N_("Enter an amount in som, such as 1250 or 1250.50.")

E = TypeVar("E", bound=enum.Enum)


@dataclass(frozen=True, slots=True)
class CatalogQuery:
    """The filters as typed (to refill the form), as the service takes them, and any problems."""

    values: dict[str, str]
    filters: LotFilter
    errors: FormErrors
    cursor: str | None

    @property
    def is_filtered(self) -> bool:
        return any(self.values.values())

    @property
    def has_more_filters(self) -> bool:
        """Whether a filter other than the text search is in use."""
        return any(value for name, value in self.values.items() if name != "q")


def parse_catalog_query(params: Mapping[str, str], gettext: Translate) -> CatalogQuery:
    values = {name: str(params.get(name) or "").strip() for name in FIELDS}
    values["q"] = values["q"][:MAX_QUERY_LENGTH]
    errors = FormErrors()
    status = _choice(values, "status", LotState, errors, gettext)
    if status == LotState.DRAFT:
        errors.add("status", gettext(BAD_CHOICE))  # drafts are not public; officers see them in their console
        status = None
    min_price = _amount(values, "min_price", errors, gettext)
    max_price = _amount(values, "max_price", errors, gettext)
    if min_price is not None and max_price is not None and min_price > max_price:
        errors.add("min_price", gettext(N_("The lowest price is above the highest.")))
        min_price = max_price = None
    filters = LotFilter(
        region_id=_number(values, "region", errors, gettext),
        municipality_id=_number(values, "municipality", errors, gettext),
        kind=_choice(values, "kind", PropertyKind, errors, gettext),
        deal=_choice(values, "deal", Deal, errors, gettext),
        format=_choice(values, "format", AuctionFormat, errors, gettext),
        states=PUBLIC_STATES if status is None else frozenset({status}),
        min_price=min_price,
        max_price=max_price,
        text=values["q"] or None,
    )
    return CatalogQuery(values, filters, errors, str(params.get("cursor") or "") or None)


def _choice(values: dict[str, str], name: str, kind: type[E], errors: FormErrors, gettext: Translate) -> E | None:
    if not values[name]:
        return None
    try:
        return kind(values[name])
    except ValueError:
        errors.add(name, gettext(BAD_CHOICE))
        return None


def _number(values: dict[str, str], name: str, errors: FormErrors, gettext: Translate) -> int | None:
    if not values[name]:
        return None
    if not values[name].isdigit():
        errors.add(name, gettext(BAD_CHOICE))
        return None
    return int(values[name])


def _amount(values: dict[str, str], name: str, errors: FormErrors, gettext: Translate) -> int | None:
    if not values[name]:
        return None
    try:
        return parse_som(values[name])
    except ValueError:
        errors.add(name, gettext(BAD_AMOUNT))
        return None
