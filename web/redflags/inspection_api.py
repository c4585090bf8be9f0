"""POST /api/v1/inspection/links: the inspection page's linking for inspectors' and administrators' API tokens."""

from __future__ import annotations

from litestar import Controller, Response, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from auction.accounts.models import User
from auction.errors import NotAuthenticated, PermissionDenied
from auction.municipalities.service import MunicipalityService
from auction.redflags.inspection import InspectionService
from web.lib.error_schemas import api_errors
from web.lib.guards import INSPECTOR_ROLES, identified
from web.redflags.inspection_schemas import LinkRequest, LinksOut
from web.redflags.inspection_views import key_of, provide_inspection_service


class InspectionApi(Controller):
    path = "/api/v1/inspection"
    tags = ["inspection"]  # noqa: RUF012
    guards = [identified]  # noqa: RUF012
    dependencies = {"inspection_service": Provide(provide_inspection_service, sync_to_thread=False)}  # noqa: RUF012

    @post(
        "/links",
        summary="Link bidders across lots with the inspection key; the use is recorded in the ledger (inspectors)",
        status_code=200,
        responses=api_errors(401, 403, 404, 409, 422),
    )
    async def links(
        self,
        data: JSONBody[LinkRequest],
        api_user: NamedDependency[User | None],
        inspection_service: NamedDependency[InspectionService],
        municipality_service: NamedDependency[MunicipalityService],
    ) -> Response[LinksOut]:
        if api_user is None:
            raise NotAuthenticated("auth.bearer_required")
        if api_user.role not in INSPECTOR_ROLES:
            raise PermissionDenied("inspection.inspectors_only")
        key = key_of(data.inspection_key)
        scope = await municipality_service.by_code(data.municipality) if data.municipality else None
        linked = await inspection_service.link(api_user, None if scope is None else scope.id, data.purpose, key)
        pinned = await inspection_service.pinned()
        return Response(LinksOut.of(linked, pinned or ""), headers={"Cache-Control": "no-store"})
