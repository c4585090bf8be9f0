"""Reading the municipal hierarchy and seeding the pilot."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.errors import NotFound
from auction.municipalities.models import Municipality
from auction.municipalities.pilot import PILOT


class MunicipalityService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, municipality_id: int) -> Municipality:
        found = await self.session.get(Municipality, municipality_id)
        if found is None:
            raise NotFound("municipality.not_found", field="municipality_id", municipality_id=municipality_id)
        return found

    async def all(self) -> list[Municipality]:
        return list(await self.session.scalars(select(Municipality).order_by(Municipality.id)))

    async def by_code(self, code: str) -> Municipality:
        found = await self.session.scalar(select(Municipality).where(Municipality.code == code))
        if found is None:
            raise NotFound("municipality.code_unknown", code=code)
        return found

    async def descendants(self, municipality_id: int) -> set[int]:
        """The municipality and everything below it (a region's districts, a district's aiyl okmotu)."""
        await self.get(municipality_id)
        rows = (await self.session.execute(select(Municipality.id, Municipality.parent_id))).all()
        children: dict[int | None, list[int]] = {}
        for child, parent in rows:
            children.setdefault(parent, []).append(child)
        found, frontier = {municipality_id}, [municipality_id]
        while frontier:
            frontier = [c for p in frontier for c in children.get(p, []) if c not in found]
            found.update(frontier)
        return found

    async def region_of(self, municipality: Municipality) -> Municipality | None:
        current = municipality
        while current.parent_id is not None:
            current = await self.get(current.parent_id)
        return current if current.id != municipality.id else None

    async def seed_pilot(self) -> dict[str, Municipality]:
        """Insert the pilot municipalities that are missing; safe to run repeatedly."""
        existing = {m.code: m for m in await self.all()}
        for code, level, parent, ky, ru, en in PILOT:
            if code in existing:
                continue
            parent_id = existing[parent].id if parent else None
            row = Municipality(code=code, level=level, parent_id=parent_id, name_ky=ky, name_ru=ru, name_en=en)
            self.session.add(row)
            await self.session.flush()
            existing[code] = row
        return existing
