"""The administrative action log as JSON, for inspectors' and administrators' API tokens."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from auction.accounts.models import INSPECTOR_ROLES, User
from auction.admin.service import AdminService
from auction.errors import NotAuthenticated, PermissionDenied
from web.admin.schemas import AdminActionOut, AdminLogOut
from web.admin.views import LOG_PAGE_SIZE, provide_admin_service
from web.lib.error_schemas import api_errors
from web.lib.fields import DB_INT_MAX
from web.lib.guards import identified


class AdminLogApi(Controller):
    path = "/api/v1/inspect"
    tags = ["inspection"]  # noqa: RUF012
    guards = [identified]  # noqa: RUF012
    dependencies = {"admin_service": Provide(provide_admin_service, sync_to_thread=False)}  # noqa: RUF012

    @get(
        "/admin-log",
        summary="The administrative action log, newest first (inspectors and administrators)",
        responses=api_errors(401, 403, 422),
    )
    async def log(
        self,
        api_user: NamedDependency[User | None],
        admin_service: NamedDependency[AdminService],
        before: Annotated[int | None, QueryParameter(ge=1, le=DB_INT_MAX)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = LOG_PAGE_SIZE,
    ) -> AdminLogOut:
        if api_user is None:
            raise NotAuthenticated("auth.bearer_required")
        if api_user.role not in INSPECTOR_ROLES:
            raise PermissionDenied("auth.inspectors_only")
        page, next_before = await admin_service.log(before=before, limit=limit)
        return AdminLogOut(actions=[AdminActionOut.of(logged) for logged in page], next_before=next_before)
