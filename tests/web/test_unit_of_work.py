"""A request's unit of work: what an officer's refused action leaves behind, in the database and on the page.

The ledger is made to refuse (a backlog limit of 0: every record is "Unavailable"), so each action fails only
after it has changed the lot in the session: the test then reads the database for what was kept.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.ledger.models import PendingEntry
from auction.lots.models import Lot, LotVersion
from tests.kit.world import World
from tests.web.auction_support import Auctioneer, idempotency_key
from tests.web.conftest import Client, create_lot, csrf_of, csrf_token, field_error, log_in
from tests.web.database_rows import all_rows, changed_tables
from tests.web.test_officer_console import lot_form, officer_creates_a_lot

LEDGER_CATCHING_UP = "The ledger is catching up with a burst of activity"


def ledger_refuses(client: Client) -> None:
    """From now on the ledger admits nothing, as when its backlog is full."""
    client.app.state.settings.ledger_backlog_limit = 0


async def stored_lot(sessions: async_sessionmaker[AsyncSession], lot_id: int) -> tuple[str, int, str | None]:
    """The lot's state, version and cancel reason as the database keeps them."""
    async with sessions() as session:
        lot = await session.get_one(Lot, lot_id)
        return str(lot.state), lot.version, lot.cancel_reason


async def ledger_bodies(sessions: async_sessionmaker[AsyncSession], lot_id: int) -> int:
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(PendingEntry).where(PendingEntry.chain_key == lot_id)
        )
        return int(count or 0)


def shown_state(html: str) -> str:
    match = re.search(r'<span class="state state-([a-z_]+)">', html)
    assert match, "the officer's lot page shows the lot's state"
    return match.group(1)


async def test_a_publication_the_ledger_refuses_leaves_a_draft(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lot_id = await create_lot(client, world, publish=False)
    await log_in(client, "officer_tokmok")
    token = await csrf_of(client, f"/officer/lots/{lot_id}")
    ledger_refuses(client)
    before = await all_rows(sessions)

    refused = await client.post(f"/officer/lots/{lot_id}/publish?lang=en", data={"_csrf_token": token})

    assert refused.status_code == 422
    assert await stored_lot(sessions, lot_id) == ("draft", 1, None)
    assert await ledger_bodies(sessions, lot_id) == 0
    assert changed_tables(before, await all_rows(sessions)) == {}
    # The page shows the lot as it is: still a draft, with the refusal where the publish button is.
    assert shown_state(refused.text) == "draft"
    assert "The lot cannot be published yet" in refused.text
    assert LEDGER_CATCHING_UP in refused.text


async def test_a_cancellation_the_ledger_refuses_leaves_the_lot_published(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lot_id = await create_lot(client, world)
    await log_in(client, "officer_tokmok")
    token = await csrf_of(client, f"/officer/lots/{lot_id}")
    ledger_refuses(client)
    before = await all_rows(sessions)

    refused = await client.post(
        f"/officer/lots/{lot_id}/cancel?lang=en", data={"_csrf_token": token, "reason": "The council withdrew it."}
    )

    assert refused.status_code == 422
    assert await stored_lot(sessions, lot_id) == ("published", 1, None)
    assert await ledger_bodies(sessions, lot_id) == 1  # its publication, nothing more
    assert changed_tables(before, await all_rows(sessions)) == {}
    assert shown_state(refused.text) == "published"
    assert LEDGER_CATCHING_UP in field_error(refused.text, "reason") + refused.text
    assert "Cancelled." not in refused.text


async def test_an_amendment_the_ledger_refuses_leaves_the_published_terms(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await log_in(client, "officer_tokmok")
    lot_id = await officer_creates_a_lot(client)
    token = await csrf_of(client, f"/officer/lots/{lot_id}")
    published = await client.post(f"/officer/lots/{lot_id}/publish", data={"_csrf_token": token})
    assert published.status_code == 200, published.text  # followed to the lot's page
    ledger_refuses(client)
    before = await all_rows(sessions)

    refused = await client.post(
        f"/officer/lots/{lot_id}/edit?lang=en",
        data=lot_form(token, bid_step="6000", reason="The valuer corrected the step."),
    )

    assert refused.status_code == 422
    assert await stored_lot(sessions, lot_id) == ("published", 1, None)
    async with sessions() as session:
        versions = list(await session.scalars(select(LotVersion.version).where(LotVersion.lot_id == lot_id)))
        assert versions == [1]
        assert (await session.get_one(Lot, lot_id)).bid_step == 500_000
    assert changed_tables(before, await all_rows(sessions)) == {}
    assert LEDGER_CATCHING_UP in refused.text


async def test_a_bid_refused_half_way_shows_and_keeps_the_auction_as_it_was(
    client: Client, auctioneer: Auctioneer, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A bid in the soft-close window is two ledger bodies: the bid, then the extension of the close.

    With room in the ledger for only one, the bid is admitted into the session and the extension refused:
    the page answers with the refusal and must show the price before that bid, which the database keeps.
    """
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    await auctioneer.bid(lot_id, "bidder2", 100_000_00)
    terms = await auctioneer.terms(lot_id)
    closes = datetime.fromisoformat(terms["bidding_closes_at"])
    # Into the soft-close window in the small steps the scheduler's outage rule expects of a live host.
    clock.set(closes - timedelta(minutes=terms["soft_close_minutes"] + 1))
    await auctioneer.tick()
    while clock.now() < closes - timedelta(minutes=2):
        clock.advance(timedelta(seconds=30))
        await auctioneer.tick()
    await log_in(client, "bidder")
    page = await client.get(f"/lots/{lot_id}?lang=en")
    form = {"_csrf_token": csrf_token(page.text), "idempotency_key": idempotency_key(page.text), "amount": "105000"}
    assert await ledger_bodies(sessions, lot_id) == 0  # all integrated: the next body is the only one admitted
    client.app.state.settings.ledger_backlog_limit = 1
    before = await all_rows(sessions)

    refused = await client.post(f"/lots/{lot_id}/bids?lang=en", data=form, headers={"HX-Request": "true"})

    assert refused.status_code == 422
    assert LEDGER_CATCHING_UP in refused.text
    # The form suggests the minimum over the standing 100,000 som, not over the refused 105,000.
    suggested = re.search(r'data-suggested="([0-9.]*)"', refused.text)
    assert suggested, "the bid form carries the suggested minimum"
    assert suggested.group(1) == "105000"
    live = await auctioneer.live(lot_id)
    assert live["current_price"] == 100_000_00
    assert datetime.fromisoformat(live["closes_at"]) == closes  # not extended
    assert changed_tables(before, await all_rows(sessions)) == {}
