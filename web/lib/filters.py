"""Jinja filters that write values in the page's language: money, moments, enum words, lot texts."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from jinja2 import pass_context
from jinja2.runtime import Context
from litestar.plugins.jinja import JinjaTemplateEngine

from auction.clock import as_utc
from auction.ledger.verifier.canonical import parse_time
from auction.lots.lease import indexed_rent, rent_per_sqm
from auction.lots.models import Lot
from auction.money_words import som_in_words
from auction.municipalities.models import Municipality
from web.lib.formatting import (
    countdown_text,
    format_clock,
    format_day,
    format_moment,
    format_som,
    iso_utc,
    iso_utc_ms,
    moment_input,
    som_input,
)
from web.lib.i18n.catalogs import DEFAULT_LANGUAGE, LANGUAGES, N_, translate
from web.lib.i18n.fallback import Localized, localized
from web.lib.i18n.labels import enum_label, field_label
from web.lib.i18n.negotiation import language_of


def language_in(context: Context) -> str:
    """The page's language: set by the page renderer, else worked out from the request."""
    language = context.get("lang")
    if language in LANGUAGES:
        return str(language)
    request: Any = context.get("request")
    return language_of(request) if request is not None else DEFAULT_LANGUAGE


@pass_context
def som(context: Context, tyiyn: int | None) -> str:
    return "—" if tyiyn is None else format_som(tyiyn, language_in(context))


@pass_context
def figure(context: Context, value: Decimal | int | None) -> str:
    """A count or a rounded ratio in the page's language (decimal comma in Russian and Kyrgyz); "—" for none."""
    if value is None:
        return "—"
    exponent = value.as_tuple().exponent if isinstance(value, Decimal) else 0
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=language_in(context))


@pass_context
def som_words(context: Context, tyiyn: int | None) -> str:
    """An amount in words in the page's language (auction.money_words), as the bidder confirms it."""
    return "—" if tyiyn is None else som_in_words(tyiyn, language_in(context))


@pass_context
def bishkek(context: Context, moment: datetime | None) -> str:
    return format_moment(moment, language_in(context))


def ledger_time(text: str) -> datetime:
    """A ledger time string (``2026-06-09T06:00:00.000000Z``, as receipts carry them) as a moment."""
    return parse_time(text)


@pass_context
def day(context: Context, moment: datetime) -> str:
    return format_day(moment, language_in(context))


@pass_context
def clock(context: Context, moment: datetime) -> str:
    """The time of day of ``moment`` in Bishkek (beside a day shown once, as in the calendar)."""
    return format_clock(moment, language_in(context))


@pass_context
def countdown(context: Context, moment: datetime) -> str:
    """Time left until ``moment`` by the server's clock, as the page was rendered."""
    now: datetime = context["server_now"]
    left = int((as_utc(moment) - as_utc(now)).total_seconds())
    # NOTE: abbreviation of "days" in a countdown such as "2 d 03:04:05"
    return countdown_text(left, translate(language_in(context), N_("d")))


@pass_context
def label(context: Context, value: enum.Enum | None) -> str:
    return "—" if value is None else translate(language_in(context), enum_label(value))


@pass_context
def field_name(context: Context, name: str) -> str:
    return translate(language_in(context), field_label(name))


@pass_context
def in_language(context: Context, lot: Lot, field: str) -> Localized | None:
    return localized(lot, field, language_in(context))


@pass_context
def place_name(context: Context, municipality: Municipality | None) -> str:
    return "" if municipality is None else municipality.name(language_in(context))


def per_sqm(rent: int | None, area_sqm: Decimal | None) -> int | None:
    """A rent per m² for the same period (tyiyn), to show beside the rent of the whole object; None without area."""
    return None if rent is None else rent_per_sqm(rent, area_sqm)


def rent_in_year(rent: int, indexation_percent: int | None, year: int) -> int:
    """The rent per period in a given lease year under yearly indexation, as the rent schedule computes it."""
    return indexed_rent(rent, indexation_percent, year)


def register_filters(engine: JinjaTemplateEngine) -> None:
    filters = engine.engine.filters
    filters["som"] = som
    filters["som_words"] = som_words
    filters["figure"] = figure
    filters["bishkek"] = bishkek
    filters["day"] = day
    filters["clock"] = clock
    filters["countdown"] = countdown
    filters["label"] = label
    filters["field_name"] = field_name
    filters["in_language"] = in_language
    filters["place_name"] = place_name
    filters["iso"] = iso_utc
    filters["iso_ms"] = iso_utc_ms
    filters["ledger_time"] = ledger_time
    filters["som_input"] = som_input
    filters["moment_input"] = moment_input
    filters["per_sqm"] = per_sqm
    filters["rent_in_year"] = rent_in_year
