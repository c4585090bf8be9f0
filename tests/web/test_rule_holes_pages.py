"""Rule holes at the HTTP edge: a late admission is refused in every language; the sealing form knows the floor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock, as_utc
from auction.settings import Settings
from tests.kit.page import Page
from tests.kit.world import World
from tests.web.auction_support import Auctioneer
from tests.web.conftest import Client, csrf_token, log_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
async def auctioneer(
    client: Client,
    world: World,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> Auctioneer:
    return Auctioneer(client, world, clock, sessions, settings)


async def test_a_deposit_cannot_be_confirmed_once_bidding_opened(
    client: Client, auctioneer: Auctioneer, world: World
) -> None:
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await world.bidder("bidder3")
    late = await auctioneer.apply(lot_id, "bidder3")
    # The opening moment has come but the scheduler has not yet opened the lot (at its opening it rejects every
    # unreviewed application, running_rules.py): admission is closed all the same.
    opens = as_utc((await auctioneer.drive.lot(lot_id)).bidding_opens_at)
    world.clock.set(opens + timedelta(seconds=1))

    refused = await client.post(
        f"/api/v1/applications/{late}/confirm-deposit", json={"bank_reference": "KICB-3"}, headers=auctioneer.officer
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "application.admission_closed"

    await log_in(client, "officer_tokmok")
    page = await client.get(f"/officer/lots/{lot_id}/auction?lang=ru")
    confirm = f"/officer/lots/{lot_id}/applications/{late}/confirm-deposit"
    answer = await client.post(
        f"{confirm}?lang=ru", data={"_csrf_token": csrf_token(page.text), "bank_reference": "KICB-3"}, headers=HTMX
    )
    assert answer.status_code == 422
    text = Page(answer.text).text()
    assert "после этого никого нельзя допустить к участию" in text
    assert len(Page(answer.text).all("#applications span.status.status-approved")) == 2  # bidder and bidder2 only

    # The scheduler opens the lot and rejects the unreviewed application: the console offers no review of it.
    await auctioneer.tick()
    page = await client.get(f"/officer/lots/{lot_id}/auction?lang=ru")
    assert not Page(page.text).has(f'form[action="{confirm}"]')
    assert not Page(page.text).has(f'form[action="/officer/lots/{lot_id}/applications/{late}/reject"]')
    assert len(Page(page.text).all("#applications span.status.status-rejected")) == 1


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "A sealed bid below the starting price of"),
        ("ru", "Закрытая ставка ниже начальной цены"),
        ("ky", "Баштапкы баадан"),
    ],
)
async def test_the_sealing_form_refuses_an_amount_below_the_starting_price_before_sealing(
    client: Client, auctioneer: Auctioneer, language: str, words: str
) -> None:
    """The browser is the only place that knows a sealed amount before the opening; the form gives it the floor."""
    lot_id = await auctioneer.sealed_lot()
    await auctioneer.admit(lot_id, "bidder")
    await auctioneer.open(lot_id)
    await log_in(client, "bidder")
    page = await client.get(f"/lots/{lot_id}?lang={language}")
    html = Page(page.text)
    starting_price = (await auctioneer.terms(lot_id))["starting_price"]
    assert html.value("form#sealed-form", "data-starting-price") == str(starting_price)
    assert html.value("form#sealed-form", "data-below-start").startswith(words)
