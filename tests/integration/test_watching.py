"""Watching through its services: a saved search alerts on exactly the lots the catalog lists for it, once per
lot whatever is retried; watchers are told each change of a watched lot once; the limits and refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from auction.accounts.models import User
from auction.db.engine import transaction
from auction.errors import Conflict, InvalidInput, NotFound
from auction.ledger.admission import LedgerWriter
from auction.lots.models import Lot
from auction.lots.service import LotService
from auction.watching.alerts import alert_saved_searches, alert_watchers, areas_of
from auction.watching.models import SearchMatch, WatchEvent
from auction.watching.rules import LotFacts, SearchFilters, WatchedChange, matches
from auction.watching.service import MAX_SAVED_SEARCHES, WatchService
from tests.kit.drive import Drive
from tests.kit.world import World
from web.watching.forms import lot_filter_of

SOM = 100
LEASE: dict[str, Any] = {
    "deal": "lease",
    "kind": "premises",
    "registration_number": "1-04-06-0012-0345-1",
    "lease_term_months": 36,
    "rent_period": "month",
    "permitted_use": "Retail of food",
}


async def save(world: World, who: str, filters: SearchFilters, name: str = "search") -> int:
    async with transaction(world.sessions) as session:
        user = await session.get(User, world.user_ids[who])
        assert user is not None
        return (await WatchService(session, world.clock).save_search(user, name, filters)).id


async def watch(world: World, who: str, lot_id: int) -> None:
    async with transaction(world.sessions) as session:
        user = await session.get(User, world.user_ids[who])
        lot = await session.get(Lot, lot_id)
        assert user is not None
        assert lot is not None
        await WatchService(session, world.clock).watch(user, lot)


async def test_a_saved_search_alerts_once_on_exactly_the_lots_the_catalog_lists(world: World) -> None:
    naryn, region = world.municipality["naryn"], world.municipality["naryn-region"]
    searches = {
        # "Tell me when a lease in Naryn under 20,000 som a month is published."
        "lease_naryn_20k": SearchFilters(municipality_id=naryn, deal="lease", max_price=20_000 * SOM),
        "naryn_region": SearchFilters(region_id=region),
        "kiosk_text": SearchFilters(text="Kiosk  BAZAAR"),
        "from_50k_sales": SearchFilters(deal="sale", min_price=50_000 * SOM),
        "premises_open": SearchFilters(kind="premises", format="open_ascending"),
        "bidding_only": SearchFilters(status="bidding"),
        "sealed": SearchFilters(format="sealed_bid"),
    }
    owners = {name: "bidder" if i % 2 else "bidder2" for i, name in enumerate(searches)}
    ids = {name: await save(world, owners[name], filters) for name, filters in searches.items()}

    naryn_lease = {**LEASE, "title_en": "Shop premises on Lenin street"}
    lots = {
        "cheap_lease": await world.lot("published", by="officer_naryn", starting_price=18_000 * SOM, **naryn_lease),
        "at_limit": await world.lot("published", by="officer_naryn", starting_price=20_000 * SOM, **naryn_lease),
        "dear_lease": await world.lot("published", by="officer_naryn", starting_price=20_000 * SOM + 1, **naryn_lease),
        "naryn_sale": await world.lot("published", by="officer_naryn", title_en="Kiosk by the bazaar"),
        "tokmok_lease": await world.lot("published", starting_price=15_000 * SOM, **LEASE),
        "naryn_draft": await world.lot("draft", by="officer_naryn", starting_price=10_000 * SOM, **naryn_lease),
    }

    async with world.sessions() as session:
        service = LotService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        facts = []
        for lot_id in lots.values():
            lot = await session.get(Lot, lot_id)
            assert lot is not None
            facts.append(LotFacts.of(lot, await areas_of(session, lot.municipality_id)))
        for name, filters in searches.items():
            listed, _ = await service.browse(lot_filter_of(filters), viewer=None, limit=100)
            catalog = {lot.id for lot in listed} & set(lots.values())
            assert catalog == {f.id for f in facts if matches(filters, f)}, name
        recorded = set((await session.execute(select(SearchMatch.saved_search_id, SearchMatch.lot_id))).all())
    assert recorded == {
        (ids[name], f.id) for name, filters in searches.items() for f in facts if matches(filters, f)
    }, "each publication recorded the searches it matched, as matches() says"
    expected_lease = {(ids["lease_naryn_20k"], lots["cheap_lease"]), (ids["lease_naryn_20k"], lots["at_limit"])}
    assert {pair for pair in recorded if pair[0] == ids["lease_naryn_20k"]} == expected_lease
    assert (ids["kiosk_text"], lots["naryn_sale"]) in recorded

    # Published again (a retry, a second run): nothing new is recorded, nothing is returned to send.
    async with transaction(world.sessions) as session:
        for lot_id in lots.values():
            lot = await session.get(Lot, lot_id)
            assert await alert_saved_searches(session, lot, now=world.clock.now()) == []
    async with world.sessions() as session:
        again = (await session.execute(select(SearchMatch.saved_search_id, SearchMatch.lot_id))).all()
    assert sorted(again) == sorted(recorded)


async def test_watchers_are_told_each_change_of_a_watched_lot_once(world: World, drive: Drive) -> None:
    lot_id = await world.lot("applications")
    await world.bidder("watcher")
    await watch(world, "watcher", lot_id)
    await watch(world, "bidder", lot_id)
    await watch(world, "watcher", lot_id)  # watching twice is watching once
    await drive.open(lot_id)
    # A bid in the last minutes moves the close: the watchers learn the new closing time.
    closes = await drive.closes_at(lot_id)
    world.clock.set(closes - timedelta(minutes=1))
    await drive.bid(lot_id, "bidder", 100_000_00)
    assert await drive.closes_at(lot_id) > closes
    await drive.close(lot_id)

    async with world.sessions() as session:
        rows = (await session.execute(select(WatchEvent.account_id, WatchEvent.event, WatchEvent.params))).all()
    told: dict[int, list[str]] = {world.user_ids["watcher"]: [], world.user_ids["bidder"]: []}
    for account, event, _ in rows:
        told[account].append(event)
    assert sorted(told[world.user_ids["watcher"]]) == ["awarded", "bidding_opened", "closed", "extended"]
    assert sorted(told[world.user_ids["bidder"]]) == sorted(told[world.user_ids["watcher"]])
    extended = next(params for _, event, params in rows if event == "extended")
    assert extended["closes_at"].startswith((closes + timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M"))

    async with transaction(world.sessions) as session:
        lot = await session.get(Lot, lot_id)
        assert await alert_watchers(session, lot, WatchedChange.CLOSED, now=world.clock.now()) == []


async def test_limits_and_what_is_refused(world: World) -> None:
    draft_id = await world.lot("draft")
    published_id = await world.lot("published")
    async with transaction(world.sessions) as session:
        service = WatchService(session, world.clock)
        officer = await session.get(User, world.user_ids["officer_tokmok"])
        bidder = await session.get(User, world.user_ids["bidder"])
        other = await session.get(User, world.user_ids["bidder2"])
        draft, published = await session.get(Lot, draft_id), await session.get(Lot, published_id)
        assert officer is not None
        assert bidder is not None
        assert other is not None
        assert draft is not None
        assert published is not None
        with pytest.raises(Conflict) as refused:
            await service.watch(officer, draft)  # its officer sees the draft; it cannot be watched
        assert refused.value.code == "watch.lot_not_public"
        with pytest.raises(InvalidInput) as empty:
            await service.save_search(bidder, "all", SearchFilters())
        assert empty.value.code == "search.empty"
        with pytest.raises(NotFound):
            await service.save_search(bidder, "nowhere", SearchFilters(municipality_id=999_999))
        for number in range(MAX_SAVED_SEARCHES):
            saved = await service.save_search(bidder, f"  search   {number} ", SearchFilters(deal="lease"))
        assert saved.name == f"search {MAX_SAVED_SEARCHES - 1}"
        with pytest.raises(Conflict) as limit:
            await service.save_search(bidder, "one more", SearchFilters(deal="sale"))
        assert (limit.value.code, limit.value.params) == ("search.too_many", {"limit": MAX_SAVED_SEARCHES})
        # Another account neither sees, renames nor deletes it.
        assert await service.searches(other) == []
        for attempt in (service.rename_search(other, saved.id, "mine"), service.delete_search(other, saved.id)):
            with pytest.raises(NotFound):
                await attempt
        with pytest.raises(InvalidInput):
            await service.rename_search(bidder, saved.id, " " * 3)
        await service.delete_search(bidder, saved.id)
        assert len(await service.searches(bidder)) == MAX_SAVED_SEARCHES - 1
        await service.watch(bidder, published)
        assert await service.is_watching(bidder, published_id)
        assert await service.unwatch(bidder, published_id)
        assert not await service.unwatch(bidder, published_id)
