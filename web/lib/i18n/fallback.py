"""A lot's texts in the reader's language, or the most widely read other language that has them."""

from __future__ import annotations

from typing import NamedTuple

from auction.lots.models import Lot

# When a lot has no text in the reader's language, the most widely read of the others stands in.
FALLBACK_ORDER: dict[str, tuple[str, ...]] = {
    "ky": ("ky", "ru", "en"),
    "ru": ("ru", "ky", "en"),
    "en": ("en", "ru", "ky"),
}


class Localized(NamedTuple):
    """A text and the language it is actually written in, for the element's ``lang`` attribute."""

    text: str
    language: str


def localized(lot: Lot, field: str, language: str) -> Localized | None:
    """``lot.title_<language>`` (or description), falling back to the other languages; None if all are empty."""
    for candidate in FALLBACK_ORDER.get(language, FALLBACK_ORDER["ru"]):
        text = getattr(lot, f"{field}_{candidate}", None)
        if text and text.strip():
            return Localized(text, candidate)
    return None
