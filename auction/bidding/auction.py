"""Running auctions: opening, bids of every format, and closing — each under the lot's own row lock."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role, User
from auction.bidding.hot_lot import (
    EarlierBid,
    LockedLot,
    OpenBidWrite,
    Participant,
    RunningClock,
    lock_lot,
    write_open_bid,
)
from auction.bidding.keys import Signatures, check_statement, lot_keys
from auction.bidding.models import (
    Application,
    ApplicationStatus,
    AuctionClock,
    Bid,
    BidStatus,
    RunoffOffer,
    SchedulerPulse,
)
from auction.bidding.notices import participants, tell, tell_participants
from auction.bidding.participation import ParticipationService
from auction.bidding.stale import glance, stale_refusal
from auction.clock import Clock, as_utc
from auction.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.models import LedgerEntry
from auction.ledger.verifier import auction_rules as rules
from auction.ledger.verifier import dutch_clock
from auction.ledger.verifier import runoff as tie
from auction.ledger.verifier.canonical import format_time, parse_time
from auction.ledger.verifier.dutch_clock import Pause
from auction.ledger.verifier.entry import ZERO_HASH, Body, parse_leaf
from auction.ledger.verifier.late_bids import LATE_FIELD, LotBidTimes, counted_standing
from auction.ledger.verifier.sealed import SealedBidError, ciphertext_hash, validate_ciphertext
from auction.ledger.verifier.statements import key_id as statement_key_id
from auction.ledger.witness_config import WitnessConfig
from auction.ledger.witnessed_time import (
    BINDING_KINDS,
    refuse_unless_witnessed,
    unwitnessed_too_long,
    witness_clock,
    witness_health,
)
from auction.lots.models import AuctionFormat, Lot, LotState
from auction.lots.schedule import scheduled_close
from auction.lots.service import LotService
from auction.watching.alerts import alert_watchers
from auction.watching.rules import WatchedChange

log = logging.getLogger(__name__)

# A bidder's signature object as sent (docs/keys.md 1.2), or None when they sent none.
Signed = dict[str, Any] | None

SYSTEM = "system"
# The platform counts as down for a lot if it could not take bids for longer than this in the final minutes.
OUTAGE_THRESHOLD_SECONDS = 60
SEALED_KINDS = frozenset({"bid.sealed", "bid.withdrawn"})


@dataclass(frozen=True, slots=True)
class BidReceipt:
    """What a bidder keeps: the ledger body of their bid, its hash and the log's signed promise."""

    bid_id: int
    lot_id: int
    amount: int | None
    placed_at: datetime
    closes_at: datetime
    body: str
    body_hash: str
    receipt: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "bid_id": self.bid_id,
            "lot_id": self.lot_id,
            "amount": self.amount,
            "placed_at": format_time(self.placed_at),
            "closes_at": format_time(self.closes_at),
            "body": self.body,
            "body_hash": self.body_hash,
            "receipt": self.receipt,
        }


def outage_threshold_seconds(witnesses: WitnessConfig | None) -> int:
    """How long the platform may be down before it counts as an outage: with witnesses, their grace, since a
    bid they cannot vouch for within the grace is late (docs/witnesses.md §5)."""
    return witnesses.grace_seconds if witnesses is not None and witnesses.enabled else OUTAGE_THRESHOLD_SECONDS


def outage_rule(lot: Lot, witnesses: WitnessConfig | None = None) -> dict[str, int]:
    """Published with the opening: how an outage near the close extends it (see scheduler.py)."""
    return {"threshold_seconds": outage_threshold_seconds(witnesses), "extension_minutes": lot.soft_close_minutes}


def pauses_of(clock: AuctionClock) -> list[Pause]:
    """A descending lot's recorded outages, during which its price stood still."""
    return [(parse_time(start), parse_time(end)) for start, end in clock.pauses or []]


def dutch_price_at(lot: Lot, clock: AuctionClock | None, at: datetime) -> int:
    """The descending lot's price at `at`, with every outage recorded so far left out (the replay's function)."""
    assert lot.floor_price is not None
    assert lot.price_drop_interval_seconds is not None
    return rules.dutch_price(
        lot.starting_price,
        lot.bid_step,
        lot.floor_price,
        as_utc(lot.bidding_opens_at),
        timedelta(seconds=lot.price_drop_interval_seconds),
        at,
        [] if clock is None else pauses_of(clock),
    )


def replayed(earlier: EarlierBid, request_hash: str) -> BidReceipt:
    """The receipt of the bid already placed with this key, or the refusal of the key's reuse for another request."""
    if earlier.request_hash != request_hash:
        raise Conflict("bid.idempotency_key_reused", field="idempotency_key")
    stored = earlier.receipt
    return BidReceipt(
        bid_id=stored["bid_id"],
        lot_id=stored["lot_id"],
        amount=stored["amount"],
        placed_at=earlier.placed_at,
        closes_at=parse_time(stored["closes_at"]),
        body=stored["body"],
        body_hash=stored["body_hash"],
        receipt=stored["receipt"],
    )


def approved(bidder: User, application: Participant | None) -> Participant:
    """The bidder's approved application, or the refusal ParticipationService.approved gives."""
    if bidder.role != Role.BIDDER:
        raise PermissionDenied("bid.officials_excluded")
    if application is None:
        raise PermissionDenied("bid.not_applied")
    if application.status != ApplicationStatus.APPROVED:
        raise PermissionDenied("bid.application_not_approved", status=application.status.value)
    return application


def open_clock(locked: LockedLot, fmt: AuctionFormat, at: datetime) -> RunningClock:
    """The running clock of a lot taking bids of ``fmt`` at ``at``, or the refusal ``_open_clock`` gives."""
    if locked.format != fmt:
        raise Conflict("bid.format_mismatch", lot_format=locked.format.value, bid_format=fmt.value)
    if locked.state != LotState.BIDDING:
        raise Conflict("bid.lot_not_bidding", state=locked.state.value)
    if locked.clock is None:
        raise NotFound("bid.not_opened", lot_id=locked.titles.id)
    if not rules.is_open(locked.clock.opened_at, locked.clock.closes_at, at):
        raise Conflict("bid.too_late", closed_at=format_time(locked.clock.closes_at))
    return locked.clock


class AuctionService:
    def __init__(self, session: AsyncSession, clock: Clock, ledger: LedgerWriter) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.lots = LotService(session, clock, ledger)
        self.participation = ParticipationService(session, clock, ledger)

    # --- the scheduler's side -------------------------------------------------------------------------

    async def open_if_due(self, lot_id: int) -> bool:
        """Open bidding once its time has come; the lot's state under its row lock makes this exactly-once."""
        lot = await self.lots.lock(lot_id)
        now = self.clock.now()
        if lot.state != LotState.PUBLISHED or now < as_utc(lot.bidding_opens_at):
            return False
        await self.participation.reject_unreviewed(lot.id)
        told = await participants(self.session, lot.id)
        await self.lots.move(lot, LotState.BIDDING, told=told)
        closes_at = self._scheduled_close(lot)
        latest = closes_at + timedelta(minutes=lot.max_extension_minutes)
        if lot.format != AuctionFormat.OPEN_ASCENDING:
            latest = closes_at
        self.session.add(
            AuctionClock(lot_id=lot.id, opened_at=now, closes_at=closes_at, latest_close=latest, bid_count=0)
        )
        approved = await self._approved_count(lot.id)
        opened: dict[str, Any] = {
            "closes_at": format_time(closes_at),
            "latest_close": format_time(latest),
            "participants": approved,
            "outage_rule": outage_rule(lot, self.ledger.witnesses),
        }
        if lot.format == AuctionFormat.DESCENDING:
            opened["tie_rule"] = dict(tie.TIE_RULE)  # acceptances within one tick go to a run-off, not to speed
        await self.ledger.record("auction.opened", lot.id, SYSTEM, opened)
        await self.session.flush()
        await tell_participants(self.session, lot, told, "bidding.opened", "opened", closes_at=format_time(closes_at))
        return True

    async def close_if_due(self, lot_id: int) -> bool:
        """Close bidding at its (possibly extended) closing instant, once every earlier bid is in the ledger."""
        lot = await self.lots.lock(lot_id)
        if lot.state != LotState.BIDDING:
            return False
        clock = await self.auction_clock(lot.id)
        now = self.clock.now()
        if now < as_utc(clock.closes_at):
            return False
        if await self.ledger.pending_for(lot.id):
            # The close commits to the chain head: wait until every admitted bid has its global index.
            return False
        late: list[int] | None = None
        if self.ledger.witnesses is not None:
            # ... and, with witnesses, until a quorum vouched for every entry of the lot (docs/witnesses.md §5).
            health = await witness_health(self.session)
            if unwitnessed_too_long(health, now, self.ledger.witnesses.grace_seconds):
                return False  # an outage: bids are refused now, and the scheduler extends the close once it ends
            chain = await self._integrated_chain(lot.id)
            if chain and (health is None or chain[-1][0] >= health.witnessed_size):
                return False
            late = await self._late_bids(lot, chain)
        await self._close(lot, clock, now, late)
        return True

    async def _integrated_chain(self, lot_id: int) -> list[tuple[int, Body]]:
        """The lot's entries with their global indexes, in lot_seq order (none is pending when this is asked)."""
        rows = await self.session.execute(
            select(LedgerEntry.idx, LedgerEntry.leaf).where(LedgerEntry.chain_key == lot_id).order_by(LedgerEntry.idx)
        )
        return [(index, parse_leaf(leaf).body) for index, leaf in rows]

    async def _late_bids(self, lot: Lot, chain: list[tuple[int, Body]]) -> list[int]:
        """Judge every bid by its witnessed time, with the rule the replay runs; leave the late ones out."""
        assert self.ledger.witnesses is not None
        times = LotBidTimes()
        for index, body in chain:
            times.see(index, body)
        first = times.first_index
        if first is None:
            return []
        witnessed = await witness_clock(self.session, above_index=first)
        late = times.late(witnessed.witnessed_at, self.ledger.witnesses.grace_seconds)
        if late:
            await self._leave_out(lot, chain, frozenset(late))
        return late

    async def _leave_out(self, lot: Lot, chain: list[tuple[int, Body]], late: frozenset[int]) -> None:
        """Mark late bids LATE; on a sealed lot, a late replacement or withdrawal changes nothing either, so the
        bidders' standing bids are worked out again from the counted entries alone."""
        seq_of = {body.hash: body.lot_seq for _, body in chain}
        rows = {seq_of[bid.body_hash]: bid for bid in await self.bids(lot.id) if bid.body_hash in seq_of}
        for seq in late:
            if seq in rows:  # a withdrawal has no row of its own
                rows[seq].status = BidStatus.LATE
        if lot.format != AuctionFormat.SEALED_BID:
            return
        events = [(b.lot_seq, b.kind, str(b.payload["bidder"])) for _, b in chain if b.kind in SEALED_KINDS]
        standing = set(counted_standing(events, late).values())
        last_of: dict[str, int] = {}
        for seq, kind, bidder in events:
            if kind == "bid.sealed" and seq not in late:
                last_of[bidder] = seq
        for seq, bid in rows.items():
            if seq in late:
                continue
            if seq in standing:
                bid.status = BidStatus.STANDING
            elif last_of.get(bid.pseudonym) == seq:
                bid.status = BidStatus.WITHDRAWN
            else:
                bid.status = BidStatus.REPLACED

    async def _close(self, lot: Lot, clock: AuctionClock, now: datetime, late: list[int] | None = None) -> None:
        told = await participants(self.session, lot.id)
        await self.lots.move(lot, LotState.CLOSED, told=told)
        clock.closed_at = now
        seq, head = await self.ledger.chain_head(lot.id)
        payload: dict[str, Any] = {
            "chain_head": head,
            "chain_length": seq,
            "bid_count": clock.bid_count,
            "closes_at": format_time(as_utc(clock.closes_at)),
        }
        if late is not None:
            payload[LATE_FIELD] = late  # only when witnessed, so unwitnessed deployments keep their bytes
        await self.ledger.record("auction.closed", lot.id, SYSTEM, payload)
        await tell_participants(self.session, lot, told, "auction.closed", "closed")

    def _scheduled_close(self, lot: Lot) -> datetime:
        return scheduled_close(lot)

    # --- the bidder's side -----------------------------------------------------------------------------

    async def place_bid(
        self, bidder: User, lot_id: int, amount: int, idempotency_key: str, signed: Signed
    ) -> BidReceipt:
        """An open ascending bid: at least the minimum next bid, before the close; may extend the close.

        Every bid is signed by the bidder (docs/keys.md 1); `signed` is their signature object, or None.
        """
        request = {"lot": lot_id, "kind": "open", "amount": amount}
        return await self._bid(bidder, lot_id, idempotency_key, request, AuctionFormat.OPEN_ASCENDING, signed)

    async def submit_sealed(
        self, bidder: User, lot_id: int, ciphertext: str, idempotency_key: str, signed: Signed
    ) -> BidReceipt:
        """A sealed bid (or its replacement): stored and logged only as ciphertext and its hash."""
        request = {"lot": lot_id, "kind": "sealed", "ciphertext": ciphertext}
        return await self._bid(bidder, lot_id, idempotency_key, request, AuctionFormat.SEALED_BID, signed)

    async def accept_price(
        self, bidder: User, lot_id: int, idempotency_key: str, limit: int, signed: Signed
    ) -> BidReceipt:
        """Descending auction: take the lot at the current price, at most `limit` (the price the bidder saw and
        signed for); the first to accept wins and bidding ends."""
        request = {"lot": lot_id, "kind": "accept", "limit": limit}
        return await self._bid(bidder, lot_id, idempotency_key, request, AuctionFormat.DESCENDING, signed)

    async def _signed(
        self, bidder: User, application: Application, kind: str, payload: dict[str, Any], at: datetime
    ) -> dict[str, Any]:
        """The payload, once its `signed` passes; the bidder's sequence moves on with it."""
        await Signatures(self.session, self.clock).check(
            bidder, application.lot_id, kind, payload, at, lot_keys(application), application.last_seq
        )
        application.last_seq += 1
        return payload

    async def withdraw_sealed(self, bidder: User, lot_id: int, signed: Signed) -> Admitted:
        """Withdraw the bidder's standing sealed bid; the receipt proves the withdrawal is in the ledger."""
        lot = await self.lots.lock(lot_id)
        application = await self.participation.approved(lot_id, bidder)
        at = await self.ledger.next_time(lot.id)
        await self._open_clock(lot, AuctionFormat.SEALED_BID, at)
        standing = await self._standing(lot_id, bidder.id)
        if standing is None:
            raise Conflict("sealed_bid.none_standing")
        standing.status = BidStatus.WITHDRAWN
        payload = await self._signed(
            bidder, application, "bid.withdrawn", {"bidder": application.pseudonym, "signed": signed}, at
        )
        admitted = await self.ledger.record("bid.withdrawn", lot_id, f"bidder:{application.pseudonym}", payload, at=at)
        await self.session.flush()
        return admitted

    async def _bid(
        self, bidder: User, lot_id: int, key: str, request: dict[str, Any], fmt: AuctionFormat, signed: Signed
    ) -> BidReceipt:
        """Admit one bid of any format; a refusal leaves nothing behind but this log line."""
        try:
            return await self._admit_bid(bidder, lot_id, key, request, fmt, signed)
        except DomainError as refused:
            log.info("%s refused: lot=%s user=%s %s: %s", fmt, lot_id, bidder.id, refused.code, refused.message)
            raise

    async def _admit_bid(
        self, bidder: User, lot_id: int, key: str, request: dict[str, Any], fmt: AuctionFormat, signed: Signed
    ) -> BidReceipt:
        if not 8 <= len(key) <= 100:
            raise InvalidInput("bid.idempotency_key_invalid", field="idempotency_key")
        if fmt == AuctionFormat.OPEN_ASCENDING:
            # A bid already below the price as read now stays below it (prices only rise): no lock for it.
            seen = await glance(self.session, lot_id, bidder.id, key)
            stale = stale_refusal(seen, bidder.role, request["amount"], self.clock.now())
            if stale is not None:
                raise stale
            return await self._admit_open_bid(bidder, lot_id, key, request, signed)
        lot = await self.lots.lock(lot_id)
        request_hash = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        replay = await self._replayed(bidder, key, request_hash)
        if replay is not None:
            return replay
        application = await self.participation.approved(lot_id, bidder)
        at = await self.ledger.next_time(lot.id)
        clock = await self._open_clock(lot, fmt, at)
        amount: int | None
        if fmt == AuctionFormat.SEALED_BID:
            ciphertext = request["ciphertext"]
            digest, admitted = await self._admit_sealed(lot, bidder, application, ciphertext, signed, at)
            amount = None
        else:
            amount, admitted = await self._admit_acceptance(
                lot, clock, bidder, application, request["limit"], signed, at
            )
            ciphertext = digest = None
        pseudonym = application.pseudonym
        clock.bid_count += 1
        bid = Bid(
            lot_id=lot.id,
            bidder_id=bidder.id,
            pseudonym=pseudonym,
            amount=amount,
            ciphertext=ciphertext,
            ciphertext_hash=digest,
            placed_at=admitted.admitted_at,
            idempotency_key=key,
            request_hash=request_hash,
            body_hash=admitted.body_hash,
            receipt={},
        )
        self.session.add(bid)
        try:
            await self.session.flush()
        except IntegrityError as clash:
            # The same key on two lots at once: each lot's lock let its own bid through, and the key's uniqueness
            # per bidder stops the second one here (the transaction is rolled back with the refusal).
            raise Conflict("bid.idempotency_key_reused", field="idempotency_key") from clash
        result = BidReceipt(
            bid_id=bid.id,
            lot_id=lot.id,
            amount=amount,
            placed_at=admitted.admitted_at,
            closes_at=as_utc(clock.closes_at),
            body=admitted.body.decode(),
            body_hash=admitted.body_hash,
            receipt=admitted.receipt,
        )
        bid.receipt = result.as_dict()
        await self.session.flush()
        return result

    async def _admit_open_bid(
        self, bidder: User, lot_id: int, key: str, request: dict[str, Any], signed: Signed
    ) -> BidReceipt:
        """An open ascending bid in plain SQL: one locked read, the rules in memory, one guarded write (see
        hot_lot.py); the refusals, their order and the ledger's bytes are the other formats' (``_admit_bid``)."""
        locked = await lock_lot(self.session, self.ledger, lot_id, bidder.id, key)
        if locked is None:
            raise NotFound("lot.not_found", lot_id=lot_id)
        request_hash = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        if locked.earlier is not None:
            return replayed(locked.earlier, request_hash)
        application = approved(bidder, locked.application)
        now = self.clock.now()
        at = now if locked.head is None else max(now, locked.head.admitted_at)
        running = open_clock(locked, AuctionFormat.OPEN_ASCENDING, at)
        amount: int = request["amount"]
        problem = rules.bid_problem(
            amount, rules.minimum_next_bid(locked.starting_price, locked.bid_step, running.current_price)
        )
        if problem:
            raise InvalidInput.of(problem)
        pseudonym = application.pseudonym
        payload = {"bidder": pseudonym, "amount": amount, "signed": signed}
        keys_on_lot = {statement_key_id(k): k for k in application.keys}
        check_statement(locked.active_keys, lot_id, "bid.placed", payload, at, keys_on_lot, application.last_seq)
        self.ledger.refuse_at_backlog(locked.backlog)
        if "bid.placed" in BINDING_KINDS:
            await refuse_unless_witnessed(self.session, self.clock.now(), self.ledger.witnesses)
        head = (0, ZERO_HASH) if locked.head is None else (locked.head.lot_seq, locked.head.head_hash)
        admitted = self.ledger.entry("bid.placed", lot_id, f"bidder:{pseudonym}", payload, after=head, at=at)
        entries = [admitted]
        window = timedelta(minutes=locked.soft_close_minutes)
        new_close = rules.soft_close(running.closes_at, at, window, running.latest_close)
        if new_close != running.closes_at:
            # Each body meets the backlog's limit as `record` does, and the bid's own body already counts.
            self.ledger.refuse_at_backlog(locked.backlog + 1)
            extension = {"closes_at": format_time(new_close), "reason": "soft_close"}
            after = (admitted.lot_seq, admitted.body_hash)
            entries.append(self.ledger.entry("auction.extended", lot_id, SYSTEM, extension, after=after, at=at))
        receipt = BidReceipt(
            bid_id=locked.next_bid_id or 0,
            lot_id=lot_id,
            amount=amount,
            placed_at=at,
            closes_at=new_close,
            body=admitted.body.decode(),
            body_hash=admitted.body_hash,
            receipt=admitted.receipt,
        )
        change = OpenBidWrite(
            lot_id=lot_id,
            bidder_id=bidder.id,
            application_id=application.id,
            last_seq=application.last_seq,
            previous_head=locked.head,
            entries=entries,
            amount=amount,
            pseudonym=pseudonym,
            closes_at=new_close,
            idempotency_key=key,
            request_hash=request_hash,
            receipt=receipt.as_dict(),
        )
        try:
            bid_id = await write_open_bid(self.session, change, locked.next_bid_id)
        except IntegrityError as clash:
            # The same key on two lots at once: each lot's lock let its own bid through, and the key's uniqueness
            # per bidder stops the second one here (the transaction is rolled back with the refusal).
            raise Conflict("bid.idempotency_key_reused", field="idempotency_key") from clash
        if new_close != running.closes_at:
            # Rare (the closing minutes): the notices of an extension take the lot as the ORM has it.
            lot = await self.session.get(Lot, lot_id)
            assert lot is not None  # locked by lock_lot
            told = await participants(self.session, lot_id)
            await alert_watchers(self.session, lot, WatchedChange.EXTENDED, now=at, closes_at=new_close, told=told)
            await tell_participants(
                self.session, lot, told, "auction.extended", format_time(new_close), closes_at=format_time(new_close)
            )
        previous = running.leader
        if previous is not None and previous != pseudonym and locked.outbid_account is not None:
            # Open bids rise strictly, so the amount names this outbidding on the lot.
            closes_at = format_time(new_close)
            await tell(
                self.session,
                locked.titles,
                locked.outbid_account,
                "bid.outbid",
                str(amount),
                amount_tyiyn=amount,
                closes_at=closes_at,
            )
        return dataclasses.replace(receipt, bid_id=bid_id)

    async def _admit_sealed(
        self, lot: Lot, bidder: User, application: Application, ciphertext: str, signed: Signed, at: datetime
    ) -> tuple[str, Admitted]:
        pseudonym = application.pseudonym
        try:
            validate_ciphertext(ciphertext)
        except SealedBidError as exc:
            raise InvalidInput("sealed_bid.malformed", field="ciphertext", reason=str(exc)) from None
        digest = ciphertext_hash(ciphertext)
        previous = await self._standing(lot.id, bidder.id)
        payload = {
            "bidder": pseudonym,
            "ciphertext": ciphertext,
            "ciphertext_hash": digest,
            "replaces": previous is not None,
            "signed": signed,
        }
        await self._signed(bidder, application, "bid.sealed", payload, at)
        if previous is not None:
            previous.status = BidStatus.REPLACED
        return digest, await self.ledger.record("bid.sealed", lot.id, f"bidder:{pseudonym}", payload, at=at)

    async def _admit_acceptance(
        self,
        lot: Lot,
        clock: AuctionClock,
        bidder: User,
        application: Application,
        limit: int,
        signed: Signed,
        at: datetime,
    ) -> tuple[int, Admitted]:
        pseudonym = application.pseudonym
        assert lot.price_drop_interval_seconds is not None
        await self._no_unrecorded_outage(at)
        if await self._accepted_by(lot.id, bidder.id):
            raise Conflict("bid.already_accepted")
        price = dutch_price_at(lot, clock, at)
        if price > limit:
            raise Conflict("bid.price_above_limit", price_tyiyn=price, limit_tyiyn=limit)
        payload = {"bidder": pseudonym, "amount": price, "limit": limit, "signed": signed}
        await self._signed(bidder, application, "bid.accepted", payload, at)
        admitted = await self.ledger.record("bid.accepted", lot.id, f"bidder:{pseudonym}", payload, at=at)
        if clock.bid_count == 0:
            # The tie rule: the first acceptance stops the price and opens a window to the end of its tick; every
            # approved bidder who accepts within it is a contender at the same price (runoff.py).
            interval = timedelta(seconds=lot.price_drop_interval_seconds)
            window_end = dutch_clock.tick_end(as_utc(lot.bidding_opens_at), interval, at, pauses_of(clock))
            clock.closes_at = min(as_utc(clock.closes_at), window_end)
            clock.current_price, clock.leader = price, pseudonym
        return price, admitted

    async def _accepted_by(self, lot_id: int, bidder_id: int) -> bool:
        accepted = await self.session.scalar(
            select(Bid.id).where(Bid.lot_id == lot_id, Bid.bidder_id == bidder_id).limit(1)
        )
        return accepted is not None

    async def _no_unrecorded_outage(self, at: datetime) -> None:
        """Refuse an acceptance while an outage is not yet recorded: the scheduler's next pulse records it, and
        only then is the price that excludes it known (it would otherwise be taken at the unpaused, lower one)."""
        pulse = await self.session.get(SchedulerPulse, 1, populate_existing=True)
        if pulse is None or pulse.last_alive is None:
            return
        if at - as_utc(pulse.last_alive) > timedelta(seconds=outage_threshold_seconds(self.ledger.witnesses)):
            raise Conflict("bid.clock_paused")

    async def price_now(self, lot_id: int) -> int:
        """A descending lot's price at this moment, outages left out."""
        lot = await self.lots.get(lot_id)
        clock = await self.session.get(AuctionClock, lot_id, populate_existing=True)
        return dutch_price_at(lot, clock, self.clock.now())

    # --- the run-off among the contenders of one tick ----------------------------------------------------

    async def submit_runoff_offer(
        self, bidder: User, lot_id: int, amount: int, nonce: str, signed: Signed
    ) -> tuple[RunoffOffer, Admitted]:
        """A contender's one sealed offer: the ledger gets only its hash (signed); the amount waits for the reveal."""
        lot = await self.lots.lock(lot_id)
        if lot.format != AuctionFormat.DESCENDING:
            raise Conflict("bid.format_mismatch", lot_format=lot.format.value, bid_format="descending")
        clock = await self.auction_clock(lot.id)
        if clock.runoff_closes_at is None or clock.runoff_price is None or lot.state != LotState.CLOSED:
            raise Conflict("runoff.not_running")
        application = await self.participation.approved(lot_id, bidder)
        contenders = {bid.pseudonym for bid in await self.bids(lot.id) if bid.status == BidStatus.STANDING}
        if application.pseudonym not in contenders:
            raise PermissionDenied("runoff.not_contender")
        at = await self.ledger.next_time(lot.id)
        if at >= as_utc(clock.runoff_closes_at):
            raise Conflict("runoff.closed", closed_at=format_time(as_utc(clock.runoff_closes_at)))
        existing = await self.session.scalar(
            select(RunoffOffer.id).where(RunoffOffer.lot_id == lot.id, RunoffOffer.bidder_id == bidder.id)
        )
        if existing is not None:
            raise Conflict("runoff.already_offered")
        problem = tie.offer_problem(amount, clock.runoff_price, nonce)
        if problem:
            raise InvalidInput.of(problem)
        digest = tie.offer_hash(lot.id, application.pseudonym, amount, nonce)
        payload = {"bidder": application.pseudonym, "offer_hash": digest, "signed": signed}
        await self._signed(bidder, application, "runoff.offer", payload, at)
        admitted = await self.ledger.record("runoff.offer", lot.id, f"bidder:{application.pseudonym}", payload, at=at)
        offer = RunoffOffer(
            lot_id=lot.id,
            bidder_id=bidder.id,
            pseudonym=application.pseudonym,
            amount=amount,
            nonce=nonce,
            offer_hash=digest,
            placed_at=at,
            body_hash=admitted.body_hash,
            receipt={"body": admitted.body.decode(), "body_hash": admitted.body_hash, "receipt": admitted.receipt},
        )
        self.session.add(offer)
        await self.session.flush()
        return offer, admitted

    async def runoff_offer_of(self, bidder: User, lot_id: int) -> RunoffOffer | None:
        """The bidder's own run-off offer on the lot, if any (their amount is theirs to see)."""
        return await self.session.scalar(
            select(RunoffOffer).where(RunoffOffer.lot_id == lot_id, RunoffOffer.bidder_id == bidder.id)
        )

    async def runoff_offers(self, lot_id: int) -> list[RunoffOffer]:
        rows = await self.session.scalars(
            select(RunoffOffer).where(RunoffOffer.lot_id == lot_id).order_by(RunoffOffer.id)
        )
        return list(rows)

    async def _open_clock(self, lot: Lot, fmt: AuctionFormat, at: datetime) -> AuctionClock:
        if lot.format != fmt:
            raise Conflict("bid.format_mismatch", lot_format=lot.format.value, bid_format=fmt.value)
        if lot.state != LotState.BIDDING:
            raise Conflict("bid.lot_not_bidding", state=lot.state.value)
        clock = await self.auction_clock(lot.id)
        if not rules.is_open(as_utc(clock.opened_at), as_utc(clock.closes_at), at):
            raise Conflict("bid.too_late", closed_at=format_time(as_utc(clock.closes_at)))
        return clock

    async def _replayed(self, bidder: User, key: str, request_hash: str) -> BidReceipt | None:
        earlier = await self.session.scalar(select(Bid).where(Bid.bidder_id == bidder.id, Bid.idempotency_key == key))
        if earlier is None:
            return None
        return replayed(EarlierBid(earlier.request_hash, as_utc(earlier.placed_at), earlier.receipt), request_hash)

    async def _standing(self, lot_id: int, bidder_id: int) -> Bid | None:
        return await self.session.scalar(
            select(Bid)
            .where(Bid.lot_id == lot_id, Bid.bidder_id == bidder_id, Bid.status == BidStatus.STANDING)
            .order_by(Bid.id.desc())
            .limit(1)
        )

    async def _approved_count(self, lot_id: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.lot_id == lot_id, Application.status == ApplicationStatus.APPROVED)
        )
        return int(count or 0)

    async def auction_clock(self, lot_id: int) -> AuctionClock:
        clock = await self.session.get(AuctionClock, lot_id, populate_existing=True)
        if clock is None:
            raise NotFound("bid.not_opened", lot_id=lot_id)
        return clock

    async def bids(self, lot_id: int) -> list[Bid]:
        rows = await self.session.scalars(select(Bid).where(Bid.lot_id == lot_id).order_by(Bid.id))
        return list(rows)

    async def bids_of_bidder(self, bidder: User, lot_id: int | None = None) -> list[Bid]:
        """The bidder's own bids, on one lot or on every lot, oldest first."""
        query = select(Bid).where(Bid.bidder_id == bidder.id)
        if lot_id is not None:
            query = query.where(Bid.lot_id == lot_id)
        return list(await self.session.scalars(query.order_by(Bid.id)))

    async def bid_of_bidder(self, bidder: User, bid_id: int) -> Bid:
        """One of the bidder's bids; anyone else's is as absent as a bid that does not exist."""
        bid = await self.session.get(Bid, bid_id)
        if bid is None or bid.bidder_id != bidder.id:
            raise NotFound("bid.not_yours", bid_id=bid_id)
        return bid
