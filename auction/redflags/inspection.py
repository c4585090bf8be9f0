"""Inspectors link bidders across lots with the key they hold; the ledger pins the key and records every use.

The key is never stored on the platform: `pin` records only its fingerprint (`inspection.key`), and `link` takes it
for the length of one request, checks it against the fingerprint in force, and records the use
(`inspection.linked`) in the same transaction as the read, with a hash of the result (docs/inspection.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import INSPECTOR_ROLES, User
from auction.bidding.models import Application
from auction.errors import Conflict, InvalidInput, NotAuthenticated, PermissionDenied
from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.models import PLATFORM_CHAIN, ChainHead
from auction.ledger.platform_chain import last_platform_payload
from auction.ledger.verifier.inspection import (
    INSPECTION_KEY_KIND,
    INSPECTION_LINKED_KIND,
    PURPOSE_MAX,
    PURPOSE_MIN,
)
from auction.lots.models import Lot
from auction.lots.service import actor_of
from auction.municipalities.models import Municipality
from auction.redflags.linking import KEY_FIELD, fingerprint, link_tag, result_hash

# Only the server's shell pins a key (`auction inspection-key create`): no route does.
PIN_ACTOR = "admin:cli"
# Shown in refusals: enough of a fingerprint to tell keys apart, with nothing of the key.
SHOWN_FINGERPRINT = 12


@dataclass(frozen=True, slots=True)
class Pinned:
    """A key put in force: its fingerprint, the one it replaced, and the `inspection.key` entry."""

    fingerprint: str
    previous: str | None
    entry: Admitted


@dataclass(frozen=True, slots=True)
class Linked:
    """What an inspector was shown, and the `inspection.linked` entry that records it."""

    links: dict[tuple[int, str], str]  # (lot, pseudonym) -> link tag
    scope: str | None  # the municipality code, None nationwide
    key_fingerprint: str  # the key in force it was linked with
    result_hash: str
    entry: Admitted

    @property
    def lots(self) -> int:
        return len({lot for lot, _ in self.links})


class InspectionService:
    def __init__(self, session: AsyncSession, ledger: LedgerWriter) -> None:
        self.session = session
        self.ledger = ledger

    async def pinned(self) -> str | None:
        """The fingerprint of the inspection key in force, or None before the first is pinned."""
        payload = await last_platform_payload(self.session, INSPECTION_KEY_KIND)
        return None if payload is None else str(payload["fingerprint"])

    async def pin(self, key: bytes, *, rotate: bool = False) -> Pinned:
        """Put `key` in force by recording its fingerprint; a key already in force is replaced only with `rotate`."""
        await self._hold_platform_chain()
        previous = await self.pinned()
        if previous is not None and not rotate:
            raise Conflict("inspection.key_pinned", fingerprint=previous[:SHOWN_FINGERPRINT])
        new = fingerprint(key)
        entry = await self.ledger.record(
            INSPECTION_KEY_KIND, None, PIN_ACTOR, {"fingerprint": new, "previous": previous}
        )
        return Pinned(fingerprint=new, previous=previous, entry=entry)

    async def link(self, inspector: User | None, municipality: Municipality | None, purpose: str, key: bytes) -> Linked:
        """Every (lot, pseudonym) in scope with its bidder's link tag; the use is recorded in the ledger.

        Refused, writing nothing, unless the caller is an inspector or administrator, the purpose is given, and
        `key` is the key in force.
        """
        if inspector is None:
            raise NotAuthenticated("auth.login_required")
        if inspector.role not in INSPECTOR_ROLES:
            raise PermissionDenied("inspection.inspectors_only")
        purpose = purpose.strip()
        if not PURPOSE_MIN <= len(purpose) <= PURPOSE_MAX:
            raise InvalidInput("inspection.purpose_length", field="purpose", minimum=PURPOSE_MIN, maximum=PURPOSE_MAX)
        scope = None
        applications = select(Application.lot_id, Application.bidder_id)
        if municipality is not None:
            scope = municipality.code
            applications = applications.join(Lot, Lot.id == Application.lot_id).where(
                Lot.municipality_id == municipality.id
            )
        rows = (await self.session.execute(applications)).all()
        # Only the key in force and the entry need the platform chain's head: the applications are read before it
        # is locked, so other platform-chain writers wait no longer than this key check and `record`.
        await self._hold_platform_chain()
        pinned = await self.pinned()
        if pinned is None:
            raise Conflict("inspection.no_key")
        if fingerprint(key) != pinned:
            raise InvalidInput("inspection.wrong_key", field=KEY_FIELD, fingerprint=pinned[:SHOWN_FINGERPRINT])
        keys = self.ledger.keys
        tags: dict[int, str] = {}  # one HMAC per bidder, however many lots they applied for
        links: dict[tuple[int, str], str] = {}
        for lot, user in rows:
            if user not in tags:
                tags[user] = link_tag(key, user)
            links[lot, keys.pseudonym(lot, user)] = tags[user]
        digest = result_hash((lot, pseudonym, tag) for (lot, pseudonym), tag in links.items())
        payload = {
            "scope": scope,
            "purpose": purpose,
            "key_fingerprint": pinned,
            "lots": len({lot for lot, _ in links}),
            "links": len(links),
            "result_hash": digest,
        }
        entry = await self.ledger.record(INSPECTION_LINKED_KIND, None, actor_of(inspector), payload)
        return Linked(links=links, scope=scope, key_fingerprint=pinned, result_hash=digest, entry=entry)

    async def _hold_platform_chain(self) -> None:
        """Lock the platform chain's head before reading the key in force, as `record` will: a rotation committed
        between the read and the entry would otherwise leave an entry naming a key no longer in force."""
        await self.session.scalar(select(ChainHead).where(ChainHead.chain_key == PLATFORM_CHAIN).with_for_update())
