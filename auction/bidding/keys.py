"""Bidder keys: an account's signing keys, and the check every signed bidder action passes (docs/keys.md 1).

The account's keys live in `bidder_keys`; the keys a bidder may sign with on one lot, and the sequence of their
signed entries there, live on the lot's application, as the ledger's `application.submitted`,
`bidder.key.added` and `bidder.key.replaced` record them. The statement checks themselves are the offline
verifier's (auction.ledger.verifier.statements), so what the service takes the replay accepts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import BidderKey, Role, User
from auction.accounts.permissions import require_role
from auction.bidding.models import Application
from auction.clock import Clock
from auction.errors import Conflict, DomainError, InvalidInput, NotFound
from auction.ledger.verifier import statements as st
from auction.lots.models import LotState

LABEL_MAX = 100
# A lot key serves one lot, so a bidder gathers one per lot applied to: they have their own, larger bound (revoking
# an old one frees its place), and do not take the place of the account's own keys (st.MAX_KEYS).
LOT_KEYS_MAX = 200
# The states in which a lot's bidders' keys still change (bidder.key.added, bidder.key.replaced).
KEYS_CHANGE = frozenset({LotState.PUBLISHED, LotState.BIDDING, LotState.CLOSED, LotState.AWARDED})


def refusal(error: st.StatementError) -> DomainError:
    """The domain refusal of a statement that does not pass: a number out of order is a conflict, the rest bad input."""
    reason = error.reason
    if error.code == "statement.wrong_sequence":
        return Conflict("statement.wrong_sequence", field="signed", reason=reason)
    if error.code == "statement.missing":
        return InvalidInput("statement.missing", field="signed", reason=reason)
    if error.code == "statement.unknown_key":
        return InvalidInput("statement.unknown_key", field="signed", reason=reason)
    if error.code == "statement.stale":
        return InvalidInput("statement.stale", field="signed", reason=reason)
    return InvalidInput("statement.bad_signature", field="signed", reason=reason)


def key_out(key: BidderKey) -> dict[str, Any]:
    return st.key_object(key.alg, key.public_key, key.rp_id)


class KeyService:
    """An account's signing keys: register, list, revoke. The caller owns the transaction."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def keys_of(self, user: User) -> list[BidderKey]:
        rows = await self.session.scalars(select(BidderKey).where(BidderKey.user_id == user.id).order_by(BidderKey.id))
        return list(rows)

    async def active(self, user: User) -> dict[str, BidderKey]:
        """The account's unrevoked keys by key id."""
        return {key.key_id: key for key in await self.keys_of(user) if key.revoked_at is None}

    async def count_active(self, user: User, *, lot_key: bool) -> int:
        """How many of the account's own keys (or of its lot keys) are unrevoked: each kind has its own bound."""
        active = await self.session.scalar(
            select(func.count())
            .select_from(BidderKey)
            .where(BidderKey.user_id == user.id, BidderKey.revoked_at.is_(None), BidderKey.lot_key.is_(lot_key))
        )
        return int(active or 0)

    async def room_for_lot_key(self, user: User) -> None:
        """Refused when the account holds LOT_KEYS_MAX active lot keys: asked before the device makes one, so that
        the bidder is not left with a passkey the platform then refuses to register."""
        if await self.count_active(user, lot_key=True) >= LOT_KEYS_MAX:
            raise Conflict("key.lot_keys_full", most=LOT_KEYS_MAX)

    async def add_ed25519(self, user: User, public_key: str, proof: str, label: str | None) -> BidderKey:
        """An API client's key, registered only with a proof that the client holds its private part."""
        require_role(user, Role.BIDDER, Role.OFFICER)
        try:
            key = st.check_key(st.key_object(st.ED25519, public_key))
            st.verify_registration(user.id, public_key, proof)
        except st.StatementError as exc:
            raise InvalidInput("key.proof_invalid", field="proof", reason=exc.reason) from None
        return await self._store(user, key, label or "API key", None)

    async def add_passkey(
        self, user: User, key: dict[str, str], credential_id: str, label: str | None, *, lot_key: bool = False
    ) -> BidderKey:
        """A passkey whose registration the caller has verified (see auction.bidding.passkeys); `lot_key` when it
        was made for one lot (docs/keys.md 1.3)."""
        require_role(user, Role.BIDDER, Role.OFFICER)
        try:
            checked = st.check_key(key)
        except st.StatementError as exc:
            raise InvalidInput("passkey.invalid", field="credential", reason=exc.reason) from None
        return await self._store(user, checked, label or "Passkey", credential_id, lot_key=lot_key)

    async def revoke(self, user: User, key_id: str) -> BidderKey:
        key = await self.session.scalar(
            select(BidderKey).where(BidderKey.user_id == user.id, BidderKey.key_id == key_id).with_for_update()
        )
        if key is None:
            raise NotFound("key.not_found", key_id=key_id)
        if key.revoked_at is None:
            key.revoked_at = self.clock.now()
        await self.session.flush()
        return key

    async def _store(
        self, user: User, key: dict[str, str], label: str, credential_id: str | None, *, lot_key: bool = False
    ) -> BidderKey:
        label = label.strip()
        if not 1 <= len(label) <= LABEL_MAX:
            raise InvalidInput("key.label_invalid", field="label", most=LABEL_MAX)
        # Lock the account's row so that two registrations at once cannot pass the limit together.
        await self.session.scalar(select(User.id).where(User.id == user.id).with_for_update())
        identifier = st.key_id(key)
        existing = await self.session.scalar(
            select(BidderKey).where(BidderKey.user_id == user.id, BidderKey.key_id == identifier)
        )
        if existing is not None:
            raise Conflict("key.duplicate", key_id=identifier)
        if lot_key:
            await self.room_for_lot_key(user)
        elif await self.count_active(user, lot_key=False) >= st.MAX_KEYS:
            raise Conflict("key.too_many", most=st.MAX_KEYS)
        row = BidderKey(
            user_id=user.id,
            key_id=identifier,
            alg=key["alg"],
            public_key=key["public_key"],
            rp_id=key.get("rp_id"),
            credential_id=credential_id,
            label=label,
            lot_key=lot_key,
            created_at=self.clock.now(),
        )
        self.session.add(row)
        await self.session.flush()
        return row


class Signatures:
    """The check of one signed bidder action against the lot's keys and sequence, before it is logged."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.keys = KeyService(session, clock)

    async def account_keys(
        self, user: User, lot_id: int, keys: Mapping[str, dict[str, Any]], *, field: str = "keys"
    ) -> None:
        """Every key a bidder puts on a lot is one of their own active account keys, and a lot key is on no other lot.

        A lot key (docs/keys.md 1.3) exists so that the public ledger does not link the bidder's lots; put on a
        second lot it would link them, so the server refuses it whatever the client is (the browser's filter is not
        the only client). Any application of the bidder counts, rejected or withdrawn too: its keys are public.
        """
        active = await self.keys.active(user)
        for identifier in keys:
            if identifier not in active:
                raise refusal(
                    st.StatementError("statement.unknown_key", f"key {identifier} is not an active key of your account")
                )
        await self._lot_keys_on_no_other_lot(user, lot_id, {i for i in keys if active[i].lot_key}, field)

    async def _lot_keys_on_no_other_lot(self, user: User, lot_id: int, lot_only: Collection[str], field: str) -> None:
        # Two requests of one bidder on two lots at once could each pass this (each holds its own lot's row only).
        # Winning that race takes sending one lot key to two lots on purpose, and links only the sender's own lots,
        # as registering an account key on both would.
        if not lot_only:
            return
        elsewhere = await self.keys.session.execute(
            select(Application.lot_id, Application.keys)
            .where(Application.bidder_id == user.id, Application.lot_id != lot_id)
            .order_by(Application.lot_id)
        )
        for other_lot, other_keys in elsewhere:
            reused = sorted(set(lot_only) & {st.key_id(key) for key in other_keys})
            if reused:
                raise Conflict("key.lot_key_elsewhere", field=field, key_id=reused[0], lot_id=other_lot)

    async def check(
        self,
        user: User,
        lot_id: int,
        kind: str,
        payload: dict[str, Any],
        at: datetime,
        lot_keys: Mapping[str, dict[str, Any]],
        last_seq: int,
    ) -> dict[str, Any]:
        """The payload with its `signed`, if the signature is by a usable key, carries the next seq and is fresh.

        `payload` holds `signed` as the bidder sent it (or None); a refusal is a DomainError.
        """
        active = await self.keys.active(user)
        return check_statement(frozenset(active), lot_id, kind, payload, at, lot_keys, last_seq)


def check_statement(
    active: frozenset[str],
    lot_id: int,
    kind: str,
    payload: dict[str, Any],
    at: datetime,
    lot_keys: Mapping[str, dict[str, Any]],
    last_seq: int,
) -> dict[str, Any]:
    """``Signatures.check`` once the account's active key ids are known (a caller that read them already)."""
    # A key the bidder revoked on their account signs nothing more, on any lot.
    usable = {identifier: key for identifier, key in lot_keys.items() if identifier in active}
    try:
        st.check_signed(lot_id, kind, payload, at, usable, last_seq + 1)
    except st.StatementError as exc:
        raise refusal(exc) from None
    return payload


def lot_keys(application: Application) -> dict[str, dict[str, Any]]:
    return {st.key_id(key): key for key in application.keys}


async def find_application(session: AsyncSession, lot_id: int, user_id: int) -> Application | None:
    return await session.scalar(
        select(Application).where(Application.lot_id == lot_id, Application.bidder_id == user_id)
    )
