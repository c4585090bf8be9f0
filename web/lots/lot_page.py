"""The public lot page as a whole: its terms, files and places, and the visitor's bidding panel.

Bidding forms posted without JavaScript come back to this page with their problems, so it is built here
rather than in one handler.
"""

from __future__ import annotations

from typing import Any

from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.bidding.live import running_closes
from auction.contracts.service import ContractService
from auction.lots.models import FileKind, Lot
from auction.lots.schedule import closing, next_deadline
from auction.lots.service import LotService
from auction.watching.service import WatchService
from web.bidding.forms import new_idempotency_key
from web.bidding.views import BiddingDesk, BiddingPanel
from web.lib.form_errors import FormErrors
from web.lib.rendering import render
from web.lib.visitor import Visitor


def panel_context(panel: BiddingPanel, **forms: Any) -> dict[str, Any]:
    """The panel and its forms' state: problems to show, what was typed, a fresh retry key per rendering."""
    return {
        "lot": panel.lot,
        "panel": panel,
        "apply_errors": FormErrors(),
        "bid_errors": FormErrors(),
        "award_errors": FormErrors(),
        "runoff_errors": FormErrors(),
        "bid_values": {},
        "runoff_values": {},
        "receipt": None,
        "action_receipt": None,
        "bid_key": new_idempotency_key(),
        **forms,
    }


async def render_lot_page(
    request: HTMXRequest,
    visitor: Visitor,
    lot_service: LotService,
    desk: BiddingDesk,
    lot: Lot,
    *,
    status_code: int = 200,
    **forms: Any,
) -> Template:
    files = await lot_service.files(lot.id)
    municipality = await lot_service.municipalities.get(lot.municipality_id)
    # The contract's schedule is public (amounts, dates, paid or overdue); its bank references are not.
    contracts = ContractService(lot_service.session, lot_service.clock, lot_service.ledger)
    watcher = WatchService(lot_service.session, lot_service.clock)
    # One closing time for the header, the schedule and the live panel: the auction clock's once bidding opened.
    running = (await running_closes(lot_service.session, [lot.id])).get(lot.id)
    return render(
        request,
        "lots/lot.html.jinja2",
        status_code=status_code,
        documents=[f for f in files if f.kind == FileKind.DOCUMENT],
        photos=[f for f in files if f.kind == FileKind.PHOTO],
        municipality=municipality,
        region=await lot_service.municipalities.region_of(municipality),
        deadline=next_deadline(lot, visitor.now, running),
        closing=closing(lot, running),
        statement=await contracts.statement(lot.id),
        attempts=await lot_service.attempts(lot, viewer=visitor.user),
        # The watch button: None for a visitor who is not logged in (asked to log in), else whether they watch.
        watching=None if visitor.user is None else await watcher.is_watching(visitor.user, lot.id),
        **panel_context(await desk.panel(lot, visitor), **forms),
    )
