"""A request's unit of work: what an officer's refused action leaves behind, in the database and on the page.

The ledger is made to refuse (a backlog limit of 0: every record is "Unavailable"), so each action fails only
after it has changed the lot in the session: the test then reads the database for what was kept.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.ledger.models import PendingEntry
from auction.lots.models import Lot, LotVersion
from tests.factories import World
from tests.web.conftest import Client, create_lot, csrf_of, field_error, log_in
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
