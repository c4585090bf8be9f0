"""Builders of valid test data; each test changes only what it is about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import BidderKind, Role
from auction.accounts.service import AccountService
from auction.clock import Clock
from auction.db.engine import transaction
from auction.municipalities.service import MunicipalityService

PASSWORD = "correct horse battery"


def lot_payload(now: datetime, **overrides: Any) -> dict[str, Any]:
    """A valid open-ascending land sale, as JSON the API accepts."""
    body: dict[str, Any] = {
        "deal": "sale",
        "kind": "land_plot",
        "format": "open_ascending",
        "title_en": "Land plot on Lenin street",
        "title_ru": "Земельный участок на улице Ленина",
        "description_en": "0.08 ha for a family house.",
        "address": "12 Lenin street, Tokmok",
        "registration_number": "1-02-03-0004-0005",
        "starting_price": 100_000_00,
        "bid_step": 5_000_00,
        "deposit": 10_000_00,
        "applications_close_at": (now + timedelta(days=7)).isoformat(),
        "bidding_opens_at": (now + timedelta(days=8)).isoformat(),
        "bidding_closes_at": (now + timedelta(days=8, hours=3)).isoformat(),
    }
    body.update(overrides)
    return body


@dataclass
class World:
    """The pilot municipalities plus one account of each role, with API tokens."""

    municipality: dict[str, int]
    tokens: dict[str, str]
    user_ids: dict[str, int]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


async def build_world(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> World:
    async with transaction(sessions) as session:
        municipalities = await MunicipalityService(session).seed_pilot()
        accounts = AccountService(session, clock)
        people: dict[str, tuple[Role, int | None, dict[str, Any]]] = {
            "officer_tokmok": (Role.OFFICER, municipalities["tokmok"].id, {}),
            "officer_naryn": (Role.OFFICER, municipalities["naryn"].id, {}),
            "admin": (Role.ADMIN, None, {}),
            "inspector": (Role.INSPECTOR, None, {}),
            "bidder": (
                Role.BIDDER,
                None,
                {"bidder_kind": BidderKind.INDIVIDUAL, "identity_number": "21506198500001"},
            ),
        }
        tokens, ids = {}, {}
        for name, (role, municipality_id, extra) in people.items():
            user = await accounts.create_user(
                email=f"{name}@test.kg",
                password=PASSWORD,
                full_name=name.replace("_", " ").title(),
                role=role,
                municipality_id=municipality_id,
                **extra,
            )
            tokens[name] = await accounts.issue_token(user, "tests")
            ids[name] = user.id
        return World({c: m.id for c, m in municipalities.items()}, tokens, ids)
