"""A sealed lot's commission: the key ceremony before publication and the opening after the close.

The server only relays (docs/keys.md section 2). Each member's browser makes its own key, deals and acknowledges;
the joint key Y is published in `lot.published`; at the opening each member posts decryption shares with proofs,
and any k of them open every bid. Every message is checked here on receipt with the verifier's own functions, so
what the service accepts is what the replay will accept. No member secret and no share of one is ever received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role, User
from auction.bidding.awards import AwardService
from auction.bidding.models import Bid, BidStatus, CeremonyMessage, CommissionCeremony
from auction.clock import Clock
from auction.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier import dkg
from auction.ledger.verifier.auction_rules import Outcome, reaches_starting_price
from auction.ledger.verifier.sealed import SealedBidError, b64url_decode, b64url_encode, decrypt_bid, ephemeral_of
from auction.lots.models import AuctionFormat, Lot, LotState
from auction.lots.service import LotService, actor_of, hide_from_officials, require_manager_of

KEY, DEALING, ACK, SHARE = "key", "dealing", "acknowledgement", "share"


@dataclass(frozen=True, slots=True)
class Commission:
    """A sealed lot's commission as published: how many must open, who (by user id), and when opened."""

    threshold: int
    members: list[User]
    opened_at: datetime | None
    shares_posted: int


@dataclass(frozen=True, slots=True)
class CeremonyView:
    ceremony: CommissionCeremony
    messages: dict[str, dict[int, dict[str, Any]]]  # kind -> member -> body

    @property
    def members(self) -> list[int]:
        return list(self.ceremony.members)

    def of(self, kind: str) -> dict[int, dict[str, Any]]:
        return self.messages.get(kind, {})

    @property
    def stage(self) -> str:
        n = len(self.members)
        if any(ack["complaints"] for ack in self.of(ACK).values()):
            return "failed"
        if len(self.of(KEY)) < n:
            return "keys"
        if len(self.of(DEALING)) < n:
            return "dealing"
        if len(self.of(ACK)) < n:
            return "acknowledging"
        return "complete"

    def published_members(self) -> list[dict[str, Any]]:
        return [{**self.of(KEY)[m], "index": position + 1} for position, m in enumerate(self.members)]

    def dkg_members(self) -> list[dkg.Member]:
        keys = self.of(KEY)
        return [
            dkg.Member(m, position + 1, b64url_decode(keys[m]["public_key"])) for position, m in enumerate(self.members)
        ]

    def dealings(self) -> list[dict[str, Any]]:
        return [self.of(DEALING)[m] for m in sorted(self.of(DEALING))]

    def acknowledgements(self) -> list[dict[str, Any]]:
        return [self.of(ACK)[m] for m in sorted(self.of(ACK))]

    def public_key(self) -> str | None:
        if self.stage != "complete":
            return None
        return b64url_encode(dkg.joint_key(self.dealings()))

    def to_json(self, lot_id: int) -> dict[str, Any]:
        keys = self.of(KEY)
        return {
            "lot": lot_id,
            "threshold": self.ceremony.threshold,
            "members": [
                {
                    "member": m,
                    "index": position + 1,
                    "public_key": keys[m]["public_key"] if m in keys else None,
                    "pok": keys[m]["pok"] if m in keys else None,
                }
                for position, m in enumerate(self.members)
            ],
            "dealings": self.dealings(),
            "acknowledgements": self.acknowledgements(),
            "public_key": self.public_key(),
            "stage": self.stage,
        }

    def checked(self, lot_id: int) -> dkg.Ceremony:
        sealed = dkg.published_sealed(
            self.ceremony.threshold, self.published_members(), self.dealings(), self.acknowledgements()
        )
        return dkg.check_ceremony(lot_id, sealed)


class SealedLotService:
    def __init__(self, session: AsyncSession, clock: Clock, ledger: LedgerWriter) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.lots = LotService(session, clock, ledger)

    # --- the ceremony -----------------------------------------------------------------------------------------

    async def start_ceremony(self, officer: User, lot_id: int, members: Sequence[int], threshold: int) -> CeremonyView:
        """Start (or restart, discarding the old run but keeping it on record) the key ceremony of a sealed draft."""
        lot = await self.lots.lock(lot_id)
        require_manager_of(officer, lot)
        if lot.format != AuctionFormat.SEALED_BID:
            raise InvalidInput("commission.lot_not_sealed")
        if lot.state != LotState.DRAFT:
            raise Conflict("commission.already_published", state=lot.state.value)
        ids = sorted(set(members))
        if len(ids) != len(members) or not dkg.MIN_MEMBERS <= len(ids) <= dkg.MAX_MEMBERS:
            raise InvalidInput("commission.members_invalid", field="members", most=dkg.MAX_MEMBERS)
        if type(threshold) is not int or not 2 <= threshold <= len(ids):
            raise InvalidInput("commission.threshold_invalid", field="threshold")
        for member_id in ids:
            member = await self.session.get(User, member_id)
            if member is None or member.role != Role.OFFICER or member.municipality_id != lot.municipality_id:
                raise InvalidInput("commission.member_not_officer", field="members", member_id=member_id)
        now = self.clock.now()
        current = await self._current(lot.id)
        if current is not None:
            current.discarded_at = now
        ceremony = CommissionCeremony(
            lot_id=lot.id, threshold=threshold, members=ids, started_by=officer.id, started_at=now
        )
        self.session.add(ceremony)
        await self.session.flush()
        return CeremonyView(ceremony, {})

    async def ceremony_for(self, viewer: User | None, lot_id: int) -> CeremonyView:
        """The ceremony of a lot the viewer may see (`may_see`): a draft's names its commission, so it is its
        managers' until published (then it is in `lot.published` for all); anyone else is told it is not found."""
        lot = await self.lots.get(lot_id, viewer=viewer)
        return await self.ceremony(lot.id)

    async def ceremony(self, lot_id: int) -> CeremonyView:
        current = await self._current(lot_id)
        if current is None:
            raise NotFound("commission.no_ceremony", lot_id=lot_id)
        return await self._view(current)

    async def post_key(self, user: User, lot_id: int, message: dict[str, Any]) -> CeremonyView:
        view = await self._postable(user, lot_id, message, "member", KEY, "keys")
        self._check(lambda: dkg.check_member_key(lot_id, message), user)
        return await self._store(view, KEY, user, message)

    async def post_dealing(self, user: User, lot_id: int, message: dict[str, Any]) -> CeremonyView:
        view = await self._postable(user, lot_id, message, "dealer", DEALING, "dealing")
        members = view.dkg_members()
        self._check(lambda: dkg.check_dealing(lot_id, members, view.ceremony.threshold, message), user)
        return await self._store(view, DEALING, user, message)

    async def post_acknowledgement(self, user: User, lot_id: int, message: dict[str, Any]) -> CeremonyView:
        view = await self._postable(user, lot_id, message, "member", ACK, "acknowledging")
        members, dealings = view.dkg_members(), view.dealings()
        self._check(lambda: dkg.check_acknowledgement(lot_id, members, dealings, message), user)
        return await self._store(view, ACK, user, message)

    async def publish(self, officer: User, lot_id: int) -> Lot:
        """Publish a sealed draft whose ceremony is complete; `lot.published.sealed` carries the whole transcript."""
        lot = await self.lots.lock(lot_id)
        require_manager_of(officer, lot)
        if lot.format != AuctionFormat.SEALED_BID:
            raise InvalidInput("commission.lot_not_sealed")
        current = await self._current(lot.id)
        if current is None:
            raise Conflict("commission.no_ceremony", lot_id=lot.id)
        view = await self._view(current)
        if view.stage != "complete":
            raise Conflict("commission.ceremony_incomplete", stage=view.stage)
        self._check(lambda: view.checked(lot.id), None)
        sealed = dkg.published_sealed(
            current.threshold, view.published_members(), view.dealings(), view.acknowledgements()
        )
        current.public_key = sealed["public_key"]
        return await self.lots.publish(officer, lot.id, extra_terms={"sealed": sealed})

    # --- the opening ------------------------------------------------------------------------------------------

    async def opening(self, lot_id: int) -> dict[str, Any]:
        lot = await self.lots.get(lot_id)
        view = await self._published(lot)
        standing = await self._standing(lot.id) if self._closed(lot) else []
        shares = view.of(SHARE)
        if view.ceremony.opened_at is not None:
            stage = "opened"
        elif not self._closed(lot):
            stage = "not_closed"
        else:
            stage = "ready" if len(shares) >= view.ceremony.threshold else "collecting"
        ceremony = view.checked(lot.id)
        return {
            "lot": lot.id,
            "stage": stage,
            "threshold": view.ceremony.threshold,
            "public_key": view.ceremony.public_key,
            "members": [
                {
                    "member": m.member,
                    "index": m.index,
                    "public_key": b64url_encode(m.public_key),
                    "verification_key": b64url_encode(ceremony.verification_keys[m.member]),
                }
                for m in ceremony.members
            ],
            "dealings": view.dealings(),
            "standing": [
                {"bidder": bid.pseudonym, "ciphertext_hash": bid.ciphertext_hash, "ciphertext": bid.ciphertext}
                for bid in standing
            ],
            "shares": [shares[m] for m in sorted(shares)],
        }

    async def post_shares(self, user: User, lot_id: int, message: dict[str, Any]) -> dict[str, Any]:
        """A member's decryption shares, one per standing bid, each with its DLEQ proof: checked, then logged."""
        lot = await self.lots.lock(lot_id)
        view = await self._published(lot)
        if lot.state != LotState.CLOSED or view.ceremony.opened_at is not None:
            raise Conflict("commission.not_opening", state=lot.state.value)
        if not isinstance(message, dict) or message.get("member") != user.id:
            raise PermissionDenied("commission.not_your_message", field="member")
        if user.id not in view.members:
            raise PermissionDenied("commission.not_member", user_id=user.id)
        if user.id in view.of(SHARE):
            raise Conflict("commission.already_posted", member_id=user.id)
        ceremony = view.checked(lot.id)
        standing = {
            bid.ciphertext_hash or "": ephemeral_of(bid.ciphertext or "") for bid in await self._standing(lot.id)
        }
        try:
            dkg.check_share_message(ceremony, standing, message)
        except dkg.CeremonyError as exc:
            raise InvalidInput("commission.bad_share", field="shares", member_id=user.id, reason=str(exc)) from None
        await self._store(view, SHARE, user, message)
        await self.ledger.record("sealed.share", lot.id, actor_of(user), message)
        return message

    async def open_and_award(self, officer: User, lot_id: int) -> Outcome:
        """With k valid shares: recombine, decrypt every standing bid, log `sealed.opened`, and decide the lot."""
        lot = await self.lots.lock(lot_id)
        require_manager_of(officer, lot)
        return await self._open(lot, actor_of(officer))

    async def open_if_ready(self, lot_id: int, actor: str) -> Outcome | None:
        """The scheduler's opening: only when k shares are in, and never an error for a lot still waiting."""
        lot = await self.lots.lock(lot_id)
        if lot.state != LotState.CLOSED or lot.format != AuctionFormat.SEALED_BID:
            return None
        current = await self._current(lot.id)
        if current is None or current.opened_at is not None:
            return None
        if len((await self._view(current)).of(SHARE)) < current.threshold:
            return None
        return await self._open(lot, actor)

    async def _open(self, lot: Lot, actor: str) -> Outcome:
        if lot.state != LotState.CLOSED:
            raise Conflict("commission.lot_not_closed", state=lot.state.value)
        view = await self._published(lot)
        if view.ceremony.opened_at is not None:
            raise Conflict("commission.already_opened")
        shares = view.of(SHARE)
        threshold = view.ceremony.threshold
        if len(shares) < threshold:
            raise Conflict("commission.quorum_not_met", needed=threshold, given=len(shares))
        ceremony = view.checked(lot.id)
        released = sorted(shares)[:threshold]
        index = {m.member: m.index for m in ceremony.members}
        by_bid: dict[str, dict[int, bytes]] = {}
        for member in released:
            for item in shares[member]["shares"]:
                by_bid.setdefault(item["ciphertext_hash"], {})[index[member]] = b64url_decode(item["share"])
        opened, disqualified, below = [], [], []
        for bid in await self._standing(lot.id):
            digest, ciphertext = bid.ciphertext_hash or "", bid.ciphertext or ""
            amount: int | None
            try:
                combined = dkg.combine(by_bid[digest])
                amount = decrypt_bid(combined, ceremony.public_key, lot.id, bid.pseudonym, ciphertext)
            except (SealedBidError, KeyError):
                amount = None
            bid.amount = amount
            opened.append({"bidder": bid.pseudonym, "ciphertext_hash": digest, "amount": amount})
            if amount is None:
                disqualified.append(bid.pseudonym)
            elif not reaches_starting_price(amount, lot.starting_price):
                below.append(bid.pseudonym)
        view.ceremony.opened_at = self.clock.now()
        await self.ledger.record(
            "sealed.opened",
            lot.id,
            actor,
            {
                "released_by": released,
                "opened": sorted(opened, key=lambda o: str(o["ciphertext_hash"])),
                "disqualified": sorted(disqualified),
                "below_starting_price": sorted(below),
            },
        )
        await self.session.flush()
        outcome = await AwardService(self.session, self.clock, self.ledger).decide(lot)
        assert outcome is not None, "only a descending tie waits for a run-off"
        return outcome

    # --- reads ------------------------------------------------------------------------------------------------

    async def public_key(self, lot_id: int) -> str | None:
        current = await self._current(lot_id)
        return None if current is None else current.public_key

    async def commission(self, lot_id: int) -> Commission | None:
        """The lot's commission, or None for a lot with no ceremony (any lot not sealed-bid)."""
        current = await self._current(lot_id)
        if current is None:
            return None
        members = [m for m in [await self.session.get(User, i) for i in current.members] if m is not None]
        shares = len((await self._view(current)).of(SHARE))
        return Commission(current.threshold, members, current.opened_at, shares)

    async def is_member(self, user: User, lot_id: int) -> bool:
        current = await self._current(lot_id)
        return current is not None and user.id in current.members

    # --- helpers ----------------------------------------------------------------------------------------------

    async def _current(self, lot_id: int) -> CommissionCeremony | None:
        return await self.session.scalar(
            select(CommissionCeremony)
            .where(CommissionCeremony.lot_id == lot_id, CommissionCeremony.discarded_at.is_(None))
            .order_by(CommissionCeremony.id.desc())
            .limit(1)
        )

    async def _view(self, ceremony: CommissionCeremony) -> CeremonyView:
        rows = await self.session.scalars(
            select(CeremonyMessage).where(CeremonyMessage.ceremony_id == ceremony.id).order_by(CeremonyMessage.id)
        )
        messages: dict[str, dict[int, dict[str, Any]]] = {}
        for row in rows:
            messages.setdefault(row.kind, {})[row.member] = row.body
        return CeremonyView(ceremony, messages)

    async def _published(self, lot: Lot) -> CeremonyView:
        current = await self._current(lot.id)
        if current is None or current.public_key is None or not lot.is_public:
            raise NotFound("commission.no_key")
        return await self._view(current)

    @staticmethod
    def _closed(lot: Lot) -> bool:
        return lot.state in (LotState.CLOSED, LotState.AWARDED, LotState.FAILED)

    async def _standing(self, lot_id: int) -> list[Bid]:
        rows = await self.session.scalars(
            select(Bid)
            .where(Bid.lot_id == lot_id, Bid.status == BidStatus.STANDING, Bid.ciphertext.is_not(None))
            .order_by(Bid.ciphertext_hash)
        )
        return list(rows)

    async def _postable(
        self, user: User, lot_id: int, message: dict[str, Any], who: str, kind: str, stage: str
    ) -> CeremonyView:
        lot = await self.lots.lock(lot_id)
        hide_from_officials(lot, user)
        if lot.state != LotState.DRAFT:
            raise Conflict("commission.already_published", state=lot.state.value)
        view = await self.ceremony(lot.id)
        if not isinstance(message, dict) or message.get(who) != user.id:
            raise PermissionDenied("commission.not_your_message", field=who)
        if user.id not in view.members:
            raise PermissionDenied("commission.not_member", user_id=user.id)
        if user.id in view.of(kind):
            raise Conflict("commission.already_posted", member_id=user.id)
        if view.stage != stage:
            raise Conflict("commission.wrong_stage", stage=view.stage, expected=stage)
        return view

    @staticmethod
    def _check(check: Any, user: User | None) -> None:
        try:
            check()
        except dkg.CeremonyError as exc:
            member = exc.member if exc.member is not None else (user.id if user is not None else 0)
            raise InvalidInput("commission.bad_message", member_id=member, reason=str(exc)) from None

    async def _store(self, view: CeremonyView, kind: str, user: User, message: dict[str, Any]) -> CeremonyView:
        self.session.add(
            CeremonyMessage(
                ceremony_id=view.ceremony.id, kind=kind, member=user.id, body=message, received_at=self.clock.now()
            )
        )
        await self.session.flush()
        return await self._view(view.ceremony)
