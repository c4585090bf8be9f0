"""Money is integer tyiyn (1 som = 100 tyiyn); floats never touch it."""

from __future__ import annotations

from functools import cache

from babel.numbers import get_decimal_symbol, get_group_symbol

TYIYN_PER_SOM = 100
# Ten billion som: more than any municipal lot is worth, and far inside a 64-bit integer.
MAX_TYIYN = 10_000_000_000 * TYIYN_PER_SOM


def format_som(tyiyn: int) -> str:
    """Render an amount as plain text in som with two decimals, e.g. ``1 250 000.00``."""
    sign = "-" if tyiyn < 0 else ""
    som, rest = divmod(abs(tyiyn), TYIYN_PER_SOM)
    return f"{sign}{som:,}.{rest:02d}".replace(",", "\u00a0")


def format_som_number(tyiyn: int, language: str) -> str:
    """``850 000`` or ``1,250.50``: an amount in som with the locale's grouping; tyiyn shown only when there are any.

    The locale's pattern for these languages is ``#,##0.##`` (groups of three): only its symbols come from CLDR,
    read once per language, since babel's ``format_decimal`` costs ~0.1 ms a call and a catalog page shows dozens.
    """
    group, point = _number_symbols(language)
    sign = "-" if tyiyn < 0 else ""
    som, rest = divmod(abs(tyiyn), TYIYN_PER_SOM)
    whole = f"{som:,}".replace(",", group)
    return f"{sign}{whole}{point}{rest:02d}" if rest else f"{sign}{whole}"


@cache
def _number_symbols(language: str) -> tuple[str, str]:
    return get_group_symbol(locale=language), get_decimal_symbol(locale=language)


def parse_som(text: str) -> int:
    """Parse ``"1250.50"`` into tyiyn exactly, refusing more than two decimals."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2:
        raise ValueError(f"{text!r} is not an amount in som such as 1250.50")
    return int(whole) * TYIYN_PER_SOM + int(frac.ljust(2, "0") or 0)
