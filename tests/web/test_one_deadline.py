"""One closing time everywhere: after a soft-close extension, and in a descending auction, the lot page's header,
schedule and live panel, the catalog card, the officer's page and the API all show the same close."""

from __future__ import annotations

from datetime import datetime, timedelta

from auction.clock import as_utc
from tests.kit.page import Page
from tests.kit.world import kit_schedule
from tests.web.auction_support import Auctioneer
from tests.web.conftest import Client, log_in


def shown_closes(html: str) -> set[str]:
    """Every closing time the page shows: its <time> elements and the countdowns' deadlines (ISO 8601, UTC)."""
    page = Page(html)
    times = {str(tag.get("datetime")) for tag in page.all("time[data-lot-close]")}
    countdowns = {str(tag.get("data-deadline")) for tag in page.all(".countdown[data-lot-close]")}
    return times | countdowns


def parsed(stamps: set[str]) -> set[datetime]:
    return {as_utc(datetime.fromisoformat(stamp.replace("Z", "+00:00"))) for stamp in stamps}


async def test_every_shown_closing_time_agrees_after_an_extension_and_in_a_descending_auction(
    client: Client, auctioneer: Auctioneer
) -> None:
    # A short auction, so that reaching its soft-close window with the platform alive takes few scheduler ticks.
    _, opens, _ = kit_schedule(auctioneer.clock.now())
    lot_id = await auctioneer.lot(bidding_closes_at=(opens + timedelta(minutes=10)).isoformat())
    await auctioneer.admit(lot_id, "bidder")
    await auctioneer.open(lot_id)
    terms_close = await auctioneer.drive.closes_at(lot_id)
    # A bid two minutes before the close, inside the soft-close window, moves the close later.
    await auctioneer.drive.live_until(terms_close - timedelta(minutes=2))
    receipt = await auctioneer.bid(lot_id, "bidder", 100_000_00)
    extended = await auctioneer.drive.closes_at(lot_id)
    assert extended > terms_close, receipt

    await log_in(client, "bidder")
    html = (await client.get(f"/lots/{lot_id}?lang=en")).text
    page = Page(html)
    # The header, the schedule and the live panel each show it, and show the same moment.
    assert page.has("header.lot-header time[data-lot-close]")
    assert page.has("dd[data-term=bidding_closes_at] time[data-lot-close]")
    assert page.has("#live time[data-lot-close]")
    assert len(page.all(".countdown[data-lot-close]")) == 2  # the header's and the live panel's
    assert parsed(shown_closes(html)) == {extended}
    assert page.text("dd[data-term=bidding_closes_at] span.muted").startswith("extended from ")
    # The live panel tells the script the close to move every countdown to.
    assert parsed({page.value("#live .live-state", "data-closes-at")}) == {extended}

    card = Page((await client.get("/?lang=en")).text)
    card_closes = {str(tag.get("datetime")) for tag in card.all("article.card time[data-lot-close]")}
    assert extended in parsed(card_closes)
    assert terms_close not in parsed(card_closes)

    api = (await client.get(f"/api/v1/lots/{lot_id}")).json()
    assert parsed({api["closes_at"]}) == {extended}
    assert parsed({(await auctioneer.live(lot_id))["closes_at"]}) == {extended}

    # A descending lot ends by its price clock (one interval after the floor), not at the close typed in its terms.
    dutch = await auctioneer.lot(format="descending", floor_price=50_000_00, price_drop_interval_seconds=60)
    typed_close = as_utc((await auctioneer.drive.lot(dutch)).bidding_closes_at)
    await auctioneer.open(dutch)
    dutch_end = await auctioneer.drive.closes_at(dutch)
    assert dutch_end != typed_close
    html = (await client.get(f"/lots/{dutch}?lang=en")).text
    assert parsed(shown_closes(html)) == {dutch_end}
    assert parsed({(await client.get(f"/api/v1/lots/{dutch}")).json()["closes_at"]}) == {dutch_end}
