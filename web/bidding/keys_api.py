"""The bidder keys API (docs/keys.md 1): an account's keys and passkeys, what a device needs to sign its next
statement on a lot, a key added to a lot, and an officer's re-identification of a bidder who lost their keys.

These routes serve API clients (bearer token) and the logged-in browser that makes passkeys (session cookie plus
the CSRF header), so they live under /api/ without the /v1 of the bearer-only API.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from auction.accounts.models import User
from auction.bidding.keys import KeyService
from auction.bidding.participation import ParticipationService
from auction.bidding.passkeys import PasskeyService
from auction.clock import Clock
from auction.errors import NotAuthenticated
from auction.settings import Settings
from web.bidding.refusal import signed_refusal
from web.bidding.schemas import (
    ActionReceiptOut,
    Ed25519KeyRequest,
    KeyOut,
    KeyReplacement,
    LotKeyRequest,
    PasskeyOptions,
    PasskeyRequest,
    StatementContext,
    signed_dict,
)
from web.lib.error_schemas import api_errors
from web.lib.guards import identified
from web.lib.i18n.catalogs import N_, translate
from web.lib.i18n.negotiation import language_of

READ = api_errors(401, 403, 404)
CHANGE = api_errors(401, 403, 404, 409, 422)
# A lot key's user is named after its lot on the device (auction.bidding.passkeys.named_for_lot), in the words
# /account/keys labels it with.
LOT_LABEL = N_("Lot {lot}")


def _caller(user: User | None) -> User:
    if user is None:
        raise NotAuthenticated("auth.login_required")
    return user


class KeysApi(Controller):
    path = "/api"
    tags = ["keys"]  # noqa: RUF012
    guards = [identified]  # noqa: RUF012
    opt = {"caller": "browser"}  # noqa: RUF012

    @get("/me/keys", summary="My signing keys, revoked ones included", responses=READ)
    async def keys(
        self, key_service: NamedDependency[KeyService], key_user: NamedDependency[User | None]
    ) -> list[KeyOut]:
        return [KeyOut.of(key) for key in await key_service.keys_of(_caller(key_user))]

    @post("/me/keys", summary="Register an Ed25519 key (API clients), with a proof of possession", responses=CHANGE)
    async def add_key(
        self,
        data: JSONBody[Ed25519KeyRequest],
        key_service: NamedDependency[KeyService],
        key_user: NamedDependency[User | None],
    ) -> KeyOut:
        key = await key_service.add_ed25519(_caller(key_user), data.public_key, data.proof, data.label)
        return KeyOut.of(key)

    @post(
        "/me/passkeys/options",
        status_code=200,
        summary="WebAuthn registration options for a new passkey (ES256, user verification required); "
        "lot_key=true for a passkey made for one lot (own random user handle, not discoverable), "
        "with lot=<lot id> to name its user after that lot on the device",
        responses=CHANGE,
    )
    async def passkey_options(
        self,
        request: Request[Any, Any, State],
        passkey_service: NamedDependency[PasskeyService],
        key_user: NamedDependency[User | None],
        lot_key: FromQuery[bool] = False,
        lot: FromQuery[int | None] = None,
    ) -> PasskeyOptions:
        options = await passkey_service.options(
            _caller(key_user), lot_key=lot_key, lot=lot, lot_label=translate(language_of(request), LOT_LABEL)
        )
        return PasskeyOptions.model_validate(options)

    @post(
        "/me/passkeys", summary="Register the passkey the browser made (startRegistration's response)", responses=CHANGE
    )
    async def add_passkey(
        self,
        data: JSONBody[PasskeyRequest],
        passkey_service: NamedDependency[PasskeyService],
        key_user: NamedDependency[User | None],
    ) -> KeyOut:
        return KeyOut.of(await passkey_service.register(_caller(key_user), data.credential, data.label))

    @delete(
        "/me/keys/{key_id:str}",
        status_code=200,
        summary="Revoke one of my keys (kept, no longer usable)",
        responses=CHANGE,
    )
    async def revoke(
        self, key_id: FromPath[str], key_service: NamedDependency[KeyService], key_user: NamedDependency[User | None]
    ) -> KeyOut:
        return KeyOut.of(await key_service.revoke(_caller(key_user), key_id))

    @get(
        "/lots/{lot_id:int}/me/statement",
        summary="What my device needs to sign my next action on a lot: pseudonym, next seq, keys",
        responses=READ,
    )
    async def statement(
        self,
        lot_id: FromPath[int],
        participation_service: NamedDependency[ParticipationService],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        key_user: NamedDependency[User | None],
    ) -> StatementContext:
        pseudonym, next_seq, keys = await participation_service.statement_context(_caller(key_user), lot_id)
        return StatementContext(
            lot=lot_id,
            bidder=pseudonym,
            next_seq=next_seq,
            keys=keys,
            rp_id=settings.webauthn_rp_id,
            server_time=clock.now(),
        )

    @post(
        "/lots/{lot_id:int}/me/keys",
        summary="Put another of my keys on a lot (signed by a key on it)",
        responses=CHANGE,
    )
    async def add_lot_key(
        self,
        request: Request[Any, Any, State],
        lot_id: FromPath[int],
        data: JSONBody[LotKeyRequest],
        participation_service: NamedDependency[ParticipationService],
        key_user: NamedDependency[User | None],
    ) -> ActionReceiptOut:
        async with signed_refusal(request, lot_id, "key.add"):
            admitted = await participation_service.add_key(
                _caller(key_user), lot_id, data.key.as_dict(), signed_dict(data.signed)
            )
        return ActionReceiptOut.of(admitted)

    @post(
        "/officer/lots/{lot_id:int}/bidders/{pseudonym:str}/key",
        summary="Re-identify a bidder who lost their keys: replace them with the new key they signed with (officer)",
        responses=CHANGE,
    )
    async def replace_key(
        self,
        lot_id: FromPath[int],
        pseudonym: FromPath[str],
        data: JSONBody[KeyReplacement],
        participation_service: NamedDependency[ParticipationService],
        key_user: NamedDependency[User | None],
    ) -> ActionReceiptOut:
        admitted = await participation_service.replace_key(
            _caller(key_user), lot_id, pseudonym, data.key.as_dict(), data.reason, signed_dict(data.signed)
        )
        return ActionReceiptOut.of(admitted)
