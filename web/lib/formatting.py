"""Money in som and moments in Asia/Bishkek, written the way each of the site's languages writes them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_decimal

from auction.clock import BISHKEK, as_utc
from auction.money import TYIYN_PER_SOM, format_som_number
from web.lib.i18n.catalogs import N_, translate

NBSP = "\u00a0"


def som_decimal(tyiyn: int) -> Decimal:
    """An amount of tyiyn as an exact Decimal number of som (every amount fits the default 28 digits)."""
    return Decimal(tyiyn) / TYIYN_PER_SOM


def format_som(tyiyn: int, language: str) -> str:
    """``850 000 сом`` or ``1,250.50 som``: the locale's grouping; tyiyn shown only when there are any."""
    return f"{format_som_number(tyiyn, language)}{NBSP}{translate(language, N_('som'))}"


def format_bytes(size: int, language: str) -> str:
    """``10 MB`` or ``64 KB`` (binary units, at most one decimal), the way the reader's language writes them."""
    unit, amount = (N_("MB"), Decimal(size) / 2**20) if size >= 2**20 else (N_("KB"), Decimal(size) / 2**10)
    number = format_decimal(amount, format="#,##0.#", locale=language)
    return f"{number}{NBSP}{translate(language, unit)}"


def som_input(tyiyn: int | None) -> str:
    """An amount as a form field shows it for editing: ``1250.50``, no grouping, read back by parse_som."""
    if tyiyn is None:
        return ""
    som, rest = divmod(tyiyn, TYIYN_PER_SOM)
    return f"{som}.{rest:02d}" if rest else str(som)


def in_bishkek(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(BISHKEK)


# A list page writes the same few deadlines for every visitor, and babel costs ~0.1 ms a moment: remembered.
@lru_cache(maxsize=4096)
def format_moment(moment: datetime | None, language: str) -> str:
    """``June 8, 2026, 3:05 PM`` and its Kyrgyz and Russian forms: long date and short time, in Bishkek."""
    if moment is None:
        return "—"
    local = in_bishkek(moment)
    joiner = str(get_datetime_format("medium", locale=language))  # "{1}, {0}": how the locale joins them
    return joiner.replace("{1}", format_date(local, "long", locale=language)).replace(
        "{0}", format_time(local, "short", locale=language)
    )


def format_clock(moment: datetime, language: str) -> str:
    """``3:05 PM`` or ``15:05``: the time of day in Bishkek, the locale's short form."""
    return format_time(in_bishkek(moment), "short", locale=language)


def format_day(moment: datetime, language: str) -> str:
    return format_date(in_bishkek(moment), "long", locale=language)


def moment_input(moment: datetime | None) -> str:
    """A moment as a ``datetime-local`` field shows it: Bishkek wall-clock time to the minute."""
    return "" if moment is None else in_bishkek(moment).strftime("%Y-%m-%dT%H:%M")


def countdown_text(seconds: int, days_label: str) -> str:
    """``2 d 03:04:05`` (the same shape countdown.js keeps ticking); zero once the moment has passed."""
    days, rest = divmod(max(seconds, 0), 24 * 3600)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"{days}{NBSP}{days_label} {clock}" if days else clock


def iso_utc(moment: datetime) -> str:
    """The machine-readable form for ``<time datetime>`` and the countdown script."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_utc_ms(moment: datetime) -> str:
    """The server's clock to the millisecond, for countdown.js (which parses it with Date.parse)."""
    utc = as_utc(moment)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
