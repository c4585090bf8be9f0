"""Driving auctions the way the platform does: bids through the services, time by the test's clock, and the
scheduler and integrator run on demand (tests run no background jobs, so they decide when things happen)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.bidding.auction import AuctionService, BidReceipt
from auction.bidding.awards import AwardService
from auction.bidding.commission_member import post_opening_shares
from auction.bidding.models import AuctionClock, Award, AwardStatus, RunoffOffer
from auction.bidding.opening import SealedLotService
from auction.bidding.participation import ParticipationService
from auction.bidding.scheduler import AuctionScheduler
from auction.clock import as_utc
from auction.db.engine import transaction
from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.integrator import Integrator
from auction.ledger.queries import LedgerReader
from auction.ledger.verifier.auction_rules import Outcome
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.runoff import offer_hash
from auction.ledger.verifier.sealed import b64url_decode, ciphertext_hash, encrypt_bid
from auction.ledger.verifier.verify import verify_bundle
from auction.lots.models import AuctionFormat, Lot
from tests.kit.world import World

# The scheduler sees an outage when it misses 30 s; time moves in steps it accepts unless a test says otherwise.
ALIVE_STEP = timedelta(seconds=30)


@dataclass
class Drive:
    """Moves a world's lots through their auctions."""

    world: World

    async def integrate(self) -> int:
        """Give every admitted body its place in the log, as the integrator's loop would."""
        return await Integrator(self.world.sessions, self.world.keys, self.world.clock).integrate_all()

    async def tick(self) -> None:
        """One beat of the background jobs: integrate, let the scheduler open/close/expire, integrate again."""
        await self.integrate()
        await AuctionScheduler(self.world.sessions, self.world.keys, self.world.clock).tick()
        await self.integrate()

    async def live_until(self, moment: datetime) -> None:
        """Move time to ``moment`` with the platform alive all along (a tick at least every 30 s)."""
        clock = self.world.clock
        while clock.now() < moment:
            clock.set(min(moment, clock.now() + ALIVE_STEP))
            await self.tick()

    async def lot(self, lot_id: int) -> Lot:
        async with self.world.sessions() as session:
            lot = await session.get(Lot, lot_id)
            assert lot is not None, lot_id
            return lot

    async def closes_at(self, lot_id: int) -> datetime:
        """The lot's current closing instant (soft close and outages included), or its scheduled one."""
        async with self.world.sessions() as session:
            closes = await session.scalar(select(AuctionClock.closes_at).where(AuctionClock.lot_id == lot_id))
        return as_utc(closes) if closes is not None else as_utc((await self.lot(lot_id)).bidding_closes_at)

    async def open(self, lot_id: int) -> None:
        """Move the clock to the lot's opening and let the scheduler open it."""
        opens = as_utc((await self.lot(lot_id)).bidding_opens_at)
        self.world.clock.set(max(self.world.clock.now(), opens + timedelta(seconds=1)))
        await self.tick()

    async def close(self, lot_id: int) -> None:
        """Move the clock past the close and let the scheduler close (and, unless sealed, decide) the lot.

        Outside the final soft-close window a jump is no outage that matters; within it, 30-second steps.
        """
        lot = await self.lot(lot_id)
        calm = await self.closes_at(lot_id) - timedelta(minutes=lot.soft_close_minutes + 1)
        # A descending lot's every minute counts: a jump there is an outage that stops its price (dutch_clock.py).
        if self.world.clock.now() < calm and lot.format != AuctionFormat.DESCENDING:
            self.world.clock.set(calm)
            await self.tick()
        while self.world.clock.now() <= (closes := await self.closes_at(lot_id)):
            await self.live_until(min(closes + timedelta(seconds=1), self.world.clock.now() + ALIVE_STEP))
        await self.tick()

    def _auctions(self, session: AsyncSession) -> AuctionService:
        return AuctionService(session, self.world.clock, LedgerWriter(session, self.world.keys, self.world.clock))

    async def _bidder(self, who: str) -> User:
        return await self.world.user(who)

    async def bid(self, lot_id: int, who: str, amount: int, key: str | None = None) -> BidReceipt:
        """An open ascending bid through the service, committed as a request would."""
        bidder = await self._bidder(who)
        async with transaction(self.world.sessions) as session:
            auctions = AuctionService(
                session, self.world.clock, LedgerWriter(session, self.world.keys, self.world.clock)
            )
            signed = await self.world.signed(who, lot_id, "bid.placed", {"amount": amount}, session=session)
            return await auctions.place_bid(bidder, lot_id, amount, key or uuid.uuid4().hex, signed)

    async def pseudonym(self, lot_id: int, who: str) -> str:
        """The name a bidder bids under on one lot."""
        bidder = await self._bidder(who)
        async with self.world.sessions() as session:
            ledger = LedgerWriter(session, self.world.keys, self.world.clock)
            application = await ParticipationService(session, self.world.clock, ledger).approved(lot_id, bidder)
            return application.pseudonym

    async def seal(self, lot_id: int, who: str, amount: int) -> BidReceipt:
        """A sealed bid, encrypted to the lot's key as the bidder's browser does."""
        pseudonym = await self.pseudonym(lot_id, who)
        bidder = await self._bidder(who)
        async with transaction(self.world.sessions) as session:
            ledger = LedgerWriter(session, self.world.keys, self.world.clock)
            public_key = await SealedLotService(session, self.world.clock, ledger).public_key(lot_id)
            assert public_key is not None, "a sealed lot has a public key once published"
            ciphertext = encrypt_bid(b64url_decode(public_key), lot_id, pseudonym, amount)
            fields = {"ciphertext_hash": ciphertext_hash(ciphertext)}
            signed = await self.world.signed(who, lot_id, "bid.sealed", fields, session=session)
            auctions = AuctionService(session, self.world.clock, ledger)
            return await auctions.submit_sealed(bidder, lot_id, ciphertext, uuid.uuid4().hex, signed)

    async def accept(self, lot_id: int, who: str, limit: int | None = None) -> BidReceipt:
        """Take a descending lot at the current price (signing for that price unless a limit is given)."""
        bidder = await self._bidder(who)
        if limit is None:
            async with self.world.sessions() as session:
                limit = await self._auctions(session).price_now(lot_id)
        async with transaction(self.world.sessions) as session:
            auctions = AuctionService(
                session, self.world.clock, LedgerWriter(session, self.world.keys, self.world.clock)
            )
            signed = await self.world.signed(who, lot_id, "bid.accepted", {"limit": limit}, session=session)
            return await auctions.accept_price(bidder, lot_id, uuid.uuid4().hex, limit, signed)

    async def runoff_offer(self, lot_id: int, who: str, amount: int, nonce: str | None = None) -> RunoffOffer:
        """A contender's sealed run-off offer, hashed and signed as their device does (runoff.py)."""
        bidder = await self._bidder(who)
        pseudonym = await self.pseudonym(lot_id, who)
        nonce = nonce or secrets.token_urlsafe(32)
        fields = {"offer_hash": offer_hash(lot_id, pseudonym, amount, nonce)}
        async with transaction(self.world.sessions) as session:
            signed = await self.world.signed(who, lot_id, "runoff.offer", fields, session=session)
            offer, _ = await self._auctions(session).submit_runoff_offer(bidder, lot_id, amount, nonce, signed)
            return offer

    async def withdraw(self, lot_id: int, who: str) -> Admitted:
        """Withdraw ``who``'s standing sealed bid, signed."""
        bidder = await self._bidder(who)
        async with transaction(self.world.sessions) as session:
            signed = await self.world.signed(who, lot_id, "bid.withdrawn", session=session)
            return await self._auctions(session).withdraw_sealed(bidder, lot_id, signed)

    async def sign_award(self, lot_id: int, who: str) -> Award:
        """The winner signs for the lot at its awarded price."""
        bidder = await self._bidder(who)
        async with transaction(self.world.sessions) as session:
            ledger = LedgerWriter(session, self.world.keys, self.world.clock)
            awards = AwardService(session, self.world.clock, ledger)
            price = next(a.price for a in await awards.awards(lot_id) if a.status == AwardStatus.AWAITING_SIGNATURE)
            signed = await self.world.signed(who, lot_id, "award.signed", {"price": price}, session=session)
            return await awards.sign(bidder, lot_id, signed)

    async def decline_award(self, lot_id: int, who: str) -> Award | None:
        """The winner declines; the runner-up's award (or None)."""
        bidder = await self._bidder(who)
        async with transaction(self.world.sessions) as session:
            awards = AwardService(session, self.world.clock, LedgerWriter(session, self.world.keys, self.world.clock))
            signed = await self.world.signed(who, lot_id, "award.declined", session=session)
            return await awards.decline(bidder, lot_id, signed)

    async def contest(self, lot_id: int, bidders: tuple[str, ...]) -> None:
        """A short honest contest: each bidder outbids the last (sealed: each seals; descending: the first takes it)."""
        lot = await self.lot(lot_id)
        for rank, who in enumerate(bidders):
            amount = lot.starting_price + rank * lot.bid_step
            if lot.format == AuctionFormat.SEALED_BID:
                await self.seal(lot_id, who, amount)
            elif lot.format == AuctionFormat.DESCENDING:
                await self.accept(lot_id, who)
                return
            else:
                await self.bid(lot_id, who, amount)

    async def post_shares(self, lot_id: int, members: tuple[int, ...] | None = None) -> None:
        """Commission members (all, or those user ids) post their decryption shares from their own keys."""
        software = [sm for sm in self.world.commission_keys[lot_id] if members is None or sm.member in members]
        async with transaction(self.world.sessions) as session:
            ledger = LedgerWriter(session, self.world.keys, self.world.clock)
            sealed = SealedLotService(session, self.world.clock, ledger)
            pairs = []
            for sm in software:
                user = await session.get(User, sm.member)
                assert user is not None
                pairs.append((user, sm))
            await post_opening_shares(sealed, lot_id, pairs)

    async def open_sealed(self, lot_id: int, by: str = "officer_tokmok") -> Outcome:
        """The commission posts its decryption shares; the bids are opened and the lot decided."""
        await self.post_shares(lot_id)
        officer = await self.world.user(by)
        async with transaction(self.world.sessions) as session:
            ledger = LedgerWriter(session, self.world.keys, self.world.clock)
            outcome = await SealedLotService(session, self.world.clock, ledger).open_and_award(officer, lot_id)
        await self.integrate()
        return outcome

    async def export(self, directory: Path) -> Path:
        """Integrate what is pending and export the whole ledger as a bundle; returns its path."""
        await self.integrate()
        bundle = directory / "bundle.zip"
        async with self.world.sessions() as session:
            await LedgerReader(session, self.world.keys).export(bundle)
        return bundle

    async def verify(self, directory: Path) -> None:
        """The exported ledger passes the offline verifier with the auction replay."""
        report = verify_bundle(await self.export(directory), replay=replay)
        assert report.ok, report.text()
