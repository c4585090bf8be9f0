"""Watching delivered for real to a local SMTP server: a saved search mails its owner once for a lot it matches and
never for one it does not; a watcher is mailed each change of a watched lot once; a watcher who bids hears each event
once, from the auction's own notice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.clock import FrozenClock
from auction.db.engine import transaction
from auction.lots.models import Lot
from auction.watching.rules import SearchFilters
from auction.watching.service import WatchService
from tests.kit.drive import Drive
from tests.kit.mail import BASE_URL, LocalSmtp, send_all
from tests.kit.world import World

SOM = 100
LEASE: dict[str, Any] = {
    "deal": "lease",
    "kind": "premises",
    "registration_number": "1-04-06-0012-0345-1",
    "lease_term_months": 36,
    "rent_period": "month",
    "permitted_use": "Retail of food",
}


async def watch(world: World, who: str, lot_id: int) -> None:
    async with transaction(world.sessions) as session:
        user = await session.get(User, world.user_ids[who])
        lot = await session.get(Lot, lot_id)
        assert user is not None
        assert lot is not None
        await WatchService(session, world.clock).watch(user, lot)


async def test_a_saved_search_mails_once_for_a_matching_lot_and_never_for_another(
    world: World, drive: Drive, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, smtp: LocalSmtp
) -> None:
    await world.bidder("searcher")
    async with transaction(world.sessions) as session:
        user = await session.get(User, world.user_ids["searcher"])
        assert user is not None
        user.preferred_language = "en"
        # "Tell me when a lease in Naryn under 20,000 som a month is published."
        wanted = SearchFilters(municipality_id=world.municipality["naryn"], deal="lease", max_price=20_000 * SOM)
        await WatchService(session, world.clock).save_search(user, "Naryn shops", wanted)
    lease: dict[str, Any] = {**LEASE, "title_en": "Shop premises on Lenin street"}
    await world.lot("published", by="officer_naryn", starting_price=20_000 * SOM + 1, **lease)  # a tyiyn too dear
    await world.lot("published", starting_price=15_000 * SOM, **LEASE)  # in Tokmok
    await world.lot("published", by="officer_naryn", starting_price=19_000 * SOM)  # a sale
    await send_all(smtp.sender(sessions, clock))
    assert smtp.mailbox.to("searcher@test.kg") == []

    lot_id = await world.lot("published", by="officer_naryn", starting_price=18_000 * SOM, **lease)
    await send_all(smtp.sender(sessions, clock))
    [mail] = smtp.mailbox.to("searcher@test.kg")
    assert mail.kind == "search.match"
    assert mail.subject == "New lot for your search “Naryn shops”: Shop premises on Lenin street"
    assert "starting price 18,000\u00a0som" in mail.body
    assert f"{BASE_URL}/lots/{lot_id}" in mail.body

    # Published lots move on (bidding opens): the search is not told again, and nothing else is.
    await drive.open(lot_id)
    await send_all(smtp.sender(sessions, clock))
    assert smtp.mailbox.kinds("searcher@test.kg") == ["search.match"]


async def test_a_watcher_is_mailed_each_change_once_and_a_bidder_who_watches_only_as_a_bidder(
    world: World, drive: Drive, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, smtp: LocalSmtp
) -> None:
    lot_id = await world.lot("applications")
    await world.bidder("watcher")
    await watch(world, "watcher", lot_id)
    await watch(world, "bidder", lot_id)
    await send_all(smtp.sender(sessions, clock))
    before = len(smtp.mailbox.to("bidder@test.kg"))

    await drive.open(lot_id)
    await send_all(smtp.sender(sessions, clock))
    assert smtp.mailbox.kinds("watcher@test.kg") == ["watch.bidding_opened"]
    opened = smtp.mailbox.to("watcher@test.kg")[0]
    assert f"{BASE_URL}/lots/{lot_id}" in opened.body
    assert smtp.mailbox.kinds("bidder@test.kg")[before:] == ["bidding.opened"]

    closes = await drive.closes_at(lot_id)
    clock.set(closes - timedelta(minutes=1))
    await drive.bid(lot_id, "bidder", 100_000 * SOM)
    await drive.close(lot_id)
    await send_all(smtp.sender(sessions, clock))
    assert smtp.mailbox.kinds("watcher@test.kg") == [
        "watch.bidding_opened",
        "watch.extended",
        "watch.closed",
        "watch.awarded",
    ]
    # The bidder watches too, but hears each event once: from the auction, which says more.
    assert smtp.mailbox.kinds("bidder@test.kg")[before:] == [
        "bidding.opened",
        "auction.extended",
        "auction.closed",
        "award.won",
    ]
