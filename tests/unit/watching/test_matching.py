"""The pure matching rule of saved searches: each filter the catalog has, alone and together, at its edges."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auction.watching.rules import (
    CHANGE_OF_STATE,
    LotFacts,
    SearchFilters,
    WatchedChange,
    match_dedupe_key,
    matches,
    watch_dedupe_key,
)

NARYN, NARYN_REGION, TOKMOK = 7, 3, 11
SOM = 100  # tyiyn
# "A lease in Naryn under 20,000 som a month" and a lot that is exactly that.
WANTED = SearchFilters(municipality_id=NARYN, deal="lease", max_price=20_000 * SOM)
SHOP = LotFacts(
    id=1,
    state="published",
    public=True,
    areas=frozenset({NARYN, NARYN_REGION}),
    kind="premises",
    deal="lease",
    format="open_ascending",
    starting_price=18_500 * SOM,
    search_text="shop premises on lenin street, naryn магазин",
)


def test_the_lease_in_naryn_under_20000_som_a_month_matches() -> None:
    assert matches(WANTED, SHOP)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"starting_price": 20_000 * SOM}, True),  # "up to" includes the amount itself
        ({"starting_price": 20_000 * SOM + 1}, False),  # one tyiyn over
        ({"deal": "sale"}, False),
        ({"areas": frozenset({TOKMOK})}, False),
        ({"public": False}, False),  # never published: never told of
        ({"state": "draft"}, False),
        ({"state": "bidding"}, True),  # any public state when the search names none
        ({"state": "cancelled"}, True),
    ],
)
def test_each_term_of_the_lot_counts(change: dict[str, object], expected: bool) -> None:
    assert matches(WANTED, replace(SHOP, **change)) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        (SearchFilters(region_id=NARYN_REGION), True),  # the region covers the city in it
        (SearchFilters(region_id=TOKMOK), False),
        (SearchFilters(region_id=NARYN_REGION, municipality_id=TOKMOK), False),  # both must hold
        (SearchFilters(kind="premises", format="open_ascending"), True),
        (SearchFilters(kind="land_plot"), False),
        (SearchFilters(format="sealed_bid"), False),
        (SearchFilters(status="published"), True),
        (SearchFilters(status="bidding"), False),
        (SearchFilters(min_price=18_500 * SOM), True),
        (SearchFilters(min_price=18_500 * SOM + 1), False),
        (SearchFilters(text="Lenin  SHOP"), True),  # every word, any case, any order
        (SearchFilters(text="lenin kiosk"), False),
        (SearchFilters(text="МАГАЗИН"), True),  # Cyrillic lower-cases as the catalog's search_text does
        (SearchFilters(text="len"), True),  # part of a word, as the catalog's LIKE does
        (SearchFilters(text="   "), True),  # no words: no text filter
        (SearchFilters(text="a b c d e f g h kiosk"), True),  # the catalog reads the first eight words only
    ],
)
def test_each_filter_as_the_catalog_applies_it(search: SearchFilters, expected: bool) -> None:
    assert matches(search, replace(SHOP, search_text=SHOP.search_text + " a b c d e f g h")) is expected


def test_filters_survive_their_json_and_an_empty_search_is_known() -> None:
    assert SearchFilters.from_json(WANTED.to_json()) == WANTED
    assert WANTED.to_json() == {"municipality_id": NARYN, "deal": "lease", "max_price": 2_000_000}
    assert SearchFilters.from_json({"deal": "sale", "unknown": 1}) == SearchFilters(deal="sale")
    assert SearchFilters().is_empty
    assert SearchFilters(text="").is_empty
    assert not SearchFilters(min_price=0).is_empty


def test_alerts_have_one_key_per_thing_they_tell() -> None:
    assert match_dedupe_key(4, 9) == "search.match:4:9"
    opened = watch_dedupe_key(WatchedChange.BIDDING_OPENED, 9, 2)
    assert opened == "watch.bidding_opened:9:2"
    first = watch_dedupe_key(WatchedChange.EXTENDED, 9, 2, "2026-07-14T06:55:00.000000Z")
    later = watch_dedupe_key(WatchedChange.EXTENDED, 9, 2, "2026-07-14T07:00:00.000000Z")
    assert len({opened, first, later, watch_dedupe_key(WatchedChange.BIDDING_OPENED, 9, 3)}) == 4
    # Publication is told to saved searches, not watchers; every later move of a lot is told to its watchers.
    assert "published" not in CHANGE_OF_STATE
    assert set(CHANGE_OF_STATE.values()) == set(WatchedChange) - {WatchedChange.EXTENDED}
