"""The help page: one page per language, written in it (long prose reads better whole than as gettext pieces)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.municipalities.service import MunicipalityService
from web.lib.rendering import render
from web.lib.visitor import Visitor


class HelpPages(Controller):
    path = "/help"

    @get("/", name="help")
    async def help_page(
        self,
        request: HTMXRequest,
        visitor: NamedDependency[Visitor],
        municipality_service: NamedDependency[MunicipalityService],
    ) -> Template:
        """How to take part, step by step, and whom to ask: the municipalities' contact pages."""
        units = [unit for unit in await municipality_service.all() if unit.owns_property]
        return render(
            request, "help/help.html.jinja2", body=f"help/partials/{visitor.language}.html.jinja2", units=units
        )
