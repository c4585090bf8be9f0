"""The administrative action log for inspectors (and administrators) at /inspect/admin-log; the same as JSON is in
api.py. Newest first, a page at a time, going back by the id of the last line seen (``before``), so a page does not
shift while new actions are logged."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.admin.service import AdminService
from web.admin.views import LOG_PAGE_SIZE, provide_admin_service
from web.lib.guards import inspectors_only
from web.lib.rendering import render


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
        page, next_before = await admin_service.log(before=before, limit=LOG_PAGE_SIZE)
        return render(request, "admin/log.html.jinja2", actions=page, next_before=next_before, before=before)
