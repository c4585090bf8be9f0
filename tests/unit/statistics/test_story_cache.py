"""The stories' cache keeps the scopes read most recently, and the CSV's som are exact text with two decimals."""

from __future__ import annotations

from auction.statistics.service import StoryCache
from auction.statistics.stories import LotStory, lot_story
from tests.unit.statistics.chains import Chain
from web.statistics.views import som_text


def one_story(lot: int) -> list[LotStory]:
    story = lot_story(Chain(lot).published("2026-03-02T04:00:00.000000Z").facts)
    assert story is not None
    return [story]


def test_the_least_recently_read_scope_goes_first() -> None:
    cache = StoryCache(scopes=2)
    nationwide, tokmok, naryn = (10, None), (10, 1), (10, 2)
    cache.put(nationwide, one_story(1))
    cache.put(tokmok, one_story(2))
    assert cache.get(nationwide) is not None  # read again: now the most recent
    cache.put(naryn, one_story(3))
    assert cache.get(tokmok) is None
    assert [s.lot for s in cache.get(nationwide) or []] == [1]
    assert [s.lot for s in cache.get(naryn) or []] == [3]
    # A larger signed size is another key: stories of an older size are never served for it.
    assert cache.get((11, None)) is None


def test_som_text_is_exact() -> None:
    assert [som_text(t) for t in (0, 5, 100, 123_456_78, -150)] == ["0.00", "0.05", "1.00", "123456.78", "-1.50"]


def test_a_larger_signed_size_replaces_the_scopes_older_stories() -> None:
    cache = StoryCache(scopes=8)
    cache.put((10, None), one_story(1))
    cache.put((10, 1), one_story(2))
    cache.put((11, None), one_story(3))
    assert cache.get((10, None)) is None  # the nationwide stories of size 10 are not kept beside those of 11
    assert [s.lot for s in cache.get((10, 1)) or []] == [2]  # another scope's stay
    assert [s.lot for s in cache.get((11, None)) or []] == [3]
