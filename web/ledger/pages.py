"""The inspector's desk, open to everyone: the signed checkpoint, the cosigned one to republish, the verifier key,
the entries by range and by lot, the export bundle with its offline command, and a page that verifies receipts and
proofs in the browser."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.errors import InvalidInput
from auction.ledger.keys import LedgerKeys
from auction.ledger.published_verifier import VERIFIER_FILE_NAME, VerifierFile, published_entry
from auction.ledger.queries import LedgerReader
from web.ledger.kinds import kind_names
from web.ledger.views import ENTRIES_PAGE, CheckpointView, EntryPage, EntryRow, page_start
from web.lib.rendering import redirect, render
from web.lib.replica import REPLICA_READS
from web.lib.visitor import Visitor

BUNDLE_NAME = "achyk-ledger.zip"
# The state folder remembers the newest checkpoint verified, so the next export must extend it (docs/witnesses.md §6).
OFFLINE_COMMAND = f"python -m auction.ledger.verifier {BUNDLE_NAME} --policy policy.txt --state achyk-verifier-state"
# The same with the one-file verifier the desk serves (docs/ledger.md, "The downloadable verifier").
VERIFIER_COMMAND = f"python3 {VERIFIER_FILE_NAME} {BUNDLE_NAME} --policy policy.txt --state achyk-verifier-state"
VERIFIER_REQUIREMENTS = "/static/ledger/achyk-verify-requirements.txt"
VERIFIER_INSTALL = "pip install --require-hashes -r achyk-verify-requirements.txt"


def served_verifier(request: Request[Any, Any, Any]) -> VerifierFile:
    """The build this process serves (made at start-up, web.core)."""
    served: VerifierFile = request.app.state.verifier_file
    return served


class LedgerDesk(Controller):
    path = "/ledger"
    # Lag-tolerant public reads: from the replica when one is configured (web.lib.replica).
    dependencies = REPLICA_READS

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
            verifier_command=VERIFIER_COMMAND,
            verifier_name=VERIFIER_FILE_NAME,
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
        page = EntryPage(rows, first, size)
        return render(request, "ledger/entries.html.jinja2", page=page, kinds=kind_names(visitor.language))

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
        return render(request, "ledger/lot.html.jinja2", lot_id=lot_id, rows=rows, kinds=kind_names(visitor.language))

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
            request,
            "ledger/verify.html.jinja2",
            vkey=ledger_reader.verifier_key(),
            origin=ledger_keys.origin,
            entry_kinds=kind_names(visitor.language),
        )

    @get("/verifier", name="ledger_verifier")
    async def verifier(
        self,
        request: HTMXRequest,
        visitor: NamedDependency[Visitor],
        ledger_reader: NamedDependency[LedgerReader],
    ) -> Template:
        """The offline verifier as one file: its hash, and where the ledger records that hash."""
        served = served_verifier(request)
        return render(
            request,
            "ledger/verifier.html.jinja2",
            verifier=served,
            entry=await published_entry(ledger_reader.session, served.sha256),
            requirements_url=VERIFIER_REQUIREMENTS,
            install_command=VERIFIER_INSTALL,
            verifier_command=VERIFIER_COMMAND,
            bundle_name=BUNDLE_NAME,
        )

    @get(f"/{VERIFIER_FILE_NAME}", name="ledger_verifier_file")
    async def verifier_file(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """The build this process serves, byte for byte the one whose hash it logged (verifier.published)."""
        served = served_verifier(request)
        return Response(
            served.content,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{served.name}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-cache",
                "ETag": f'"{served.sha256}"',
            },
        )
