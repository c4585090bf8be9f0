"""A sealed lot's key ceremony: split among the commission at publication, rebuilt by k members at opening."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role, User
from auction.accounts.permissions import require_lot_manager
from auction.bidding.awards import AwardService, opened_amount
from auction.bidding.commission import (
    PRODUCTION_SCRYPT,
    CommissionError,
    ScryptParams,
    SealedShare,
    ShareCorrupted,
    WeakPassphrase,
    WrongPassphrase,
    open_share,
    recover_lot_key,
    split_lot_key,
)
from auction.bidding.models import SealedLotKey
from auction.clock import Clock
from auction.errors import Conflict, InvalidInput
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.auction_rules import Outcome, reaches_starting_price
from auction.ledger.verifier.sealed import b64url_decode, b64url_encode, encode_private_key, generate_lot_key_pair
from auction.lots.models import AuctionFormat, Lot, LotState
from auction.lots.service import LotService, actor_of


@dataclass(frozen=True, slots=True)
class Commission:
    """A sealed lot's commission as published: how many must open, who (in the order chosen), and when opened."""

    threshold: int
    members: list[User]
    opened_at: datetime | None


class SealedLotService:
    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        ledger: LedgerWriter,
        *,
        kdf: ScryptParams = PRODUCTION_SCRYPT,
    ) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.kdf = kdf
        self.lots = LotService(session, clock, ledger)

    async def publish(self, officer: User, lot_id: int, threshold: int, members: Sequence[tuple[int, str]]) -> Lot:
        """Publish a sealed lot with its commission: (member user id, passphrase) pairs, any k of n to open.

        The private key exists only inside this call: it is split, each share sealed under its member's
        passphrase, and dropped. The passphrases are never stored.
        """
        lot = await self.lots.lock(lot_id)
        require_lot_manager(officer, lot.municipality_id)
        if lot.format != AuctionFormat.SEALED_BID:
            raise InvalidInput("commission.lot_not_sealed")
        if lot.state != LotState.DRAFT:
            raise Conflict("commission.already_published", state=lot.state.value)
        if not 2 <= threshold <= len(members):
            raise InvalidInput("commission.threshold_invalid", field="threshold")
        for member_id, _ in members:
            member = await self.session.get(User, member_id)
            if member is None or member.role != Role.OFFICER or member.municipality_id != lot.municipality_id:
                raise InvalidInput("commission.member_not_officer", field="members", member_id=member_id)
        key = generate_lot_key_pair()
        try:
            sealed = split_lot_key(
                key.private_scalar, threshold, [(str(m), p) for m, p in members], lot.id, kdf=self.kdf
            )
        except CommissionError as exc:
            raise dealing_refusal(exc) from None
        public_key = b64url_encode(key.public_key)
        self.session.add(
            SealedLotKey(
                lot_id=lot.id,
                public_key=public_key,
                threshold=threshold,
                shares=[{"member": member, "share": share.to_dict()} for member, share in sealed],
            )
        )
        sealed_terms = {
            "public_key": public_key,
            "threshold": threshold,
            "commission": [m for m, _ in members],
        }
        return await self.lots.publish(officer, lot.id, extra_terms={"sealed": sealed_terms})

    async def open_and_award(self, officer: User, lot_id: int, releases: Sequence[tuple[int, str]]) -> Outcome:
        """k members release their shares; the key is rebuilt, published in the ledger, and the lot decided."""
        lot = await self.lots.lock(lot_id)
        require_lot_manager(officer, lot.municipality_id)
        if lot.state != LotState.CLOSED:
            raise Conflict("commission.lot_not_closed", state=lot.state.value)
        record = await self.session.get(SealedLotKey, lot.id)
        if record is None:
            raise Conflict("commission.no_key")
        if record.private_key is not None:
            raise Conflict("commission.already_opened")
        shares = {entry["member"]: SealedShare.from_dict(entry["share"]) for entry in record.shares}
        opened = []
        for member_id, passphrase in releases:
            sealed = shares.get(str(member_id))
            if sealed is None:
                raise InvalidInput("commission.not_member", field="releases", user_id=member_id)
            try:
                opened.append((str(member_id), open_share(sealed, passphrase, lot.id, str(member_id))))
            except CommissionError as exc:
                raise release_refusal(exc, lot.id) from None
        if len(opened) < record.threshold:
            raise InvalidInput(
                "commission.quorum_not_met", field="releases", needed=record.threshold, given=len(opened)
            )
        try:
            private = recover_lot_key(opened, b64url_decode(record.public_key))
        except CommissionError as exc:
            raise InvalidInput("commission.shares_do_not_open", field="releases", reason=str(exc)) from None
        record.private_key = encode_private_key(private)
        record.opened_at = self.clock.now()
        awards = AwardService(self.session, self.clock, self.ledger)
        # A bid that does not open under its own lot and bidder (a copied or corrupt ciphertext) cannot
        # win, and must not stop the lot from being decided: it is disqualified, in public. So is a bid
        # below the starting price, which is a floor in every format: sealed, it could not be refused earlier.
        disqualified, below_starting_price = [], []
        for bid in await awards.standing_bids(lot.id):
            amount = opened_amount(private, lot.id, bid)
            if amount is None:
                disqualified.append(bid.pseudonym)
            elif not reaches_starting_price(amount, lot.starting_price):
                below_starting_price.append(bid.pseudonym)
        await self.ledger.record(
            "sealed.opened",
            lot.id,
            actor_of(officer),
            {
                "private_key": record.private_key,
                "released_by": [int(member) for member, _ in opened],
                "disqualified": sorted(disqualified),
                "below_starting_price": sorted(below_starting_price),
            },
        )
        return await awards.decide(lot)

    async def public_key(self, lot_id: int) -> str | None:
        return await self.session.scalar(select(SealedLotKey.public_key).where(SealedLotKey.lot_id == lot_id))

    async def commission(self, lot_id: int) -> Commission | None:
        """The lot's commission, or None for a lot published without one (any lot not sealed-bid)."""
        record = await self.session.get(SealedLotKey, lot_id)
        if record is None:
            return None
        members = []
        for share in record.shares:
            member = await self.session.get(User, int(share["member"]))
            if member is not None:
                members.append(member)
        return Commission(record.threshold, members, record.opened_at)


def dealing_refusal(exc: CommissionError) -> InvalidInput:
    """Why the lot key could not be dealt; a weak passphrase is named by its member, so a form can point at it."""
    if isinstance(exc, WeakPassphrase) and exc.min_length is not None:
        return InvalidInput(
            "commission.passphrase_too_short",
            field="members",
            member_id=int(exc.member_id),
            min_length=exc.min_length,
        )
    if isinstance(exc, WeakPassphrase):
        return InvalidInput("commission.passphrase_not_text", field="members", member_id=int(exc.member_id))
    return InvalidInput("commission.key_not_dealt", field="members", reason=str(exc))


def release_refusal(exc: CommissionError, lot_id: int) -> InvalidInput:
    """Why one member's share did not open, naming the member so a form can point at their passphrase."""
    if isinstance(exc, WrongPassphrase):
        return InvalidInput(
            "commission.passphrase_wrong", field="releases", member_id=int(exc.member_id), lot_id=lot_id
        )
    if isinstance(exc, ShareCorrupted):
        return InvalidInput("commission.share_altered", field="releases", member_id=int(exc.member_id), lot_id=lot_id)
    return InvalidInput("commission.share_unusable", field="releases", reason=str(exc))
