"""What the red-flag pages and API share: the service as a dependency over the app's one story cache."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from auction.redflags.service import RedFlagService
from auction.statistics.service import StoryCache

PROOF_API = "/api/v1/ledger/proof/inclusion"
STORY_CACHE = "story_cache"  # the same key web.statistics reads: one cache per app, shared by both


def provide_red_flags(read_session: NamedDependency[AsyncSession], state: State) -> RedFlagService:
    cache: StoryCache = state[STORY_CACHE]
    return RedFlagService(read_session, cache)
