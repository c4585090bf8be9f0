"""What the pages show of a lot: its text in the reader's language, and the deadline that matters now."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from auction.clock import as_utc
from auction.lots.models import Lot, LotState, LotVersion
from auction.lots.rules import changed_terms

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


class DeadlineKind(enum.StrEnum):
    APPLICATIONS_CLOSE = "applications_close"
    BIDDING_OPENS = "bidding_opens"
    BIDDING_CLOSES = "bidding_closes"


@dataclass(frozen=True, slots=True)
class Deadline:
    kind: DeadlineKind
    at: datetime


def next_deadline(lot: Lot, now: datetime) -> Deadline | None:
    """The next moment in the lot's schedule that a bidder is waiting for, while there is one."""
    steps: tuple[tuple[DeadlineKind, datetime], ...] = ()
    if lot.state == LotState.PUBLISHED:
        steps = (
            (DeadlineKind.APPLICATIONS_CLOSE, as_utc(lot.applications_close_at)),
            (DeadlineKind.BIDDING_OPENS, as_utc(lot.bidding_opens_at)),
        )
    elif lot.state == LotState.BIDDING:
        steps = ((DeadlineKind.BIDDING_CLOSES, as_utc(lot.bidding_closes_at)),)
    for kind, moment in steps:
        if moment > now:
            return Deadline(kind, moment)
    return None


def version_history(versions: list[LotVersion]) -> list[tuple[LotVersion, list[str]]]:
    """Each published version with the names of the terms it changed from the one before."""
    history: list[tuple[LotVersion, list[str]]] = []
    previous: LotVersion | None = None
    for version in versions:
        changed = sorted(changed_terms(previous.terms, version.terms)) if previous else []
        history.append((version, changed))
        previous = version
    return history
