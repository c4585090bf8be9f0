"""Reading the municipal hierarchy and seeding the pilot."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role, User
from auction.accounts.permissions import require_role
from auction.errors import NotFound
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.municipal_rules import MUNICIPALITY_RULES_KIND, MunicipalRules
from auction.municipalities.models import Municipality, MunicipalityLevel
from auction.municipalities.pilot import PILOT


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """The municipal hierarchy as filters show it: the regions, and every other place under its region."""

    regions: list[Municipality]
    by_region: dict[int, list[Municipality]]
    by_id: dict[int, Municipality]

    def region_of(self, place: Municipality) -> Municipality | None:
        """The region ``place`` lies in, however deep; None for a region itself (or a place without one)."""
        top = place
        while top.parent_id is not None and top.parent_id in self.by_id:
            top = self.by_id[top.parent_id]
        return top if top is not place else None

    def descendants(self, municipality_id: int) -> set[int]:
        """The municipality and everything below it (a region's districts, a district's aiyl okmotu)."""
        children: dict[int, list[int]] = {}
        for place in self.by_id.values():
            if place.parent_id is not None:
                children.setdefault(place.parent_id, []).append(place.id)
        found, frontier = {municipality_id}, [municipality_id]
        while frontier:
            frontier = [c for p in frontier for c in children.get(p, []) if c not in found]
            found.update(frontier)
        return found


class MunicipalityService:
    def __init__(self, session: AsyncSession, ledger: LedgerWriter | None = None) -> None:
        self.session = session
        self.ledger = ledger
        # The hierarchy read once per service, that is per request: a page names many places (filters, cards) and
        # a catalog filter needs a region's descendants, all from one query. Places change only by seeding.
        self._hierarchy: Hierarchy | None = None

    async def set_rules(self, admin: User, municipality_id: int, rules: MunicipalRules) -> Municipality:
        """Change a municipality's rules; the change is a ledger entry, so every later lot is judged by it."""
        require_role(admin, Role.ADMIN)
        if self.ledger is None:
            raise RuntimeError("setting rules needs the ledger")
        found = await self.session.scalar(
            select(Municipality).where(Municipality.id == municipality_id).with_for_update()
        )
        if found is None:
            raise NotFound("municipality.not_found", field="municipality_id", municipality_id=municipality_id)
        found.rules = rules.payload()
        await self.ledger.record(
            MUNICIPALITY_RULES_KIND,
            None,
            f"{admin.role}:{admin.id}",
            {"municipality": found.id, "code": found.code, "rules": rules.payload()},
        )
        await self.session.flush()
        return found

    async def get(self, municipality_id: int) -> Municipality:
        found = await self.session.get(Municipality, municipality_id)
        if found is None:
            raise NotFound("municipality.not_found", field="municipality_id", municipality_id=municipality_id)
        return found

    async def by_reference(self, reference: str) -> Municipality:
        """A municipality by its code (``tokmok``), as addresses name it, or by its number."""
        found = await self.session.scalar(select(Municipality).where(Municipality.code == reference))
        if found is None and reference.isdigit() and len(reference) < 12:
            found = await self.session.get(Municipality, int(reference))
        if found is None:
            raise NotFound("municipality.code_unknown", code=reference[:64])
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
        places = await self.hierarchy()
        if municipality_id not in places.by_id:
            raise NotFound("municipality.not_found", field="municipality_id", municipality_id=municipality_id)
        return places.descendants(municipality_id)

    async def region_of(self, municipality: Municipality) -> Municipality | None:
        current = municipality
        while current.parent_id is not None:
            current = await self.get(current.parent_id)
        return current if current.id != municipality.id else None

    async def seed_pilot(self) -> dict[str, Municipality]:
        """Insert the pilot municipalities that are missing; safe to run repeatedly."""
        self._hierarchy = None  # places are added below
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

    async def hierarchy(self) -> Hierarchy:
        """Every place once, each under the region it belongs to (however deep it sits), in id order; read once
        per service (see ``__init__``)."""
        if self._hierarchy is not None:
            return self._hierarchy
        everything = await self.all()
        by_id = {m.id: m for m in everything}
        places = Hierarchy([m for m in everything if m.level == MunicipalityLevel.REGION], {}, by_id)
        for place in everything:
            region = places.region_of(place)
            if region is not None:
                places.by_region.setdefault(region.id, []).append(place)
        self._hierarchy = places
        return places
