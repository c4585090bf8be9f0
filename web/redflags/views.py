"""What the red-flag pages and API share: the service as a dependency over the app's one story cache."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from auction.errors import NotFound
from auction.redflags.rules import LOT_CODES, Code
from auction.redflags.service import RedFlagService
from auction.statistics.service import StoryCache

PROOF_API = "/api/v1/ledger/proof/inclusion"


def story_cache(state: State) -> StoryCache:
    """The app's one story cache (web.core), shared by every request of the process."""
    cache: StoryCache = state.story_cache
    return cache


def provide_red_flags(read_session: NamedDependency[AsyncSession], state: State) -> RedFlagService:
    return RedFlagService(read_session, story_cache(state))


def public_code(text: str) -> Code:
    """A public flag's code from an address; anything else (a cross-lot code included) is not found here."""
    codes = [code.value for code in LOT_CODES]
    if text not in codes:
        raise NotFound("redflags.code_unknown", field="code", code=text[:40], codes=", ".join(codes))
    return Code(text)
