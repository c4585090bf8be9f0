"""Cancelling a live lot: one official asks with a reason, a second one confirms; an order near the close.

A published, running or closed-but-undecided auction is public, and bidders have paid deposits and planned on it;
cancelling it is the operator's strongest lever over a result it dislikes. So no official does it alone: one
records a request (the reason, and the order when one is needed), which the municipality's other officers see on
the lot's page; a different officer of the municipality, or an administrator, confirms it, and only then is
`lot.cancelled` written, naming both. In the last `cancel_lockout_hours` before the close (and after it) only a
recorded order allows it: its number, date, issuer, and the signed document, whose SHA-256 the entry keeps. The
pure rules are in auction/ledger/verifier/running_rules.py, which the replay runs too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.accounts.permissions import require_lot_manager
from auction.bidding.models import AuctionClock
from auction.clock import Clock
from auction.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.running_rules import cancellation_breach, needs_order
from auction.lots.models import CancellationRequest, FileKind, Lot, LotFile, LotState
from auction.lots.rules import ensure_transition
from auction.lots.schedule import effective_close
from auction.lots.schemas import CancelOrder
from auction.lots.service import LotService, actor_of

# The states in which a lot is live: public, not yet decided. A draft is cancelled in one step (LotService.cancel).
LIVE_STATES = frozenset({LotState.PUBLISHED, LotState.BIDDING, LotState.CLOSED})


class CancellationService:
    """The caller owns the transaction; every method takes the lot's row lock first."""

    def __init__(self, session: AsyncSession, clock: Clock, ledger: LedgerWriter) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.lots = LotService(session, clock, ledger)

    async def pending(self, lot_id: int) -> CancellationRequest | None:
        """The lot's pending request, if one still describes the lot as it is."""
        request = await self.session.get(CancellationRequest, lot_id, populate_existing=True)
        lot = await self.session.get(Lot, lot_id)
        if request is None or lot is None or request.lot_state != lot.state:
            return None
        return request

    async def pending_for(self, officer: User, lot_id: int) -> CancellationRequest:
        """The lot's pending request as an official of its municipality sees it; refused to anyone else."""
        lot = await self.lots.get(lot_id, viewer=officer)
        require_lot_manager(officer, lot.municipality_id)
        request = await self.pending(lot.id)
        if request is None:
            raise NotFound("cancel.no_request", lot_id=lot.id)
        return request

    async def request_cancellation(
        self, officer: User, lot_id: int, reason: str, order: CancelOrder | None = None
    ) -> CancellationRequest:
        """Step one: an officer asks to cancel a live lot, with a reason (and an order inside the lockout)."""
        lot = await self.lots.lock(lot_id)
        require_lot_manager(officer, lot.municipality_id)
        ensure_transition(lot.state, LotState.CANCELLED)
        if lot.state not in LIVE_STATES:
            raise Conflict("cancel.draft_in_one_step")
        reason = reason.strip()
        if not 5 <= len(reason) <= 2000:
            raise InvalidInput("cancel.reason_missing", field="reason")
        existing = await self.pending(lot.id)
        if existing is not None:
            asker = await self._user(existing.requested_by_id)
            raise Conflict("cancel.already_requested", requested_by=asker.full_name)
        stale = await self.session.get(CancellationRequest, lot.id)
        if stale is not None:
            await self.session.delete(stale)
            await self.session.flush()
        order_file = await self._order_file(lot, order) if order is not None else None
        now = self.clock.now()
        closes_at, lockout = await self._lockout(lot)
        if order is None and needs_order(now, closes_at, lockout):
            # Said now rather than at the confirmation, so the asker can add the order at once.
            raise Conflict(
                "cancel.order_required", field="order_number", closes_at=format_time(closes_at), lockout_hours=lockout
            )
        request = CancellationRequest(
            lot_id=lot.id,
            lot_state=lot.state,
            reason=reason,
            requested_by_id=officer.id,
            requested_at=now,
            order_number=order.number if order else None,
            order_date=order.date.isoformat() if order else None,
            order_issued_by=order.issued_by if order else None,
            order_file_id=order_file.id if order_file else None,
        )
        self.session.add(request)
        await self.session.flush()
        return request

    async def confirm_cancellation(self, officer: User, lot_id: int) -> Lot:
        """Step two: a different official of the municipality confirms, and `lot.cancelled` names them both."""
        lot = await self.lots.lock(lot_id)
        require_lot_manager(officer, lot.municipality_id)
        request = await self.pending(lot.id)
        if request is None:
            raise NotFound("cancel.no_request", lot_id=lot.id)
        requester = await self._user(request.requested_by_id)
        # Judged at the moment the ledger will record, as the replay judges it.
        at = await self.ledger.next_time(lot.id)
        closes_at, lockout = await self._lockout(lot)
        order = await self._recorded_order(request)
        breach = cancellation_breach(
            requested_by=actor_of(requester),
            confirmed_by=actor_of(officer),
            has_order=order is not None,
            at=at,
            closes_at=closes_at,
            lockout_hours=lockout,
        )
        if breach is not None and breach.code == "cancel.same_official":
            raise PermissionDenied.of(breach)
        if breach is not None:
            raise Conflict.of(breach)
        was, reason = lot.state, request.reason
        await self.lots.move(lot, LotState.CANCELLED)  # clears the request
        if was == LotState.BIDDING:
            # The auction ends here: its clock leaves the scheduler's due-close index (closed_at IS NULL).
            clock = await self.session.get(AuctionClock, lot.id)
            if clock is not None and clock.closed_at is None:
                clock.closed_at = at
        lot.cancel_reason = reason
        await self.ledger.record(
            "lot.cancelled",
            lot.id,
            actor_of(officer),
            {
                "reason": reason,
                "was": was.value,
                "requested_by": actor_of(requester),
                "confirmed_by": actor_of(officer),
                "order": order,
            },
            at=at,
        )
        await self.session.flush()
        return lot

    async def withdraw_cancellation(self, officer: User, lot_id: int) -> None:
        """The official who asked takes the request back; nothing was public, so nothing is recorded."""
        lot = await self.lots.lock(lot_id)
        require_lot_manager(officer, lot.municipality_id)
        request = await self.pending(lot.id)
        if request is None:
            raise NotFound("cancel.no_request", lot_id=lot.id)
        if request.requested_by_id != officer.id:
            raise PermissionDenied("cancel.withdraw_not_yours")
        await self.session.delete(request)
        await self.session.flush()

    async def requester(self, request: CancellationRequest) -> User:
        return await self._user(request.requested_by_id)

    async def order_file(self, request: CancellationRequest) -> LotFile | None:
        if request.order_file_id is None:
            return None
        return await self.session.get(LotFile, request.order_file_id)

    async def lockout(self, lot: Lot) -> tuple[datetime, int]:
        """The close the lockout counts back from, and the municipality's lockout in hours."""
        return await self._lockout(lot)

    async def _lockout(self, lot: Lot) -> tuple[datetime, int]:
        clock = await self.session.get(AuctionClock, lot.id, populate_existing=True)
        # Once bidding opened, the running close (after any soft-close or outage extension) is the one that counts.
        closes_at = effective_close(lot, clock.closes_at if clock is not None else None)
        municipality = await self.lots.municipalities.get(lot.municipality_id)
        return closes_at, municipality.rules_in_force().cancel_lockout_hours

    async def _order_file(self, lot: Lot, order: CancelOrder) -> LotFile:
        stored = await self.session.get(LotFile, order.file_id)
        if stored is None or stored.lot_id != lot.id or stored.kind != FileKind.ORDER:
            raise InvalidInput("cancel.order_file_missing", field="order_file", lot_id=lot.id)
        return stored

    async def _recorded_order(self, request: CancellationRequest) -> dict[str, Any] | None:
        """The order as `lot.cancelled.order` records it, or None."""
        stored = await self.order_file(request)
        if stored is None:
            return None
        return {
            "number": request.order_number,
            "date": request.order_date,
            "issued_by": request.order_issued_by,
            "sha256": stored.sha256,
        }

    async def _user(self, user_id: int) -> User:
        user = await self.session.get(User, user_id)
        assert user is not None, "a request names an existing account"
        return user
