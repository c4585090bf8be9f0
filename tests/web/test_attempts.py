"""The chain of attempts is visible on every lot: "attempt N of max", with the previous and next attempts linked."""

from __future__ import annotations

from auction.db.engine import transaction
from auction.ledger.admission import LedgerWriter
from auction.lots.models import LotState
from auction.lots.schemas import RepeatAuction
from auction.lots.service import LotService
from tests.kit.drive import Drive
from tests.kit.page import Page
from tests.kit.world import World, kit_schedule
from tests.web.conftest import Client


async def test_a_repeat_shows_its_place_in_the_chain_on_the_page_and_in_the_json(client: Client, world: World) -> None:
    drive = Drive(world)
    failed = await world.lot(stage="published")
    await drive.open(failed)
    await drive.close(failed)
    assert (await drive.lot(failed)).state == LotState.FAILED
    officer = await world.user("officer_tokmok")
    deadline, opens, closes = kit_schedule(world.clock.now())
    async with transaction(world.sessions) as session:
        lots = LotService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        schedule = RepeatAuction(
            reduction_percent=20, applications_close_at=deadline, bidding_opens_at=opens, bidding_closes_at=closes
        )
        repeat = (await lots.relist(officer, failed, schedule)).id
        await lots.publish(officer, repeat)

    first = Page((await client.get(f"/lots/{failed}?lang=en")).text)
    second = Page((await client.get(f"/lots/{repeat}?lang=en")).text)

    assert first.text("#attempts") == f"Attempt 1 of 3 · Next attempt: lot {repeat}"
    assert first.one("#attempts a[rel=next]").get("href") == f"/lots/{repeat}"
    assert second.text("#attempts") == f"Attempt 2 of 3 · Previous attempt: lot {failed}"
    assert second.one("#attempts a[rel=prev]").get("href") == f"/lots/{failed}"
    answer = (await client.get(f"/api/v1/lots/{repeat}")).json()
    assert answer["attempt"] == {"number": 2, "max_attempts": 3, "previous_lot_id": failed, "next_lot_id": None}
    assert (await client.get(f"/api/v1/lots/{failed}")).json()["attempt"]["next_lot_id"] == repeat


async def test_a_first_auction_without_repeats_shows_no_chain(client: Client, world: World) -> None:
    lot_id = await world.lot(stage="published")
    assert not Page((await client.get(f"/lots/{lot_id}?lang=en")).text).has("#attempts")
    answer = (await client.get(f"/api/v1/lots/{lot_id}")).json()
    assert answer["attempt"] == {"number": 1, "max_attempts": 3, "previous_lot_id": None, "next_lot_id": None}
