"""Accounts API: bidder registration, API tokens, who am I."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from auction.accounts.models import User
from auction.accounts.schemas import Registration, TokenRequest, UserOut
from auction.accounts.service import AccountService
from auction.accounts.web_sessions import WebSessionService
from auction.errors import NotAuthenticated
from web.accounts.schemas import IssuedToken, SessionOut, SessionsRevoked
from web.lib.error_schemas import api_errors
from web.lib.guards import PUBLIC, identified
from web.lib.throttle import address_of

# The errors each operation can answer, documented with the API's error body.
REGISTER = api_errors(409, 422, 429)
LOGIN = api_errors(401, 422, 429)
ME = api_errors(401)


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        municipality_id=user.municipality_id,
    )


class AccountApi(Controller):
    path = "/api/v1"
    tags = ["accounts"]  # noqa: RUF012
    guards = [identified]  # noqa: RUF012

    @post("/accounts", summary="Register as a bidder", opt={"throttle": "register", **PUBLIC}, responses=REGISTER)
    async def register(self, data: JSONBody[Registration], account_service: NamedDependency[AccountService]) -> UserOut:
        return user_out(await account_service.register_bidder(data))

    @post(
        "/auth/token",
        summary="Exchange e-mail and password for a bearer token",
        opt={"throttle": "login", **PUBLIC},
        responses=LOGIN,
    )
    async def token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenRequest],
        account_service: NamedDependency[AccountService],
    ) -> IssuedToken:
        # An API client has no device cookie: its failures count per address and for unknown devices.
        user = await account_service.authenticate(data.email, data.password, source=address_of(request))
        token = await account_service.issue_token(user, data.name)
        return IssuedToken(token=token, token_type="bearer", user=user_out(user))  # noqa: S106 (a kind, not a secret)

    @get("/me/sessions", summary="The browsers the account is signed in on", responses=ME)
    async def sessions(
        self, api_user: NamedDependency[User | None], web_session_service: NamedDependency[WebSessionService]
    ) -> list[SessionOut]:
        if api_user is None:
            raise NotAuthenticated("auth.bearer_required")
        live = await web_session_service.live_of(api_user.id)
        return [
            SessionOut(id=s.id, device=s.device, created_at=s.created_at, last_seen_at=s.last_seen_at) for s in live
        ]

    @post("/me/sessions/revoke-all", summary="Sign the account's browsers out everywhere", responses=ME)
    async def revoke_sessions(
        self, api_user: NamedDependency[User | None], web_session_service: NamedDependency[WebSessionService]
    ) -> SessionsRevoked:
        """Ends every browser session of the account (API tokens stay valid; revoke those separately)."""
        if api_user is None:
            raise NotAuthenticated("auth.bearer_required")
        return SessionsRevoked(revoked=await web_session_service.revoke_all(api_user.id))

    @get("/me", summary="The account behind the bearer token", responses=ME)
    async def me(self, api_user: NamedDependency[User | None]) -> UserOut:
        if api_user is None:
            raise NotAuthenticated("auth.bearer_required")
        return user_out(api_user)
