"""A request's unit of work: what an officer's refused action leaves behind, in the database and on the page.

The ledger is made to refuse (a backlog limit of 0: every record is "Unavailable"), so each action fails only
after it has changed the lot in the session: the test then reads the database for what was kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.ledger.models import PendingEntry
from auction.lots.models import Lot, LotVersion
from tests.kit.page import Page
from tests.kit.world import World
from tests.web.auction_support import Auctioneer, form_signed, idempotency_key
from tests.web.conftest import Client, create_lot, csrf_of, csrf_token, log_in
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
    """The state in the lot's badges under its heading, read from the badge's ``state-<state>`` class."""
    badge = Page(html).one("div.page-head p.badges span.state")
    states = [name.removeprefix("state-") for name in badge.get_attribute_list("class") if name.startswith("state-")]
    assert len(states) == 1, f"the state badge has classes {badge.get_attribute_list('class')}"
    return states[0]


def ledger_refusal_in(html: str, selector: str) -> None:
    """The ledger's refusal is one of the messages of the element the selector names (a summary, a field)."""
    messages = Page(html).texts(selector)
    assert any(LEDGER_CATCHING_UP in message for message in messages), (selector, messages)


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
    summary = "section[aria-labelledby=publish-title] div.error-summary[role=alert]"
    assert Page(refused.text).text(f"{summary} h3") == "The lot cannot be published yet"
    ledger_refusal_in(refused.text, f"{summary} li")


async def test_a_cancellation_the_ledger_refuses_leaves_the_lot_published(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The second official's confirmation writes lot.cancelled; when the ledger refuses it, nothing changes: the
    lot stays published and the request stays pending, to be confirmed again."""
    lot_id = await create_lot(client, world)
    asked = await client.post(
        f"/api/v1/lots/{lot_id}/cancellation",
        json={"reason": "The council withdrew it."},
        headers=world.auth("officer2_tokmok"),
    )
    assert asked.status_code == 201, asked.text
    await log_in(client, "officer_tokmok")
    token = await csrf_of(client, f"/officer/lots/{lot_id}")
    ledger_refuses(client)
    before = await all_rows(sessions)

    refused = await client.post(f"/officer/lots/{lot_id}/cancellation/confirm?lang=en", data={"_csrf_token": token})

    assert refused.status_code == 422
    assert await stored_lot(sessions, lot_id) == ("published", 1, None)
    assert await ledger_bodies(sessions, lot_id) == 1  # its publication, nothing more
    assert changed_tables(before, await all_rows(sessions)) == {}
    assert shown_state(refused.text) == "published"
    ledger_refusal_in(refused.text, "section[aria-labelledby=cancel-title] p.field-error")
    assert Page(refused.text).has("#pending-cancellation")
    assert "Cancelled." not in Page(refused.text).text()  # no notice of a cancellation anywhere on the page


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
    ledger_refusal_in(refused.text, "form#lot-form > div.error-summary[role=alert] li")


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
    signed = await form_signed(auctioneer.world, "bidder", lot_id, "bid.placed", {"amount": 105_000_00})
    form = {
        "_csrf_token": csrf_token(page.text),
        "idempotency_key": idempotency_key(page.text),
        "amount": "105000",
        **signed,
    }
    assert await ledger_bodies(sessions, lot_id) == 0  # all integrated: the next body is the only one admitted
    client.app.state.settings.ledger_backlog_limit = 1
    before = await all_rows(sessions)

    refused = await client.post(f"/lots/{lot_id}/bids?lang=en", data=form, headers={"HX-Request": "true"})

    assert refused.status_code == 422
    ledger_refusal_in(refused.text, "#bid-area form#bid-form div.error-summary[role=alert] li")
    # The form suggests the minimum over the standing 100,000 som, not over the refused 105,000.
    assert Page(refused.text).value("#bid-area form#bid-form input#f-amount", "data-suggested") == "105000"
    live = await auctioneer.live(lot_id)
    assert live["current_price"] == 100_000_00
    assert datetime.fromisoformat(live["closes_at"]) == closes  # not extended
    assert changed_tables(before, await all_rows(sessions)) == {}
