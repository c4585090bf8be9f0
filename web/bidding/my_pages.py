"""A bidder's own pages: their applications with status, and their bids with receipts and ledger proofs."""

from __future__ import annotations

import json
from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.params import FromPath, QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from auction.accounts.models import Role, User
from auction.accounts.permissions import require_role
from auction.bidding.deposits import DepositService
from auction.bidding.keys import KeyService
from auction.contracts.service import ContractService
from auction.ledger.queries import LedgerReader
from auction.settings import Settings
from web.bidding.views import BiddingDesk
from web.lib.rendering import render
from web.lib.visitor import Visitor


def provide_bidder(visitor: NamedDependency[Visitor]) -> User:
    """The logged-in bidder: anonymous visitors are sent to log in, other accounts get a 403 page."""
    return require_role(visitor.user, Role.BIDDER)


def provide_key_holder(visitor: NamedDependency[Visitor]) -> User:
    """A bidder, or an officer who signs results protocols with keys of their own (docs/keys.md 3)."""
    return require_role(visitor.user, Role.BIDDER, Role.OFFICER)


class KeyPages(Controller):
    """The bidder's signing keys: listed here, added (passkeys) and revoked by /static/js/passkeys.js via /api/me."""

    path = "/account"
    dependencies = {"bidder": Provide(provide_key_holder, sync_to_thread=False)}  # noqa: RUF012

    @get("/keys", name="my_keys")
    async def keys(
        self,
        request: HTMXRequest,
        bidder: NamedDependency[User],
        key_service: NamedDependency[KeyService],
        settings: NamedDependency[Settings],
    ) -> Template:
        keys = await key_service.keys_of(bidder)
        return render(request, "account/keys.html.jinja2", keys=keys, rp_id=settings.webauthn_rp_id)


class MyPages(Controller):
    path = "/me"
    dependencies = {"bidder": Provide(provide_bidder, sync_to_thread=False)}  # noqa: RUF012

    @get("/applications", name="my_applications")
    async def applications(
        self,
        request: HTMXRequest,
        bidder: NamedDependency[User],
        bidding_desk: NamedDependency[BiddingDesk],
        contract_service: NamedDependency[ContractService],
        deposit_service: NamedDependency[DepositService],
    ) -> Template:
        rows = await bidding_desk.applications_with_bids(bidder)
        deposits = {lot.id: await deposit_service.line_of_bidder(bidder, lot.id) for _, lot, _ in rows}
        contracts = await contract_service.contracts_of_bidder(bidder)
        return render(request, "me/applications.html.jinja2", rows=rows, deposits=deposits, contracts=contracts)

    @get("/bids", name="my_bids")
    async def bids(
        self, request: HTMXRequest, bidder: NamedDependency[User], bidding_desk: NamedDependency[BiddingDesk]
    ) -> Template:
        rows = [row for row in await bidding_desk.applications_with_bids(bidder) if row[2]]
        return render(request, "me/bids.html.jinja2", rows=rows)

    @get("/bids/{bid_id:int}/receipt", name="my_receipt")
    async def receipt(
        self, bid_id: FromPath[int], bidder: NamedDependency[User], bidding_desk: NamedDependency[BiddingDesk]
    ) -> Response[bytes]:
        """The receipt exactly as stored at admission: keep it, and check it on the inspector's page or offline."""
        bid = await bidding_desk.own_bid(bidder, bid_id)
        content = json.dumps(bid.receipt, ensure_ascii=False, indent=2).encode() + b"\n"
        return Response(
            content,
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="achyk-receipt-lot{bid.lot_id}-bid{bid.id}.json"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
            },
        )

    @get("/bids/{bid_id:int}/proof", name="my_proof")
    async def proof(
        self,
        bid_id: FromPath[int],
        bidder: NamedDependency[User],
        bidding_desk: NamedDependency[BiddingDesk],
        ledger_reader: NamedDependency[LedgerReader],
    ) -> Response[str]:
        """The bid's tlog-proof carrying its receipt: a proof bound to this bid, refused for any other entry."""
        bid = await bidding_desk.own_bid(bidder, bid_id)
        proof = await ledger_reader.proof_file(bid.body_hash, receipt=bid.receipt["receipt"])
        return Response(
            proof,
            media_type=MediaType.TEXT,
            headers={
                "Content-Disposition": f'attachment; filename="achyk-proof-lot{bid.lot_id}-bid{bid.id}.tlog-proof"',
                "Cache-Control": "no-store",
            },
        )

    @get("/bids/{bid_id:int}/proof-link", name="my_proof_link")
    async def proof_link(
        self,
        request: HTMXRequest,
        bid_id: FromPath[int],
        bidder: NamedDependency[User],
        bidding_desk: NamedDependency[BiddingDesk],
        attempt: Annotated[int, QueryParameter(ge=0, le=1000)] = 0,
    ) -> Template:
        """A just-placed bid's proof link, which exists once the ledger has integrated the bid (about a second)."""
        bid = await bidding_desk.own_bid(bidder, bid_id)
        integrated = await bidding_desk.integrated(bid)
        return render(
            request,
            "lots/partials/proof_link.html.jinja2",
            bid_id=bid.id,
            body_hash=bid.body_hash,
            integrated=integrated,
            attempt=attempt + 1,
        )
