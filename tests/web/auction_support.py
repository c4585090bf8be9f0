"""Driving a lot's auction for the website tests: lots and approvals through the API, time by the test's
clock, and the scheduler and integrator run on demand (the app runs no background jobs in these tests)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.settings import Settings
from tests.kit.commission import ApiCommission
from tests.kit.drive import Drive
from tests.kit.keys import api_application
from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, create_lot


@dataclass
class Auctioneer:
    client: Client
    world: World
    clock: FrozenClock
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    commissions: dict[int, ApiCommission] = field(default_factory=dict)

    @property
    def officer(self) -> dict[str, str]:
        return self.world.auth("officer_tokmok")

    async def lot(self, **terms: Any) -> int:
        return await create_lot(self.client, self.world, **terms)

    async def sealed_lot(self) -> int:
        """A sealed lot published once its 2-of-2 commission (software members) has made the key."""
        lot_id = await create_lot(self.client, self.world, publish=False, format="sealed_bid")
        commission = ApiCommission(self.client, self.world, lot_id, ("officer_tokmok", "officer2_tokmok"))
        await commission.publish()
        self.commissions[lot_id] = commission
        return lot_id

    async def post_shares(self, lot_id: int) -> None:
        """Every member of the lot's commission posts their decryption shares."""
        commission = self.commissions[lot_id]
        for name in commission.members:
            await commission.share(name)

    async def apply(self, lot_id: int, who: str) -> int:
        body = await api_application(self.client, self.world, who, lot_id)
        applied = await self.client.post(f"/api/v1/lots/{lot_id}/applications", json=body, headers=self.world.auth(who))
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

    @property
    def drive(self) -> Drive:
        return Drive(self.world)

    async def tick(self) -> None:
        await self.drive.tick()

    async def terms(self, lot_id: int) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/lots/{lot_id}", headers=self.world.auth("admin"))
        body: dict[str, Any] = response.json()
        return body

    async def open(self, lot_id: int) -> None:
        """Move the clock to the lot's opening and let the scheduler open it."""
        await self.drive.open(lot_id)

    async def close(self, lot_id: int) -> None:
        """Move the clock past the close with the platform alive, and let the scheduler close it."""
        await self.drive.close(lot_id)

    async def bid(self, lot_id: int, who: str, amount: int) -> dict[str, Any]:
        response = await self.client.post(
            f"/api/v1/lots/{lot_id}/bids",
            json={"amount": amount, "signed": await self.world.signed(who, lot_id, "bid.placed", {"amount": amount})},
            headers={**self.world.auth(who), "Idempotency-Key": uuid.uuid4().hex},
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def live(self, lot_id: int) -> dict[str, Any]:
        body: dict[str, Any] = (await self.client.get(f"/api/v1/lots/{lot_id}/auction")).json()
        return body


async def form_signed(
    world: World, who: str, lot_id: int, action: str, fields: dict[str, Any] | None = None
) -> dict[str, str]:
    """The hidden `signed` field (and an application's `keys`) as the page's script fills it in."""
    signed = await world.signed(who, lot_id, action, fields)
    form = {"signed": json.dumps(signed)}
    if action == "application.submitted":
        form["keys"] = json.dumps((fields or {})["keys"])
    return form


async def form_application(world: World, who: str, lot_id: int) -> dict[str, str]:
    return await form_signed(world, who, lot_id, "application.submitted", {"keys": world.key_list(who)})


def idempotency_key(html: str) -> str:
    return Page(html).value('form input[name="idempotency_key"]')
