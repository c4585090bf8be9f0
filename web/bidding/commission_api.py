"""The commission's relay: the key ceremony before publication and the decryption shares after the close.

Members call it from their browser (session cookie, with the page's CSRF token in `x-csrftoken`) or as API clients
(bearer token). The server checks each message with the verifier's functions and relays it; it never receives a
member's secret, nor a share of one.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from auction.accounts.models import User
from auction.accounts.service import AccountService
from auction.bidding.opening import SealedLotService
from auction.errors import NotAuthenticated
from web.bidding.schemas import CeremonyOut, CommissionSetup, OpeningOut, SealedLotOutcome
from web.lib.error_schemas import api_errors
from web.lib.guards import PUBLIC, identified
from web.lib.sessions import csrf_header_ok

READ = api_errors(404, 422)
ACTION = api_errors(401, 403, 404, 409, 422)


async def provide_caller(
    request: Request[Any, Any, State],
    api_user: NamedDependency[User | None],
    account_service: NamedDependency[AccountService],
) -> User:
    """The bearer-token user, or the logged-in visitor whose request carries the page's CSRF token.

    A cross-site page can make the browser send the session cookie but cannot read the page's CSRF token (bound
    to the session) to copy it into a header, so a matching header shows the request came from our own page.
    Resolved after `api_user`, not beside it: both read through the request's one database session.
    """
    if api_user is not None:
        return api_user
    user_id = request.session.get("user_id") if request.scope.get("session") is not None else None
    if isinstance(user_id, int) and csrf_header_ok(request):
        user = await account_service.get(user_id)
        if user is not None and user.is_active:
            return user
    raise NotAuthenticated("auth.bearer_of_account_required")


async def provide_reader(
    request: Request[Any, Any, State],
    api_user: NamedDependency[User | None],
    account_service: NamedDependency[AccountService],
) -> User | None:
    """Who reads: the bearer-token user, else the logged-in visitor, else nobody (a published lot's relay is public).

    A read needs no CSRF header: another site can make the browser send the cookie but cannot read the answer.
    Resolved after `api_user`, not beside it, for the reason `provide_caller` gives.
    """
    if api_user is not None:
        return api_user
    user_id = request.session.get("user_id") if request.scope.get("session") is not None else None
    if not isinstance(user_id, int):
        return None
    user = await account_service.get(user_id)
    return user if user is not None and user.is_active else None


class CommissionApi(Controller):
    path = "/api"
    tags = ["commission"]  # noqa: RUF012
    guards = [identified]  # noqa: RUF012
    opt = {"caller": "member"}  # noqa: RUF012
    dependencies = {"caller": Provide(provide_caller)}  # noqa: RUF012

    @put(
        "/officer/lots/{lot_id:int}/commission",
        summary="Start (or restart) a sealed draft's commission key ceremony (officer)",
        responses=ACTION,
    )
    async def start(
        self,
        lot_id: FromPath[int],
        data: JSONBody[CommissionSetup],
        sealed_lot_service: NamedDependency[SealedLotService],
        caller: NamedDependency[User],
    ) -> CeremonyOut:
        view = await sealed_lot_service.start_ceremony(caller, lot_id, data.members, data.threshold)
        return CeremonyOut.model_validate(view.to_json(lot_id))

    @get(
        "/lots/{lot_id:int}/ceremony",
        summary="The key ceremony's messages as relayed, and its stage",
        responses=api_errors(401, 404, 422),
        opt=PUBLIC,
        dependencies={"reader": Provide(provide_reader)},
    )
    async def ceremony(
        self,
        lot_id: FromPath[int],
        sealed_lot_service: NamedDependency[SealedLotService],
        reader: NamedDependency[User | None],
    ) -> CeremonyOut:
        """A published lot's for anyone; a draft's for those who manage it (its members among them), else 404."""
        view = await sealed_lot_service.ceremony_for(reader, lot_id)
        return CeremonyOut.model_validate(view.to_json(lot_id))

    @post(
        "/lots/{lot_id:int}/ceremony/key",
        status_code=200,
        summary="A member's public key and its proof",
        responses=ACTION,
    )
    async def post_key(
        self,
        lot_id: FromPath[int],
        data: JSONBody[dict[str, Any]],
        sealed_lot_service: NamedDependency[SealedLotService],
        caller: NamedDependency[User],
    ) -> CeremonyOut:
        view = await sealed_lot_service.post_key(caller, lot_id, data)
        return CeremonyOut.model_validate(view.to_json(lot_id))

    @post("/lots/{lot_id:int}/ceremony/dealing", status_code=200, summary="A member's dealing", responses=ACTION)
    async def post_dealing(
        self,
        lot_id: FromPath[int],
        data: JSONBody[dict[str, Any]],
        sealed_lot_service: NamedDependency[SealedLotService],
        caller: NamedDependency[User],
    ) -> CeremonyOut:
        view = await sealed_lot_service.post_dealing(caller, lot_id, data)
        return CeremonyOut.model_validate(view.to_json(lot_id))

    @post(
        "/lots/{lot_id:int}/ceremony/acknowledgement",
        status_code=200,
        summary="A member's acknowledgement of the dealings",
        responses=ACTION,
    )
    async def post_acknowledgement(
        self,
        lot_id: FromPath[int],
        data: JSONBody[dict[str, Any]],
        sealed_lot_service: NamedDependency[SealedLotService],
        caller: NamedDependency[User],
    ) -> CeremonyOut:
        view = await sealed_lot_service.post_acknowledgement(caller, lot_id, data)
        return CeremonyOut.model_validate(view.to_json(lot_id))

    @get(
        "/lots/{lot_id:int}/opening",
        summary="The standing sealed bids and the decryption shares so far",
        responses=READ,
        opt=PUBLIC,
    )
    async def opening(self, lot_id: FromPath[int], sealed_lot_service: NamedDependency[SealedLotService]) -> OpeningOut:
        return OpeningOut.model_validate(await sealed_lot_service.opening(lot_id))

    @post(
        "/lots/{lot_id:int}/opening/shares",
        status_code=200,
        summary="A member's decryption shares, one per standing bid, each with its proof (logged as sealed.share)",
        responses=ACTION,
    )
    async def post_shares(
        self,
        lot_id: FromPath[int],
        data: JSONBody[dict[str, Any]],
        sealed_lot_service: NamedDependency[SealedLotService],
        caller: NamedDependency[User],
    ) -> OpeningOut:
        await sealed_lot_service.post_shares(caller, lot_id, data)
        return OpeningOut.model_validate(await sealed_lot_service.opening(lot_id))

    @post(
        "/officer/lots/{lot_id:int}/open",
        status_code=200,
        summary="With k members' shares: decrypt every standing bid, log sealed.opened and decide the lot (officer)",
        responses=ACTION,
    )
    async def open(
        self,
        lot_id: FromPath[int],
        sealed_lot_service: NamedDependency[SealedLotService],
        caller: NamedDependency[User],
    ) -> SealedLotOutcome:
        outcome = await sealed_lot_service.open_and_award(caller, lot_id)
        return SealedLotOutcome.of(outcome)
