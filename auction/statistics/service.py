"""The lot stories of a municipality, or of the whole country, read from the signed part of the ledger.

Only entries a signed checkpoint covers are read, as for open data (auction/opendata/service.py): every figure and
flag then rests on entries anyone can prove against a signed tree head. Stories are cached per process by the
covering checkpoint's size (the app keeps one cache per database): the signed part of the log only grows, so a size
names its stories for good, and a larger size re-reads only the chains that grew since the size cached before it.
Requests for one scope wait for each other's read instead of each reading every chain when a new checkpoint lands.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, defaultdict
from collections.abc import Collection

from sqlalchemy import ScalarSelect, select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.ledger.models import LedgerEntry
from auction.lots.models import Lot
from auction.opendata.service import OpenDataService, fact
from auction.statistics.stories import LotStory, lot_story

CACHED_SCOPES = 64  # (size, municipality) pairs kept per process; a nationwide page is one of them


class StoryCache:
    """Stories by (covering checkpoint size, municipality), least recently used first out."""

    def __init__(self, scopes: int = CACHED_SCOPES) -> None:
        self.scopes = scopes
        self._stories: OrderedDict[tuple[int, int | None], list[LotStory]] = OrderedDict()
        self._reading: dict[int | None, asyncio.Lock] = {}

    def get(self, key: tuple[int, int | None]) -> list[LotStory] | None:
        found = self._stories.get(key)
        if found is not None:
            self._stories.move_to_end(key)
        return found

    def latest(self, scope: int | None) -> tuple[int, list[LotStory]] | None:
        """The scope's stories of the largest signed size cached, with that size."""
        sizes = [size for size, cached in self._stories if cached == scope]
        if not sizes:
            return None
        return max(sizes), self._stories[max(sizes), scope]

    def reading(self, scope: int | None) -> asyncio.Lock:
        """Held while a scope's stories are read, so that concurrent requests read them once."""
        return self._reading.setdefault(scope, asyncio.Lock())

    def put(self, key: tuple[int, int | None], stories: list[LotStory]) -> None:
        size, scope = key
        # The signed size only grows: a scope's stories of a smaller size are not read again, and a busy ledger's
        # checkpoints would otherwise fill the cache with copies of the whole country's stories.
        for older in [k for k in self._stories if k[1] == scope and k[0] < size]:
            del self._stories[older]
        self._stories[key] = stories
        while len(self._stories) > self.scopes:
            self._stories.popitem(last=False)


class StatisticsService:
    def __init__(self, session: AsyncSession, cache: StoryCache | None = None) -> None:
        self.session = session
        self.cache = cache if cache is not None else StoryCache()
        # The ocid prefix and address play no part in stories: only the covering checkpoints are read through it.
        self.opendata = OpenDataService(session, ocid_prefix="", public_url="")

    async def stories(self, municipality_id: int | None = None) -> list[LotStory]:
        """Every published lot's story in scope (None: nationwide), by lot id, as far as a signed checkpoint covers."""
        return (await self.covered_stories(municipality_id))[1]

    async def covered_stories(self, municipality_id: int | None = None) -> tuple[int, list[LotStory]]:
        """The signed checkpoint's size the stories rest on, and the stories (as `stories`)."""
        covered = await self.opendata.covered_size()
        key = (covered, municipality_id)
        cached = self.cache.get(key)
        if cached is not None:
            return covered, cached
        async with self.cache.reading(municipality_id):
            cached = self.cache.get(key)
            if cached is not None:
                return covered, cached
            earlier = self.cache.latest(municipality_id)
            if earlier is not None and earlier[0] < covered:
                size, kept = earlier
                grown = set(
                    await self.session.scalars(
                        select(LedgerEntry.chain_key)
                        .where(
                            LedgerEntry.idx >= size,
                            LedgerEntry.idx < covered,
                            LedgerEntry.chain_key.in_(self._lots(municipality_id)),
                        )
                        .distinct()
                    )
                )
                by_lot = {story.lot: story for story in kept if story.lot not in grown}
                by_lot.update((story.lot, story) for story in await self._read(municipality_id, covered, grown))
                stories = [by_lot[lot] for lot in sorted(by_lot)]
            else:
                stories = await self._read(municipality_id, covered, None)
            self.cache.put(key, stories)
            return covered, stories

    @staticmethod
    def _lots(municipality_id: int | None) -> ScalarSelect[int]:
        lots = select(Lot.id)
        if municipality_id is not None:
            lots = lots.where(Lot.municipality_id == municipality_id)
        return lots.scalar_subquery()

    async def _read(self, municipality_id: int | None, covered: int, only: Collection[int] | None) -> list[LotStory]:
        """The stories of the scope's chains (of `only` these, when given) from their entries below `covered`."""
        query = (
            select(LedgerEntry).where(LedgerEntry.idx < covered).order_by(LedgerEntry.chain_key, LedgerEntry.lot_seq)
        )
        if only is not None:
            if not only:
                return []
            query = query.where(LedgerEntry.chain_key.in_(sorted(only)))  # already chains of the scope's lots
        else:
            query = query.where(LedgerEntry.chain_key.in_(self._lots(municipality_id)))
        chains: defaultdict[int, list[LedgerEntry]] = defaultdict(list)
        for row in await self.session.scalars(query):
            chains[row.chain_key].append(row)
        stories = []
        for chain in chains.values():
            # Which checkpoint first covers each entry is left out (None): no story uses it, and finding it
            # (OpenDataService._facts) costs two queries per lot, on every new checkpoint of a busy ledger.
            story = lot_story(fact(entry, None) for entry in chain)
            # The chain's own `lot.published` names the municipality; the lots table only narrowed the read.
            if story is not None and (municipality_id is None or story.municipality == municipality_id):
                stories.append(story)
        return stories
