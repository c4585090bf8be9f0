"""Driving a lot's auction for the website tests: lots and approvals through the API, time by the test's
clock, and the scheduler and integrator run on demand (the app runs no background jobs in these tests)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import BidderKind, Role
from auction.accounts.service import AccountService
from auction.bidding.scheduler import AuctionScheduler
from auction.clock import FrozenClock
from auction.db.engine import transaction
from auction.settings import Settings
from tests.factories import PASSWORD, World
from tests.ledger_support import integrate, keys_of
from tests.web.conftest import Client, create_lot

PASSPHRASES = {"officer_tokmok": "first member passphrase", "officer2_tokmok": "second member passphrase"}


async def add_people(sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, world: World) -> None:
    """A second bidder and a second Tokmok officer, so that there is a contest and a commission."""
    async with transaction(sessions) as session:
        accounts = AccountService(session, clock)
        bidder = await accounts.create_user(
            email="bidder2@test.kg",
            password=PASSWORD,
            full_name="Bidder Two",
            role=Role.BIDDER,
            bidder_kind=BidderKind.INDIVIDUAL,
            identity_number="21506198500002",
        )
        officer = await accounts.create_user(
            email="officer2_tokmok@test.kg",
            password=PASSWORD,
            full_name="Officer Two",
            role=Role.OFFICER,
            municipality_id=world.municipality["tokmok"],
        )
        for name, user in (("bidder2", bidder), ("officer2_tokmok", officer)):
            world.tokens[name] = await accounts.issue_token(user, "tests")
            world.user_ids[name] = user.id


@dataclass
class Auctioneer:
    client: Client
    world: World
    clock: FrozenClock
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings

    @property
    def officer(self) -> dict[str, str]:
        return self.world.auth("officer_tokmok")

    async def lot(self, **terms: Any) -> int:
        return await create_lot(self.client, self.world, **terms)

    async def sealed_lot(self) -> int:
        lot_id = await create_lot(self.client, self.world, publish=False, format="sealed_bid")
        members = [
            {"member_id": self.world.user_ids[name], "passphrase": passphrase}
            for name, passphrase in PASSPHRASES.items()
        ]
        published = await self.client.post(
            f"/api/v1/lots/{lot_id}/sealed/publish", json={"threshold": 2, "members": members}, headers=self.officer
        )
        assert published.status_code == 200, published.text
        return lot_id

    async def apply(self, lot_id: int, who: str) -> int:
        applied = await self.client.post(f"/api/v1/lots/{lot_id}/applications", headers=self.world.auth(who))
        assert applied.status_code == 201, applied.text
        application_id: int = applied.json()["id"]
        return application_id

    async def admit(self, lot_id: int, *bidders: str) -> None:
        for who in bidders:
            application_id = await self.apply(lot_id, who)
            confirmed = await self.client.post(
                f"/api/v1/applications/{application_id}/confirm-deposit",
                json={"bank_reference": f"KICB-{who}"},
                headers=self.officer,
            )
            assert confirmed.status_code == 200, confirmed.text

    async def tick(self) -> None:
        keys = keys_of(self.settings)
        await integrate(self.sessions, keys, self.clock)
        await AuctionScheduler(self.sessions, keys, self.clock).tick()
        await integrate(self.sessions, keys, self.clock)

    async def terms(self, lot_id: int) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/lots/{lot_id}", headers=self.world.auth("admin"))
        body: dict[str, Any] = response.json()
        return body

    async def open(self, lot_id: int) -> None:
        """Move the clock to the lot's opening and let the scheduler open it."""
        opens = datetime.fromisoformat((await self.terms(lot_id))["bidding_opens_at"])
        self.clock.set(max(self.clock.now(), opens + timedelta(seconds=1)))
        await self.tick()

    async def close(self, lot_id: int) -> None:
        """Move the clock past the close in steps the outage rule accepts, and let the scheduler close it."""
        terms = await self.terms(lot_id)
        closes = datetime.fromisoformat(terms["bidding_closes_at"])
        # A jump outside the final soft-close window is no outage that matters; within it, 30-second steps.
        calm = closes - timedelta(minutes=terms["soft_close_minutes"] + 1)
        if self.clock.now() < calm:
            self.clock.set(calm)
            await self.tick()
        while self.clock.now() < closes + timedelta(seconds=1):
            self.clock.set(min(closes + timedelta(seconds=1), self.clock.now() + timedelta(seconds=30)))
            await self.tick()
        await self.tick()

    async def bid(self, lot_id: int, who: str, amount: int) -> dict[str, Any]:
        response = await self.client.post(
            f"/api/v1/lots/{lot_id}/bids",
            json={"amount": amount},
            headers={**self.world.auth(who), "Idempotency-Key": uuid.uuid4().hex},
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def live(self, lot_id: int) -> dict[str, Any]:
        body: dict[str, Any] = (await self.client.get(f"/api/v1/lots/{lot_id}/auction")).json()
        return body


def idempotency_key(html: str) -> str:
    match = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html)
    assert match, "the bid form carries an Idempotency-Key"
    return match.group(1)
