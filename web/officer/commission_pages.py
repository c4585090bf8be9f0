"""A commission member's own pages: the key ceremony on a sealed draft and the opening after the close.

The page is a frame for the member's browser code (/static/js/commission.js): it draws the member's key, keeps it
as a file for the member, and signs and posts the messages to the relay API (web/bidding/commission_api.py). The
page itself carries only public data and where to post.
"""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.accounts.models import User
from auction.bidding.opening import SealedLotService
from auction.errors import PermissionDenied
from auction.lots.service import LotService
from web.lib.guards import officers_only
from web.lib.rendering import render
from web.officer.pages import provide_officer


def api_urls(lot_id: int) -> dict[str, str]:
    base = f"/api/lots/{lot_id}"
    return {
        "ceremony": f"{base}/ceremony",
        "key": f"{base}/ceremony/key",
        "dealing": f"{base}/ceremony/dealing",
        "acknowledgement": f"{base}/ceremony/acknowledgement",
        "opening": f"{base}/opening",
        "shares": f"{base}/opening/shares",
    }


class CommissionPages(Controller):
    path = "/commission"
    guards = [officers_only]  # noqa: RUF012
    dependencies = {"officer": Provide(provide_officer, sync_to_thread=False)}  # noqa: RUF012

    @get("/lots/{lot_id:int}/ceremony", name="commission_ceremony")
    async def ceremony(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        lot_service: NamedDependency[LotService],
        sealed_lot_service: NamedDependency[SealedLotService],
    ) -> Template:
        return await _page(request, "ceremony", lot_id, officer, lot_service, sealed_lot_service)

    @get("/lots/{lot_id:int}/opening", name="commission_opening")
    async def opening(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        officer: NamedDependency[User],
        lot_service: NamedDependency[LotService],
        sealed_lot_service: NamedDependency[SealedLotService],
    ) -> Template:
        return await _page(request, "opening", lot_id, officer, lot_service, sealed_lot_service)


async def _page(
    request: HTMXRequest,
    step: str,
    lot_id: int,
    officer: User,
    lot_service: LotService,
    sealed: SealedLotService,
) -> Template:
    lot = await lot_service.get(lot_id, viewer=officer)
    if not await sealed.is_member(officer, lot.id):
        raise PermissionDenied("commission.not_member", user_id=officer.id)
    return render(
        request, "officer/commission_member.html.jinja2", lot=lot, step=step, urls=api_urls(lot.id), member=officer
    )
