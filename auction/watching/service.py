"""Watching use cases: watch and unwatch a lot, save, rename and delete searches; each account sees only its own.

The caller owns the transaction. Lots come in as the caller read them (auction.lots.service.LotService.get, which
hides what the viewer may not see): this slice sits below lots, which records its alerts (auction.watching.alerts).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.clock import Clock
from auction.errors import Conflict, InvalidInput, NotFound
from auction.municipalities.service import MunicipalityService
from auction.watching.models import SavedSearch, SearchMatch, Watch
from auction.watching.rules import SearchFilters

# Limits that keep one account from making every publication slow for everyone (each search is matched then).
MAX_SAVED_SEARCHES = 20
MAX_WATCHED_LOTS = 200
NAME_MAX = 80


class WatchService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # --- the watchlist ----------------------------------------------------------------------------------

    async def is_watching(self, user: User, lot_id: int) -> bool:
        found = await self.session.scalar(
            select(Watch.id).where(Watch.account_id == user.id, Watch.lot_id == lot_id).limit(1)
        )
        return found is not None

    async def watch(self, user: User, lot: Any) -> Watch:
        """Put a public lot (an auction.lots.models.Lot the user may see) on the user's watchlist; idempotent."""
        if lot.published_at is None:
            raise Conflict("watch.lot_not_public")
        existing = await self.session.scalar(select(Watch).where(Watch.account_id == user.id, Watch.lot_id == lot.id))
        if existing is not None:
            return existing
        await self._lock_account(user)
        count = await self.session.scalar(select(func.count()).select_from(Watch).where(Watch.account_id == user.id))
        if (count or 0) >= MAX_WATCHED_LOTS:
            raise Conflict("watch.too_many_lots", limit=MAX_WATCHED_LOTS)
        watch = Watch(account_id=user.id, lot_id=lot.id, created_at=self.clock.now())
        self.session.add(watch)
        await self.session.flush()
        return watch

    async def unwatch(self, user: User, lot_id: int) -> bool:
        """Take a lot off the user's watchlist; False if it was not on it."""
        result = await self.session.execute(delete(Watch).where(Watch.account_id == user.id, Watch.lot_id == lot_id))
        return bool(getattr(result, "rowcount", 0))

    async def watched(self, user: User) -> list[Watch]:
        """The user's watchlist, the latest watched first."""
        rows = await self.session.scalars(
            select(Watch).where(Watch.account_id == user.id).order_by(Watch.created_at.desc(), Watch.id.desc())
        )
        return list(rows)

    # --- saved searches ---------------------------------------------------------------------------------

    async def searches(self, user: User) -> list[SavedSearch]:
        rows = await self.session.scalars(
            select(SavedSearch).where(SavedSearch.account_id == user.id).order_by(SavedSearch.id.desc())
        )
        return list(rows)

    async def search(self, user: User, search_id: int) -> SavedSearch:
        """One of the user's own searches; anyone else's is not found, so that its existence stays theirs."""
        found = await self.session.get(SavedSearch, search_id)
        if found is None or found.account_id != user.id:
            raise NotFound("search.not_found", search_id=search_id)
        return found

    async def save_search(self, user: User, name: str, filters: SearchFilters) -> SavedSearch:
        if filters.is_empty:
            raise InvalidInput("search.empty", field="filters")
        for area in (filters.region_id, filters.municipality_id):
            if area is not None:
                await MunicipalityService(self.session).get(area)  # an unknown place: municipality.not_found
        await self._lock_account(user)
        count = await self.session.scalar(
            select(func.count()).select_from(SavedSearch).where(SavedSearch.account_id == user.id)
        )
        if (count or 0) >= MAX_SAVED_SEARCHES:
            raise Conflict("search.too_many", limit=MAX_SAVED_SEARCHES)
        saved = SavedSearch(
            account_id=user.id, name=checked_name(name), filters=filters.to_json(), created_at=self.clock.now()
        )
        self.session.add(saved)
        await self.session.flush()
        return saved

    async def rename_search(self, user: User, search_id: int, name: str) -> SavedSearch:
        saved = await self.search(user, search_id)
        saved.name = checked_name(name)
        await self.session.flush()
        return saved

    async def delete_search(self, user: User, search_id: int) -> None:
        saved = await self.search(user, search_id)
        await self.session.execute(delete(SearchMatch).where(SearchMatch.saved_search_id == saved.id))
        await self.session.delete(saved)
        await self.session.flush()

    async def _lock_account(self, user: User) -> None:
        """Serialise one account's additions (PostgreSQL), so that two at once cannot pass a limit together."""
        await self.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def checked_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= NAME_MAX:
        raise InvalidInput("search.name_invalid", field="name", limit=NAME_MAX)
    return cleaned
