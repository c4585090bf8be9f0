"""The lots API: a public catalog, and officer writes scoped to their municipality."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody, QueryParameter

from auction.accounts.models import Role, User
from auction.accounts.permissions import require_role
from auction.bidding.cancellation import CancellationService
from auction.bidding.live import running_closes
from auction.errors import InvalidInput, NotAuthenticated
from auction.ledger.queries import LedgerReader
from auction.lots.catalog_order import LotSort
from auction.lots.models import AuctionFormat, CancellationRequest, Deal, FileKind, Lot, LotState, PropertyKind
from auction.lots.schemas import (
    CancellationAsk,
    CancellationOut,
    CancelRequest,
    LotAmend,
    LotCreate,
    LotFileOut,
    LotOut,
    LotPage,
    RepeatAuction,
)
from auction.lots.service import PUBLIC_STATES, LotFilter, LotService
from auction.settings import Settings
from web.ledger.schemas import PublishedProofOut
from web.lib.error_schemas import api_errors
from web.lib.fields import DB_INT_MAX, OptionalQueryNumber
from web.lib.guards import PUBLIC, identified
from web.lib.replica import REPLICA_READS
from web.lots.schemas import LotVersionOut, cancellation_out, file_out, lot_out
from web.lots.views import file_response

# The errors each kind of operation can answer, documented with the API's error body.
BROWSE = api_errors(401, 403, 404, 422)  # drafts are listed to officers only; 404: no such region or municipality
READ = api_errors(404, 422)
WRITE = api_errors(401, 403, 404, 409, 422, 503)
UPLOAD = api_errors(401, 403, 404, 409, 413, 422)


async def present(
    service: LotService,
    lot: Lot,
    *,
    with_files: bool = False,
    viewer: User | None = None,
    closes: Mapping[int, datetime] | None = None,
) -> LotOut:
    """``closes``: the running closes of a whole page of lots, read once (``running_closes``); else this lot's."""
    municipality = await service.municipalities.get(lot.municipality_id)
    region = await service.municipalities.region_of(municipality)
    files = await service.files(lot.id) if with_files else None
    # One lot's detail shows the chain of attempts of its property; a catalog page does not need it.
    attempts = await service.attempts(lot, viewer=viewer) if with_files else None
    if closes is None:
        closes = await running_closes(service.session, [lot.id])
    running = closes.get(lot.id)
    return lot_out(lot, municipality, region, files, attempts, running)


@dataclass
class FileUpload:
    """The multipart form of an upload: the file, and whether it is a document or a photo."""

    file: UploadFile
    kind: FileKind = FileKind.DOCUMENT
    # A document of a published lot: the id of the document it replaces, and, once bidders have applied, why it
    # changes and until when applications reopen (docs/ledger-entries.md, lot.document).
    replaces: int | None = None
    reason: str | None = None
    applications_close_at: datetime | None = None


class LotApi(Controller):
    path = "/api/v1/lots"
    tags = ["lots"]  # noqa: RUF012
    guards = [identified]  # noqa: RUF012
    opt = {"caller": "officer"}  # noqa: RUF012

    @get("/", summary="Browse the public catalog", responses=BROWSE, opt=PUBLIC, dependencies=REPLICA_READS)
    async def browse(
        self,
        lot_service: NamedDependency[LotService],
        api_user: NamedDependency[User | None],
        region: OptionalQueryNumber = None,
        municipality: OptionalQueryNumber = None,
        kind: FromQuery[PropertyKind | None] = None,
        deal: FromQuery[Deal | None] = None,
        format_: Annotated[AuctionFormat | None, QueryParameter(name="format")] = None,
        status: FromQuery[LotState | None] = None,
        min_price: Annotated[
            int | None, QueryParameter(ge=0, le=DB_INT_MAX, description="Starting price at least, tyiyn")
        ] = None,
        max_price: Annotated[
            int | None, QueryParameter(ge=0, le=DB_INT_MAX, description="Starting price at most, tyiyn")
        ] = None,
        q: Annotated[
            str | None, QueryParameter(max_length=200, description="Words in title, description, address")
        ] = None,
        cursor: Annotated[
            str | None, QueryParameter(max_length=200, description="next_cursor of the page before, same sort")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        sort: Annotated[
            LotSort,
            QueryParameter(description="newest (default), closing_soon (coming closes first), price_low, price_high"),
        ] = LotSort.NEWEST,
    ) -> LotPage:
        states = PUBLIC_STATES if status is None else frozenset({status})
        if status == LotState.DRAFT:
            # Drafts are not public: an officer sees only the drafts of their own municipality.
            user = require_role(api_user, Role.OFFICER, Role.ADMIN)
            if user.role == Role.OFFICER:
                municipality = user.municipality_id
        if min_price is not None and max_price is not None and min_price > max_price:
            raise InvalidInput("catalog.price_range_inverted", field="min_price")
        filters = LotFilter(
            region_id=region,
            municipality_id=municipality,
            kind=kind,
            deal=deal,
            format=format_,
            states=states,
            min_price=min_price,
            max_price=max_price,
            text=q,
        )
        lots, next_cursor = await lot_service.browse(filters, viewer=api_user, limit=limit, cursor=cursor, sort=sort)
        # What each item names is read for the whole page at once: the places (one query, which the place filters
        # above have read already) and the running closes; a page costs the same queries whatever its size.
        places = await lot_service.municipalities.hierarchy()
        closes = await running_closes(lot_service.session, [lot.id for lot in lots])
        items = []
        for lot in lots:
            place = places.by_id[lot.municipality_id]
            items.append(lot_out(lot, place, places.region_of(place), running_close=closes.get(lot.id)))
        return LotPage(items=items, next_cursor=next_cursor)

    @get("/{lot_id:int}", summary="One lot with its files", responses=READ, opt=PUBLIC)
    async def detail(
        self,
        lot_id: FromPath[int],
        lot_service: NamedDependency[LotService],
        api_user: NamedDependency[User | None],
    ) -> LotOut:
        lot = await lot_service.get(lot_id, viewer=api_user)
        return await present(lot_service, lot, with_files=True, viewer=api_user)

    @get(
        "/{lot_id:int}/published-proof",
        summary="The lot.published entry as logged, with its inclusion proof under the latest signed checkpoint",
        responses=READ,
        opt=PUBLIC,
    )
    async def published_proof(
        self, lot_id: FromPath[int], ledger_reader: NamedDependency[LedgerReader]
    ) -> PublishedProofOut:
        """What the sealing page checks before it trusts the lot's key: the browser verifies, the server only hands."""
        return PublishedProofOut.of(lot_id, await ledger_reader.published_proof(lot_id))

    @get("/{lot_id:int}/versions", summary="Every published version of the lot's terms", responses=READ, opt=PUBLIC)
    async def versions(
        self,
        lot_id: FromPath[int],
        lot_service: NamedDependency[LotService],
        api_user: NamedDependency[User | None],
    ) -> list[LotVersionOut]:
        await lot_service.get(lot_id, viewer=api_user)
        return [LotVersionOut.of(v) for v in await lot_service.versions(lot_id)]

    @get(
        "/{lot_id:int}/files/{file_id:int}",
        summary="Download a document or photo",
        description="The stored bytes with their own type (PDF, JPEG or PNG) and an X-Content-SHA256 header.",
        media_type="application/octet-stream",
        responses=READ,
        opt=PUBLIC,
    )
    async def download(
        self,
        lot_id: FromPath[int],
        file_id: FromPath[int],
        lot_service: NamedDependency[LotService],
        api_user: NamedDependency[User | None],
    ) -> Response[bytes]:
        await lot_service.get(lot_id, viewer=api_user)
        return file_response(await lot_service.file(lot_id, file_id))

    @post("/", summary="Create a draft lot (officer)", responses=WRITE)
    async def create(
        self,
        data: JSONBody[LotCreate],
        lot_service: NamedDependency[LotService],
        api_user: NamedDependency[User | None],
    ) -> LotOut:
        lot = await lot_service.create(_officer(api_user), data)
        return await present(lot_service, lot)

    @put("/{lot_id:int}", summary="Edit a draft, or amend a published lot as a new version (officer)", responses=WRITE)
    async def amend(
        self,
        lot_id: FromPath[int],
        data: JSONBody[LotAmend],
        lot_service: NamedDependency[LotService],
        api_user: NamedDependency[User | None],
    ) -> LotOut:
        lot = await lot_service.amend(_officer(api_user), lot_id, data)
        return await present(lot_service, lot)

    @post("/{lot_id:int}/publish", summary="Publish a draft (officer)", status_code=200, responses=WRITE)
    async def publish(
        self,
        lot_id: FromPath[int],
        lot_service: NamedDependency[LotService],
        api_user: NamedDependency[User | None],
    ) -> LotOut:
        lot = await lot_service.publish(_officer(api_user), lot_id)
        return await present(lot_service, lot)

    @post(
        "/{lot_id:int}/cancel",
        summary="Cancel a draft with a reason (officer); a live lot needs two officials",
        status_code=200,
        responses=WRITE,
    )
    async def cancel(
        self,
        lot_id: FromPath[int],
        data: JSONBody[CancelRequest],
        lot_service: NamedDependency[LotService],
        api_user: NamedDependency[User | None],
    ) -> LotOut:
        lot = await lot_service.cancel(_officer(api_user), lot_id, data.reason)
        return await present(lot_service, lot)

    @get(
        "/{lot_id:int}/cancellation",
        summary="The pending request to cancel a live lot (officers of its municipality)",
        responses=api_errors(401, 403, 404),
    )
    async def cancellation(
        self,
        lot_id: FromPath[int],
        cancellation_service: NamedDependency[CancellationService],
        api_user: NamedDependency[User | None],
    ) -> CancellationOut:
        request = await cancellation_service.pending_for(_officer(api_user), lot_id)
        return await _cancellation_out(cancellation_service, request)

    @post(
        "/{lot_id:int}/cancellation",
        summary="Ask to cancel a live lot, with a reason (and an order near the close); another official confirms",
        status_code=201,
        responses=WRITE,
    )
    async def request_cancellation(
        self,
        lot_id: FromPath[int],
        data: JSONBody[CancellationAsk],
        cancellation_service: NamedDependency[CancellationService],
        api_user: NamedDependency[User | None],
    ) -> CancellationOut:
        request = await cancellation_service.request_cancellation(_officer(api_user), lot_id, data.reason, data.order)
        return await _cancellation_out(cancellation_service, request)

    @post(
        "/{lot_id:int}/cancellation/confirm",
        summary="Confirm another official's request: the lot is cancelled (a second officer or an admin)",
        status_code=200,
        responses=WRITE,
    )
    async def confirm_cancellation(
        self,
        lot_id: FromPath[int],
        lot_service: NamedDependency[LotService],
        cancellation_service: NamedDependency[CancellationService],
        api_user: NamedDependency[User | None],
    ) -> LotOut:
        lot = await cancellation_service.confirm_cancellation(_officer(api_user), lot_id)
        return await present(lot_service, lot)

    @post(
        "/{lot_id:int}/cancellation/withdraw",
        summary="Withdraw your own request to cancel a lot",
        status_code=200,
        responses=WRITE,
    )
    async def withdraw_cancellation(
        self,
        lot_id: FromPath[int],
        lot_service: NamedDependency[LotService],
        cancellation_service: NamedDependency[CancellationService],
        api_user: NamedDependency[User | None],
    ) -> LotOut:
        officer = _officer(api_user)
        await cancellation_service.withdraw_cancellation(officer, lot_id)
        return await present(lot_service, await lot_service.get(lot_id, viewer=officer))

    @post(
        "/{lot_id:int}/repeat",
        summary="Offer a failed lot again at a reduced starting price (officer)",
        responses=WRITE,
    )
    async def repeat(
        self,
        lot_id: FromPath[int],
        data: JSONBody[RepeatAuction],
        lot_service: NamedDependency[LotService],
        api_user: NamedDependency[User | None],
    ) -> LotOut:
        lot = await lot_service.relist(_officer(api_user), lot_id, data)
        return await present(lot_service, lot)

    @post("/{lot_id:int}/files", summary="Attach a PDF document or a JPEG/PNG photo (officer)", responses=UPLOAD)
    async def upload(
        self,
        lot_id: FromPath[int],
        data: MultipartBody[FileUpload],
        lot_service: NamedDependency[LotService],
        api_user: NamedDependency[User | None],
        settings: NamedDependency[Settings],
    ) -> LotFileOut:
        content = await data.file.read()
        stored = await lot_service.add_file(
            _officer(api_user),
            lot_id,
            kind=data.kind,
            filename=data.file.filename,
            content_type=data.file.content_type,
            content=content,
            max_bytes=settings.upload_max_bytes,
            replaces=data.replaces,
            reason=data.reason,
            applications_close_at=data.applications_close_at,
        )
        return file_out(stored)


async def _cancellation_out(service: CancellationService, request: CancellationRequest) -> CancellationOut:
    return cancellation_out(request, await service.requester(request), await service.order_file(request))


def _officer(user: User | None) -> User:
    if user is None:
        raise NotAuthenticated("auth.officer_token_required")
    return user
