"""The lot stories of a municipality, or of the whole country, read from the signed part of the ledger.

Only entries a signed checkpoint covers are read, as for open data (auction/opendata/service.py): every figure and
flag then rests on entries anyone can prove against a signed tree head. Stories are cached per process by the
covering checkpoint's size (the app keeps one cache per database): the signed part of the log only grows, so a size
names its stories for good.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.ledger.models import LedgerEntry
from auction.ledger.verifier.entry import parse_leaf
from auction.lots.models import Lot
from auction.opendata.release import LedgerFact
from auction.opendata.service import OpenDataService
from auction.statistics.stories import LotStory, lot_story

CACHED_SCOPES = 64  # (size, municipality) pairs kept per process; a nationwide page is one of them


class StoryCache:
    """Stories by (covering checkpoint size, municipality), least recently used first out."""

    def __init__(self, scopes: int = CACHED_SCOPES) -> None:
        self.scopes = scopes
        self._stories: OrderedDict[tuple[int, int | None], list[LotStory]] = OrderedDict()

    def get(self, key: tuple[int, int | None]) -> list[LotStory] | None:
        found = self._stories.get(key)
        if found is not None:
            self._stories.move_to_end(key)
        return found

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
        lots = select(Lot.id)
        if municipality_id is not None:
            lots = lots.where(Lot.municipality_id == municipality_id)
        rows = list(
            await self.session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.chain_key.in_(lots.scalar_subquery()), LedgerEntry.idx < covered)
                .order_by(LedgerEntry.chain_key, LedgerEntry.lot_seq)
            )
        )
        chains: defaultdict[int, list[LedgerEntry]] = defaultdict(list)
        for row in rows:
            chains[row.chain_key].append(row)
        stories = []
        for chain in chains.values():
            story = lot_story(_facts(chain))
            # The chain's own `lot.published` names the municipality; the lots table only narrowed the read.
            if story is not None and (municipality_id is None or story.municipality == municipality_id):
                stories.append(story)
        self.cache.put(key, stories)
        return covered, stories


def _facts(chain: list[LedgerEntry]) -> list[LedgerFact]:
    """A chain's entries as stories read them. Which checkpoint first covers each is left out (None): no story uses
    it, and finding it (OpenDataService.facts) costs two queries per lot, on every new checkpoint of a busy ledger."""
    facts = []
    for entry in chain:
        body = parse_leaf(entry.leaf).body
        assert body.lot is not None
        facts.append(
            LedgerFact(entry.idx, entry.body_hash, None, body.lot, body.lot_seq, body.kind, body.at, body.payload)
        )
    return facts
