"""The public red-flag pages: every flag nationwide grouped by municipality, and one municipality's flags."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.municipalities.service import MunicipalityService
from auction.redflags.rules import BELOW_VALUATION_PERCENT, LATE_WITHDRAWAL_MINUTES, LOT_CODES, RedFlag
from auction.redflags.service import PublicFlags, RedFlagService
from web.ledger.kinds import kind_names
from web.lib.rendering import render
from web.lib.visitor import Visitor
from web.redflags.views import PROOF_API, RED_FLAG_READS


def by_municipality(found: PublicFlags) -> list[tuple[int, list[RedFlag]]]:
    groups: dict[int, list[RedFlag]] = {}
    for flag in found.flags:
        groups.setdefault(flag.municipality, []).append(flag)
    return list(groups.items())


class RedFlagPages(Controller):
    path = "/red-flags"
    dependencies = RED_FLAG_READS

    @get("/", name="red_flags")
    async def index(
        self, request: HTMXRequest, visitor: NamedDependency[Visitor], red_flags: NamedDependency[RedFlagService]
    ) -> Template:
        found = await red_flags.public()
        return render(request, "redflags/index.html.jinja2", unit=None, **_context(found, visitor))

    @get("/{reference:str}", name="red_flags_of_municipality")
    async def of_municipality(
        self,
        request: HTMXRequest,
        reference: Annotated[FromPath[str], Parameter(max_length=64)],
        visitor: NamedDependency[Visitor],
        red_flags: NamedDependency[RedFlagService],
        municipality_service: NamedDependency[MunicipalityService],
    ) -> Template:
        """One municipality's flags (its code, as /statistics/<code> and /municipalities/<code> name it)."""
        unit = await municipality_service.by_code(reference)
        found = await red_flags.public(unit.id)
        return render(request, "redflags/index.html.jinja2", unit=unit, **_context(found, visitor))


def _context(found: PublicFlags, visitor: Visitor) -> dict[str, Any]:
    return {
        "found": found,
        "groups": by_municipality(found),
        "codes": LOT_CODES,
        "kinds": kind_names(visitor.language),
        "proof_api": PROOF_API,
        "below_percent": BELOW_VALUATION_PERCENT,
        "late_minutes": LATE_WITHDRAWAL_MINUTES,
    }
