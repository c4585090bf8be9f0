"""The inspectors' page at /inspection: paste the inspection key, give a purpose, see who is who across lots.

The key lives for this one request: it is read from the form, used, and neither stored, logged nor sent back (the
answer is not cached either). A refusal writes nothing (422 rolls the request back); an answer is shown only with
its `inspection.linked` entry, committed with the response.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.accounts.models import User
from auction.errors import DomainError
from auction.municipalities.service import MunicipalityService
from auction.redflags.inspection import InspectionService, Linked
from auction.redflags.linking import linked_bidders
from auction.redflags.rules import cross_lot_flags
from auction.statistics.service import StatisticsService
from web.ledger.kinds import kind_names
from web.lib.form_errors import FormErrors
from web.lib.guards import inspection_only
from web.lib.rendering import render
from web.lib.replica import provide_read_session
from web.lib.visitor import Visitor
from web.redflags.inspection_views import KEY_FIELD, key_of, provide_inspection_service
from web.statistics.views import provide_statistics_service

# The answer holds what only the key unlocks: no cache, shared or private, may keep it.
NO_STORE = {"Cache-Control": "no-store"}


class InspectionPages(Controller):
    path = "/inspection"
    guards = [inspection_only]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "inspection_service": Provide(provide_inspection_service, sync_to_thread=False),
        # The stories are public and lag-tolerant (a signed checkpoint's), as on /statistics and /red-flags.
        "read_session": Provide(provide_read_session),
        "statistics_service": Provide(provide_statistics_service, sync_to_thread=False),
    }

    @get("/", name="inspection")
    async def form(
        self,
        request: HTMXRequest,
        visitor: NamedDependency[Visitor],
        inspection_service: NamedDependency[InspectionService],
        municipality_service: NamedDependency[MunicipalityService],
    ) -> Template:
        return await _page(request, visitor, inspection_service, municipality_service, values={}, errors=FormErrors())

    @post("/", name="inspection_link")
    async def link(
        self,
        request: HTMXRequest,
        data: URLEncodedBody[dict[str, str]],
        visitor: NamedDependency[Visitor],
        web_user: NamedDependency[User | None],
        inspection_service: NamedDependency[InspectionService],
        municipality_service: NamedDependency[MunicipalityService],
        statistics_service: NamedDependency[StatisticsService],
    ) -> Template:
        values = {"scope": data.get("scope", ""), "purpose": data.get("purpose", "")}  # never the key
        errors = FormErrors()
        try:
            key = key_of(data.get(KEY_FIELD, ""))
            scope = await municipality_service.by_code(values["scope"]) if values["scope"] else None
            # Read before link() locks the platform chain's head, which is held until the response commits.
            stories = await statistics_service.stories(None if scope is None else scope.id)
            linked = await inspection_service.link(web_user, scope, values["purpose"], key)
        except DomainError as refusal:
            errors.add_refusal(refusal, visitor.explain)
            return await _page(
                request, visitor, inspection_service, municipality_service, values, errors, status_code=422
            )
        return await _page(
            request,
            visitor,
            inspection_service,
            municipality_service,
            values,
            errors,
            linked=linked,
            bidders=linked_bidders(linked.links, stories),
            # (link, lot) -> pseudonym: with the table, every row the result hash commits to, so it can be checked.
            pseudonyms={(tag, lot): pseudonym for (lot, pseudonym), tag in linked.links.items()},
            titles={story.lot: story.title(visitor.language) for story in stories},
            # The flags only the links make visible; the per-lot ones are public on their own pages.
            flags=cross_lot_flags(stories, linked.links),
            kinds=kind_names(visitor.language),
        )


async def _page(
    request: HTMXRequest,
    visitor: Visitor,
    inspection_service: InspectionService,
    municipality_service: MunicipalityService,
    values: dict[str, str],
    errors: FormErrors,
    *,
    status_code: int = 200,
    linked: Linked | None = None,
    **context: Any,
) -> Template:
    places = [m for m in await municipality_service.all() if m.owns_property]
    return render(
        request,
        "redflags/inspection.html.jinja2",
        status_code=status_code,
        headers=NO_STORE,
        values=values,
        errors=errors,
        key_field=KEY_FIELD,
        pinned=linked.key_fingerprint if linked is not None else await inspection_service.pinned(),
        scopes=[(m.code, m.name(visitor.language)) for m in sorted(places, key=lambda m: m.code)],
        linked=linked,
        **context,
    )
