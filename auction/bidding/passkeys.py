"""Passkey registration (WebAuthn, ES256) with the `webauthn` library; the key then signs like any bidder key.

The challenge is kept in `passkey_challenges` (one per account, replaced by a new ceremony, deleted when used),
so any app process can finish a ceremony another began.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import generate_registration_options, options_to_json, verify_registration_response
from webauthn.helpers import decode_credential_public_key
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.decode_credential_public_key import DecodedEC2PublicKey
from webauthn.helpers.exceptions import InvalidCBORData, InvalidRegistrationResponse, WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from auction.accounts.models import BidderKey, PasskeyChallenge, Role, User
from auction.accounts.permissions import require_role
from auction.bidding.keys import KEYS_CHANGE, KeyService
from auction.clock import Clock
from auction.errors import Conflict, InvalidInput, NotFound
from auction.ledger.verifier import statements as st
from auction.lots.models import Lot

CHALLENGE_LIFETIME = timedelta(minutes=10)
RP_NAME = "Achyk"
# An authenticator may keep as little as 64 bytes of a user's name and display name, cutting the rest
# (WebAuthn Level 2, 6.4.1 "String Truncation").
USER_NAME_BYTES = 64


@dataclass(frozen=True, slots=True)
class RelyingParty:
    rp_id: str
    origin: str


def _b64u_decode(text: str) -> bytes:
    return st.unb64u(text, "credential id")


def named_for_lot(name: str, lot_label: str) -> str:
    """`name · lot_label`, e.g. "asel@example.kg · Lot 12": the name a lot key's user carries on the device.

    Synced passkey providers list every passkey, discoverable or not, so N lot keys under the account's e-mail
    alone look like duplicates, and deleting one loses a lot's key. The name is shortened (with "…") to fit
    USER_NAME_BYTES, so that an authenticator that truncates cuts the name and never the lot.
    """
    suffix = f" · {lot_label}"
    room = USER_NAME_BYTES - len(suffix.encode())
    if len(name.encode()) > room:
        while name and len(f"{name}…".encode()) > room:
            name = name[:-1]
        name = f"{name}…"
    return f"{name}{suffix}" if name else lot_label


class PasskeyService:
    def __init__(self, session: AsyncSession, clock: Clock, party: RelyingParty) -> None:
        self.session = session
        self.clock = clock
        self.party = party
        self.keys = KeyService(session, clock)

    async def options(
        self, user: User, *, lot_key: bool = False, lot: int | None = None, lot_label: str = "Lot {lot}"
    ) -> dict[str, Any]:
        """Registration options for the browser (startRegistration's optionsJSON); the challenge is kept here.

        A lot key (docs/keys.md 1.3) is a passkey for one lot only, made on a device that may already hold the
        account's passkey. So it gets a user handle of its own, random: a credential with the account's handle
        would replace the account's discoverable passkey on that authenticator. It asks not to be discoverable
        (a security key then keeps it out of its list; synced providers list it anyway; the lot asks for it by
        its id), and the account's passkeys are not excluded (excluding them would refuse exactly the device that
        holds one). Given `lot`, a public lot whose keys still change, its user is named after the lot
        (`named_for_lot`, with `lot_label` as the bidder's language writes "Lot {lot}"), so that the device's
        list tells the lot keys apart. Refused before the device makes anything when the account has no room
        for another lot key.
        """
        require_role(user, Role.BIDDER, Role.OFFICER)
        user_name, display_name = user.email, user.full_name
        if lot is not None:
            if not lot_key:
                raise InvalidInput("passkey.lot_without_lot_key", field="lot")
            found = await self.session.get(Lot, lot)
            if found is None or not found.is_public:
                raise NotFound("lot.not_found", lot_id=lot)
            if found.state not in KEYS_CHANGE:
                raise Conflict("key.lot_finished", state=found.state.value)
            label = lot_label.format(lot=lot)
            user_name, display_name = named_for_lot(user.email, label), named_for_lot(user.full_name, label)
        if lot_key:
            await self.keys.room_for_lot_key(user)
            excluded: list[PublicKeyCredentialDescriptor] = []
        else:
            # Only the account's own passkeys: a device holding just lot keys may still become the account's.
            excluded = [
                PublicKeyCredentialDescriptor(id=_b64u_decode(key.credential_id))
                for key in await self.keys.keys_of(user)
                if key.credential_id and key.revoked_at is None and not key.lot_key
            ]
        challenge = secrets.token_bytes(32)
        options = generate_registration_options(
            rp_id=self.party.rp_id,
            rp_name=RP_NAME,
            user_id=secrets.token_bytes(32) if lot_key else f"achyk-user-{user.id}".encode(),
            user_name=user_name,
            user_display_name=display_name,
            challenge=challenge,
            timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.DISCOURAGED if lot_key else ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            supported_pub_key_algs=[COSEAlgorithmIdentifier.ECDSA_SHA_256],
            exclude_credentials=excluded,
        )
        stored = await self.session.get(PasskeyChallenge, user.id, with_for_update=True)
        if stored is None:
            self.session.add(
                PasskeyChallenge(
                    user_id=user.id, challenge=st.b64u(challenge), lot_key=lot_key, created_at=self.clock.now()
                )
            )
        else:
            stored.challenge, stored.lot_key, stored.created_at = st.b64u(challenge), lot_key, self.clock.now()
        await self.session.flush()
        parsed: dict[str, Any] = json.loads(options_to_json(options))
        return parsed

    async def register(self, user: User, credential: object, label: str | None) -> BidderKey:
        """Verify the browser's RegistrationResponseJSON against the kept challenge and store the passkey."""
        require_role(user, Role.BIDDER, Role.OFFICER)
        stored = await self.session.scalar(
            select(PasskeyChallenge).where(PasskeyChallenge.user_id == user.id).with_for_update()
        )
        if stored is None:
            raise InvalidInput("passkey.no_challenge", field="credential")
        challenge, created, lot_key = st.unb64u(stored.challenge, "challenge"), stored.created_at, stored.lot_key
        await self.session.delete(stored)  # used once, whatever comes of it
        await self.session.flush()
        if self.clock.now() - created > CHALLENGE_LIFETIME:
            raise InvalidInput("passkey.no_challenge", field="credential")
        if not isinstance(credential, dict):
            raise InvalidInput("passkey.invalid", field="credential", reason="the credential must be an object")
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.party.rp_id,
                expected_origin=self.party.origin,
                require_user_verification=True,
                supported_pub_key_algs=[COSEAlgorithmIdentifier.ECDSA_SHA_256],
            )
            public = decode_credential_public_key(verified.credential_public_key)
        except (InvalidRegistrationResponse, InvalidCBORData, WebAuthnException) as exc:
            raise InvalidInput("passkey.invalid", field="credential", reason=str(exc)) from None
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput("passkey.invalid", field="credential", reason=f"malformed credential ({exc})") from None
        if not isinstance(public, DecodedEC2PublicKey) or len(public.x) != 32 or len(public.y) != 32:
            raise InvalidInput("passkey.invalid", field="credential", reason="the key is not a P-256 key")
        point = b"\x04" + public.x + public.y
        key = st.key_object(st.WEBAUTHN_ES256, st.b64u(point), self.party.rp_id)
        return await self.keys.add_passkey(user, key, st.b64u(verified.credential_id), label, lot_key=lot_key)
