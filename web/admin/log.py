"""The administrative action log for inspectors (and administrators): a page at /inspect/admin-log and its JSON API.

Newest first, a page at a time, going back by the id of the last line seen (``before``), so a page does not shift
while new actions are logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from pydantic import BaseModel, Field

from auction.accounts.models import Role, User
from auction.admin.service import AdminService, LoggedAction
from auction.errors import NotAuthenticated, PermissionDenied
from web.admin.pages import provide_admin_service
from web.lib.error_schemas import api_errors
from web.lib.guards import INSPECTOR_ROLES, inspectors_only
from web.lib.rendering import render

PAGE_SIZE = 50


class ActorOut(BaseModel):
    id: int
    full_name: str
    email: str
    role: Role


class AdminActionOut(BaseModel):
    id: int
    at: datetime = Field(description="When, UTC.")
    action: str = Field(description="What was done: units.imported, account.created, municipality.rules_set, ...")
    target: str = Field(description="What it was done to: a unit's code, an account's e-mail, a file's name.")
    details: dict[str, Any] = Field(description="What changed (docs/municipalities.md); 'via' is console or cli.")
    actor: ActorOut | None = Field(description="The administrator; null: the operator at the server's command line.")

    @classmethod
    def of(cls, logged: LoggedAction) -> AdminActionOut:
        action, actor = logged.action, logged.actor
        return cls(
            id=action.id,
            at=action.at,
            action=str(action.action),
            target=action.target,
            details=action.details,
            actor=None
            if actor is None
            else ActorOut(id=actor.id, full_name=actor.full_name, email=actor.email, role=actor.role),
        )


class AdminLogOut(BaseModel):
    actions: list[AdminActionOut]
    next_before: int | None = Field(description="Pass as ?before= for the next (older) page; null on the last.")


class AdminLogPages(Controller):
    path = "/inspect"
    guards = [inspectors_only]  # noqa: RUF012
    dependencies = {"admin_service": Provide(provide_admin_service, sync_to_thread=False)}  # noqa: RUF012

    @get("/admin-log", name="admin_log")
    async def log(
        self,
        request: HTMXRequest,
        admin_service: NamedDependency[AdminService],
        before: Annotated[int | None, QueryParameter(ge=1)] = None,
    ) -> Template:
        page, next_before = await admin_service.log(before=before, limit=PAGE_SIZE)
        return render(request, "admin/log.html.jinja2", actions=page, next_before=next_before, before=before)


class AdminLogApi(Controller):
    path = "/api/v1/inspect"
    tags = ["inspection"]  # noqa: RUF012
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
        before: Annotated[int | None, QueryParameter(ge=1)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = PAGE_SIZE,
    ) -> AdminLogOut:
        if api_user is None:
            raise NotAuthenticated("auth.bearer_required")
        if api_user.role not in INSPECTOR_ROLES:
            raise PermissionDenied("auth.inspectors_only")
        page, next_before = await admin_service.log(before=before, limit=limit)
        return AdminLogOut(actions=[AdminActionOut.of(logged) for logged in page], next_before=next_before)
