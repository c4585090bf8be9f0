"""The public red flags of a municipality or of the whole country, from the statistics' lot stories.

Only per-lot flags are public: they read one lot's chain, which is public already. Cross-lot flags need the
inspectors' link between pseudonyms and are never computed here (auction/redflags/rules.py, docs/red-flags.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from auction.municipalities.models import Municipality
from auction.redflags.rules import RedFlag, lot_flags
from auction.statistics.service import StatisticsService
from auction.statistics.stories import LotStory


@dataclass(frozen=True, slots=True)
class PublicFlags:
    """The flags in scope, with the stories (titles, formats) and municipalities (names, codes) their cards name."""

    flags: list[RedFlag]  # by municipality, then lot, then the first entry's index
    stories: Mapping[int, LotStory]  # lot id -> story, for the flagged lots
    municipalities: Mapping[int, Municipality]  # id -> municipality, for the flags' municipalities


class RedFlagService:
    def __init__(self, statistics: StatisticsService) -> None:
        self.session = statistics.session
        self.statistics = statistics

    async def public(self, municipality_id: int | None = None) -> PublicFlags:
        """The per-lot flags of every lot in scope (None: nationwide)."""
        stories = await self.statistics.stories(municipality_id)
        flags = [flag.public() for story in stories for flag in lot_flags(story)]
        flags.sort(key=lambda flag: (flag.municipality, flag.lots, flag.evidence[0].index if flag.evidence else 0))
        flagged = {lot for flag in flags for lot in flag.lots}
        ids = {flag.municipality for flag in flags}
        found = list(await self.session.scalars(select(Municipality).where(Municipality.id.in_(ids)))) if ids else []
        return PublicFlags(
            flags,
            {story.lot: story for story in stories if story.lot in flagged},
            {municipality.id: municipality for municipality in found},
        )
