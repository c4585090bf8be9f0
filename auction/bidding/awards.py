"""Awards: deciding the winner from the bids, the winner's signature, and passing to the runner-up."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.bidding.keys import Signatures, find_application, lot_keys
from auction.bidding.models import (
    Application,
    ApplicationStatus,
    AuctionClock,
    Award,
    AwardStatus,
    Bid,
    BidStatus,
    CommissionCeremony,
    RunoffOffer,
)
from auction.bidding.notices import tell
from auction.bidding.results_protocol import ProtocolService
from auction.clock import Clock, as_utc
from auction.contracts.service import ContractService
from auction.errors import Conflict, NotFound, PermissionDenied
from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.verifier import auction_rules as rules
from auction.ledger.verifier import runoff as tie
from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.settlement import DEPOSIT_FORFEITED
from auction.lots.models import AuctionFormat, Deal, Lot, LotState, SingleParticipantRule
from auction.lots.service import LotService
from auction.municipalities.models import Municipality

SYSTEM = "system"
# Why a lapsed offer's deposit is kept, as `deposit.forfeited` records it for people.
FORFEIT_REASONS = {
    "award.declined": "the winner declined to sign the contract",
    "award.expired": "the winner did not sign the contract by the deadline",
}


class AwardService:
    def __init__(self, session: AsyncSession, clock: Clock, ledger: LedgerWriter) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.lots = LotService(session, clock, ledger)
        self.contracts = ContractService(session, clock, ledger)

    async def signing_period(self, lot: Lot) -> timedelta:
        """How long an offered bidder has to sign: the municipality's `sign_days`."""
        municipality = await self.session.get(Municipality, lot.municipality_id)
        assert municipality is not None
        return timedelta(days=municipality.rules_in_force().sign_days)

    async def decide(self, lot: Lot) -> rules.Outcome | None:
        """Award a closed (and, if sealed, opened) lot from its bids, or fail it; the caller holds the lot lock.

        A descending lot whose tick had several contenders is not decided here: its run-off opens (None), and
        `decide_runoff` awards it at the run-off's deadline.
        """
        if lot.state != LotState.CLOSED:
            raise Conflict("award.lot_not_closed", state=lot.state.value)
        placed = await self._placed(lot)
        # The single-participant rule counts the bidders admitted before bidding opened, as auction.opened did.
        admitted = await self._admitted(lot.id)
        sell_single = lot.single_participant_rule == SingleParticipantRule.SELL_AT_START
        if lot.format == AuctionFormat.DESCENDING:
            if len(placed) > 1:
                await self._open_runoff(lot, placed)
                return None
            taken_late = not placed and await self._had_late_bid(lot.id)
            outcome = rules.decide_descending(
                placed[0] if placed else None,
                taken_late=taken_late,
                admitted=admitted,
                starting_price=lot.starting_price,
                sell_single_at_start=sell_single,
            )
        else:
            outcome = rules.decide_highest(
                placed, starting_price=lot.starting_price, sell_single_at_start=sell_single, admitted=admitted
            )
        return await self._award(lot, outcome, len(placed))

    async def _open_runoff(self, lot: Lot, contenders: list[rules.Placed]) -> None:
        """Several bidders accepted within one tick: a sealed run-off among them decides (runoff.py)."""
        clock = await self.session.get(AuctionClock, lot.id, populate_existing=True)
        assert clock is not None
        at = await self.ledger.next_time(lot.id)
        price = contenders[0].amount
        clock.runoff_price, clock.runoff_closes_at = price, at + tie.RUNOFF
        await self.ledger.record(
            "runoff.opened",
            lot.id,
            SYSTEM,
            {
                "contenders": [c.bidder for c in contenders],
                "price": price,
                "closes_at": format_time(at + tie.RUNOFF),
            },
            at=at,
        )
        await self.session.flush()

    async def decide_runoff(self, lot: Lot) -> rules.Outcome | None:
        """At the run-off's deadline: reveal every sealed offer and award by the tie rule; the caller holds the lock.

        None when it is not (yet) due: no run-off, already decided, or its deadline not reached in the chain.
        """
        clock = await self.session.get(AuctionClock, lot.id, populate_existing=True)
        if lot.state != LotState.CLOSED or clock is None or clock.runoff_closes_at is None:
            return None
        at = await self.ledger.next_time(lot.id)
        if at < as_utc(clock.runoff_closes_at):
            return None
        offers = list(
            await self.session.scalars(select(RunoffOffer).where(RunoffOffer.lot_id == lot.id).order_by(RunoffOffer.id))
        )
        await self.ledger.record(
            "runoff.revealed",
            lot.id,
            SYSTEM,
            {"offers": [{"bidder": o.pseudonym, "amount": o.amount, "nonce": o.nonce} for o in offers]},
            at=at,
        )
        placed = await self._placed(lot)
        outcome = tie.decide_runoff(placed, {o.pseudonym: o.amount for o in offers})
        return await self._award(lot, outcome, len(placed))

    async def _award(self, lot: Lot, outcome: rules.Outcome, count: int) -> rules.Outcome:
        seq, head = await self.ledger.chain_head(lot.id)
        common = {"chain_head": head, "chain_length": seq, "bid_count": count}
        if outcome.failed:
            await self.lots.move(lot, LotState.FAILED)
            await self.ledger.record("award.failed", lot.id, SYSTEM, {**common, "reason": outcome.reason})
            await ProtocolService(self.session, self.clock, self.ledger).issue(lot)
            return outcome
        assert outcome.winner is not None
        assert outcome.price is not None
        deadline = self.clock.now() + await self.signing_period(lot)
        bidder_ids = {bid.pseudonym: bid for bid in await self._bid_rows(lot.id)}
        self.session.add(
            Award(
                lot_id=lot.id,
                rank=1,
                bidder_id=bidder_ids[outcome.winner].bidder_id,
                pseudonym=outcome.winner,
                price=outcome.price,
                status=AwardStatus.AWAITING_SIGNATURE,
                sign_deadline=deadline,
            )
        )
        if outcome.runner_up is not None and outcome.runner_up_price is not None:
            self.session.add(
                Award(
                    lot_id=lot.id,
                    rank=2,
                    bidder_id=bidder_ids[outcome.runner_up].bidder_id,
                    pseudonym=outcome.runner_up,
                    price=outcome.runner_up_price,
                    status=AwardStatus.RESERVE,
                    sign_deadline=deadline,
                )
            )
        # The winner hears it from "award.won" below, not again as a watcher.
        await self.lots.move(lot, LotState.AWARDED, told=[bidder_ids[outcome.winner].bidder_id])
        sign_by = format_time(deadline)
        await tell(
            self.session,
            lot,
            bidder_ids[outcome.winner].bidder_id,
            "award.won",
            "1",
            amount_tyiyn=outcome.price,
            sign_deadline_at=sign_by,
        )
        await self.ledger.record(
            "award.made",
            lot.id,
            SYSTEM,
            {
                **common,
                "winner": outcome.winner,
                "price": outcome.price,
                "runner_up": outcome.runner_up,
                "runner_up_price": outcome.runner_up_price,
                "sign_deadline": format_time(deadline),
                "reason": outcome.reason,
                **_deal_terms(lot),
            },
        )
        await self.session.flush()
        await ProtocolService(self.session, self.clock, self.ledger).issue(lot)
        return outcome

    async def sign(self, bidder: User, lot_id: int, signed: dict[str, Any] | None) -> Award:
        award, _ = await self.sign_with_receipt(bidder, lot_id, signed)
        return award

    async def sign_with_receipt(
        self, bidder: User, lot_id: int, signed: dict[str, Any] | None
    ) -> tuple[Award, Admitted]:
        """The winner signs for the lot; the receipt proves the signature entry is in the ledger."""
        lot = await self.lots.lock(lot_id)
        award = await self._offered(lot.id)
        if award.bidder_id != bidder.id:
            raise PermissionDenied("award.sign_not_winner")
        at = await self.ledger.next_time(lot.id)
        if at >= as_utc(award.sign_deadline):
            raise Conflict("award.sign_deadline_passed")
        payload = {"bidder": award.pseudonym, "price": award.price, "signed": signed}
        await self._signed(bidder, lot.id, "award.signed", payload, at)
        award.status = AwardStatus.SIGNED
        award.decided_at = at
        admitted = await self.ledger.record("award.signed", lot.id, f"bidder:{award.pseudonym}", payload, at=at)
        # The signature concludes the contract, with its payment schedule, in the same transaction.
        await self.contracts.conclude(lot, award.bidder_id, award.pseudonym, award.price, at)
        await self.session.flush()
        return award, admitted

    async def decline(self, bidder: User, lot_id: int, signed: dict[str, Any] | None) -> Award | None:
        passed, _ = await self.decline_with_receipt(bidder, lot_id, signed)
        return passed

    async def decline_with_receipt(
        self, bidder: User, lot_id: int, signed: dict[str, Any] | None
    ) -> tuple[Award | None, Admitted]:
        """The winner refuses the award: the runner-up's award (or None) and the receipt for the refusal entry."""
        lot = await self.lots.lock(lot_id)
        award = await self._offered(lot.id)
        if award.bidder_id != bidder.id:
            raise PermissionDenied("award.decline_not_winner")
        at = await self.ledger.next_time(lot.id)
        payload = {"bidder": award.pseudonym, "deposit": _deposit_on_walking_away(award), "signed": signed}
        await self._signed(bidder, lot.id, "award.declined", payload, at)
        return await self._lapse(
            lot, award, AwardStatus.DECLINED, "award.declined", f"bidder:{award.pseudonym}", payload, at
        )

    async def _signed(self, bidder: User, lot_id: int, kind: str, payload: dict[str, Any], at: datetime) -> None:
        """The winner's signature on their answer passes, and their sequence moves on."""
        application = await find_application(self.session, lot_id, bidder.id)
        assert application is not None, "an award goes to an approved applicant"
        await Signatures(self.session, self.clock).check(
            bidder, lot_id, kind, payload, at, lot_keys(application), application.last_seq
        )
        application.last_seq += 1

    async def expire_if_due(self, lot_id: int) -> bool:
        """The scheduler's check: a winner who missed the deadline loses the deposit and the award moves on."""
        lot = await self.lots.lock(lot_id)
        award = await self.session.scalar(
            select(Award).where(Award.lot_id == lot.id, Award.status == AwardStatus.AWAITING_SIGNATURE)
        )
        if award is None or await self.ledger.next_time(lot.id) < as_utc(award.sign_deadline):
            return False
        payload = {"bidder": award.pseudonym, "deposit": _deposit_on_walking_away(award)}
        await self._lapse(lot, award, AwardStatus.EXPIRED, "award.expired", SYSTEM, payload, None)
        return True

    async def _lapse(
        self,
        lot: Lot,
        award: Award,
        status: AwardStatus,
        kind: str,
        actor: str,
        payload: dict[str, Any],
        at: datetime | None,
    ) -> tuple[Award | None, Admitted]:
        now = self.clock.now()
        award.status, award.decided_at = status, now
        lapsed = await self.ledger.record(kind, lot.id, actor, payload, at=at)
        if payload["deposit"] == "forfeited":
            forfeit = {"bidder": award.pseudonym, "amount": lot.deposit, "reason": FORFEIT_REASONS[kind]}
            await self.ledger.record(DEPOSIT_FORFEITED, lot.id, SYSTEM, forfeit)
        runner = await self.session.scalar(
            select(Award).where(Award.lot_id == lot.id, Award.status == AwardStatus.RESERVE)
        )
        if runner is None:
            await self.ledger.record("award.lapsed", lot.id, SYSTEM, {"reason": "no runner-up to pass to"})
            # Nobody will sign: the lot is failed, and the officer may repeat the auction (LotService.relist).
            await self.lots.move(lot, LotState.FAILED)
            await self.session.flush()
            return None, lapsed
        runner.status = AwardStatus.AWAITING_SIGNATURE
        runner.sign_deadline = now + await self.signing_period(lot)
        await tell(
            self.session,
            lot,
            runner.bidder_id,
            "award.won",
            "2",
            amount_tyiyn=runner.price,
            sign_deadline_at=format_time(as_utc(runner.sign_deadline)),
        )
        await self.ledger.record(
            "award.passed",
            lot.id,
            SYSTEM,
            {
                "to": runner.pseudonym,
                "price": runner.price,
                "sign_deadline": format_time(runner.sign_deadline),
                **_deal_terms(lot),
            },
        )
        await self.session.flush()
        return runner, lapsed

    async def awards(self, lot_id: int) -> list[Award]:
        rows = await self.session.scalars(select(Award).where(Award.lot_id == lot_id).order_by(Award.rank))
        return list(rows)

    async def _offered(self, lot_id: int) -> Award:
        award = await self.session.scalar(
            select(Award).where(Award.lot_id == lot_id, Award.status == AwardStatus.AWAITING_SIGNATURE)
        )
        if award is None:
            raise NotFound("award.none_waiting")
        return award

    async def _admitted(self, lot_id: int) -> int:
        """How many bidders were admitted to the auction (approved; admission closed when bidding opened)."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.lot_id == lot_id, Application.status == ApplicationStatus.APPROVED)
        )
        return int(count or 0)

    async def _had_late_bid(self, lot_id: int) -> bool:
        """Whether the close left a bid out as witnessed too late (auction.closed `late`)."""
        late = await self.session.scalar(
            select(Bid.id).where(Bid.lot_id == lot_id, Bid.status == BidStatus.LATE).limit(1)
        )
        return late is not None

    async def _bid_rows(self, lot_id: int) -> list[Bid]:
        rows = await self.session.scalars(
            select(Bid).where(Bid.lot_id == lot_id, Bid.status == BidStatus.STANDING).order_by(Bid.id)
        )
        return list(rows)

    async def _placed(self, lot: Lot) -> list[rules.Placed]:
        rows = await self._bid_rows(lot.id)
        if lot.format != AuctionFormat.SEALED_BID:
            return [rules.Placed(b.pseudonym, b.amount or 0, as_utc(b.placed_at), b.id) for b in rows]
        opened = await self.session.scalar(
            select(CommissionCeremony.id).where(
                CommissionCeremony.lot_id == lot.id,
                CommissionCeremony.discarded_at.is_(None),
                CommissionCeremony.opened_at.is_not(None),
            )
        )
        if opened is None:
            raise Conflict("award.sealed_bids_unopened")
        # The opening wrote each bid's amount, or None for a bid that did not open (disqualified there, in public);
        # a bid below the starting price was disqualified there too.
        return [
            rules.Placed(bid.pseudonym, bid.amount, as_utc(bid.placed_at), bid.id)
            for bid in rows
            if bid.amount is not None and rules.reaches_starting_price(bid.amount, lot.starting_price)
        ]

    async def standing_bids(self, lot_id: int) -> list[Bid]:
        return await self._bid_rows(lot_id)


def _deposit_on_walking_away(award: Award) -> str:
    """The winner who declines or lets the deadline pass forfeits the deposit; a runner-up offered the lot after
    them never promised to buy at their own price, so their deposit is returned."""
    return "forfeited" if award.rank == 1 else "returned"


def _deal_terms(lot: Lot) -> dict[str, object]:
    if lot.deal == Deal.LEASE:
        return {"deal": "lease", "rent_period": lot.rent_period, "lease_term_months": lot.lease_term_months}
    return {"deal": "sale"}
