"""Pure rules of watching: whether a lot matches a saved search, and which changes of a watched lot are told.

`matches` is the catalog's own filter (auction.lots.service.LotService._filtered with visible_to(None)) in Python,
so that a saved search alerts on exactly the lots the catalog lists for the same filters; the test
tests/integration/test_watching.py holds the two together on one set of lots. No I/O here: the places above a
lot's municipality come in with the lot (`LotFacts.areas`).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

# The catalog reads at most this many words of the text search (LotService._filtered).
MAX_SEARCH_WORDS = 8
DRAFT = "draft"


class WatchedChange(enum.StrEnum):
    """The changes of a watched lot its watchers are told of; the alert's kind is ``watch.<value>``."""

    BIDDING_OPENED = "bidding_opened"
    EXTENDED = "extended"  # a bid in the last minutes moved the close (soft close)
    CLOSED = "closed"
    AWARDED = "awarded"
    FAILED = "failed"
    CANCELLED = "cancelled"


# The lot state a move lands in -> the change watchers are told of (lot states by value: this slice sits below lots).
CHANGE_OF_STATE: Mapping[str, WatchedChange] = {
    "bidding": WatchedChange.BIDDING_OPENED,
    "closed": WatchedChange.CLOSED,
    "awarded": WatchedChange.AWARDED,
    "failed": WatchedChange.FAILED,
    "cancelled": WatchedChange.CANCELLED,
}


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """A saved search: the catalog's filters, every one optional; money in tyiyn, enums by their values.

    ``status`` None means every public state, as in the catalog; ``text`` is matched word by word.
    """

    region_id: int | None = None
    municipality_id: int | None = None
    kind: str | None = None
    deal: str | None = None
    format: str | None = None
    status: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    text: str | None = None

    @property
    def is_empty(self) -> bool:
        """True if it filters nothing: it would match every lot published."""
        return all(getattr(self, f.name) in (None, "") for f in fields(self))

    def to_json(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value not in (None, "")}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SearchFilters:
        known = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in known})


@dataclass(frozen=True, slots=True)
class LotFacts:
    """What matching reads of a lot: its terms, whether it is public, and its place with every unit above it."""

    id: int
    state: str
    public: bool
    areas: frozenset[int]  # the lot's municipality and the district, region ... it lies in
    kind: str
    deal: str
    format: str
    starting_price: int  # tyiyn; a lease's rent for one rent period (a month for monthly rent), as the catalog
    search_text: str  # lower-cased titles, descriptions, address (auction.lots.service.search_text_of)

    @classmethod
    def of(cls, lot: Any, areas: Collection[int]) -> LotFacts:
        """The facts of a lot row (auction.lots.models.Lot, duck-typed: this slice sits below lots)."""
        return cls(
            id=int(lot.id),
            state=str(lot.state),
            public=bool(lot.published_at is not None),
            areas=frozenset(areas),
            kind=str(lot.kind),
            deal=str(lot.deal),
            format=str(lot.format),
            starting_price=int(lot.starting_price),
            search_text=str(lot.search_text or ""),
        )


def search_words(text: str | None) -> list[str]:
    """The words of a text search the catalog looks for, each of which must appear."""
    return (text or "").lower().split()[:MAX_SEARCH_WORDS]


def matches(search: SearchFilters, lot: LotFacts) -> bool:
    """Whether the catalog, asked with these filters by an anonymous visitor, lists this lot."""
    wanted = (
        (search.status, lot.state),
        (search.kind, lot.kind),
        (search.deal, lot.deal),
        (search.format, lot.format),
    )
    return (
        lot.public
        and lot.state != DRAFT
        and all(value is None or value == actual for value, actual in wanted)
        and all(area is None or area in lot.areas for area in (search.region_id, search.municipality_id))
        and (search.min_price is None or lot.starting_price >= search.min_price)
        and (search.max_price is None or lot.starting_price <= search.max_price)
        and all(word in lot.search_text for word in search_words(search.text))
    )


def match_dedupe_key(search_id: int, lot_id: int) -> str:
    return f"search.match:{search_id}:{lot_id}"


def watch_dedupe_key(change: WatchedChange, lot_id: int, account_id: int, moment: str | None = None) -> str:
    """One alert per watcher, lot and change; an extension is told once per new closing time."""
    tail = f":{moment}" if moment else ""
    return f"watch.{change.value}:{lot_id}:{account_id}{tail}"
