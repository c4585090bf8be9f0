"""The inspector's desk, open to everyone: the signed checkpoint, the cosigned one to republish, the verifier key,
the entries by range and by lot, the export bundle with its offline command, and a page that verifies receipts and
proofs in the browser."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.errors import InvalidInput
from auction.ledger.keys import LedgerKeys
from auction.ledger.queries import LedgerReader
from web.ledger.views import ENTRIES_PAGE, CheckpointView, EntryPage, EntryRow, page_start
from web.lib.rendering import redirect, render
from web.lib.visitor import Visitor

BUNDLE_NAME = "achyk-ledger.zip"
# The state folder remembers the newest checkpoint verified, so the next export must extend it (docs/witnesses.md §6).
OFFLINE_COMMAND = f"python -m auction.ledger.verifier {BUNDLE_NAME} --policy policy.txt --state achyk-verifier-state"


class LedgerDesk(Controller):
    path = "/ledger"

    @get("/", name="ledger")
    async def index(
        self,
        request: HTMXRequest,
        visitor: NamedDependency[Visitor],
        ledger_reader: NamedDependency[LedgerReader],
        ledger_keys: NamedDependency[LedgerKeys],
    ) -> Template:
        latest = await ledger_reader.latest_checkpoint()
        published = await ledger_reader.published_checkpoint()
        vkey = ledger_reader.verifier_key()
        return render(
            request,
            "ledger/index.html.jinja2",
            checkpoint=CheckpointView.of(latest) if latest else None,
            gossip=published,
            vkey=vkey,
            origin=ledger_keys.origin,
            bundle_name=BUNDLE_NAME,
            offline_command=OFFLINE_COMMAND,
        )

    @get("/entries", name="ledger_entries")
    async def entries(
        self,
        request: HTMXRequest,
        visitor: NamedDependency[Visitor],
        ledger_reader: NamedDependency[LedgerReader],
        start: Annotated[int | None, QueryParameter(ge=0)] = None,
    ) -> Template:
        latest = await ledger_reader.latest_checkpoint()
        size = latest.size if latest else 0
        first = page_start(start, size)
        rows = [EntryRow.of_entry(e) for e in await ledger_reader.entries(first, first + ENTRIES_PAGE)] if size else []
        return render(request, "ledger/entries.html.jinja2", page=EntryPage(rows, first, size))

    @get("/lots", name="ledger_lot_lookup")
    async def lot_lookup(
        self,
        request: HTMXRequest,
        visitor: NamedDependency[Visitor],
        lot: Annotated[str, QueryParameter(max_length=20)] = "",
    ) -> Response[Any]:
        """The desk's "go to a lot" form, which works without JavaScript."""
        number = lot.strip().removeprefix("#")
        if not number.isdigit() or int(number) < 1:
            raise InvalidInput("lot.number_missing", field="lot")
        return redirect(request, f"/ledger/lots/{int(number)}")

    @get("/lots/{lot_id:int}", name="ledger_lot")
    async def lot_chain(
        self,
        request: HTMXRequest,
        lot_id: FromPath[int],
        visitor: NamedDependency[Visitor],
        ledger_reader: NamedDependency[LedgerReader],
    ) -> Template:
        """One lot's chain in order, including bodies admitted but not yet integrated."""
        chain = await ledger_reader.chain_of_lot(lot_id)
        rows = [EntryRow.of_entry(e) for e in chain.integrated] + [EntryRow.of_pending(p) for p in chain.pending]
        return render(request, "ledger/lot.html.jinja2", lot_id=lot_id, rows=rows)

    @get("/verify", name="ledger_verify")
    async def verify(
        self,
        request: HTMXRequest,
        visitor: NamedDependency[Visitor],
        ledger_reader: NamedDependency[LedgerReader],
        ledger_keys: NamedDependency[LedgerKeys],
    ) -> Template:
        """Everything is checked by ledger-verify.js in the browser; the server only supplies the evidence."""
        return render(
            request, "ledger/verify.html.jinja2", vkey=ledger_reader.verifier_key(), origin=ledger_keys.origin
        )
