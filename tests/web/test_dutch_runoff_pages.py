"""The descending lot page under the tie rule: the live panel tells watchers about the tie window and the run-off,
and a contender makes their one sealed offer from the page (hashed and signed as the page's script does)."""

from __future__ import annotations

from auction.ledger.verifier import runoff as tie
from tests.kit.page import Page
from tests.web.auction_support import Auctioneer, form_signed
from tests.web.conftest import Client, csrf_token, log_in

HTMX = {"HX-Request": "true"}
NONCE = "r" * 43


async def test_a_tie_shows_its_run_off_and_a_contender_offers_from_the_page(
    client: Client, auctioneer: Auctioneer
) -> None:
    lot_id = await auctioneer.lot(format="descending", floor_price=50_000_00, price_drop_interval_seconds=60)
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    drive = auctioneer.drive
    await drive.accept(lot_id, "bidder")
    page = Page((await client.get(f"/lots/{lot_id}?lang=en")).text)
    assert page.text("div.live-state p.tie-window").startswith("A bidder has accepted 100,000\u00a0som.")
    await drive.accept(lot_id, "bidder2")
    await drive.close(lot_id)
    watcher = Page((await client.get(f"/lots/{lot_id}?lang=en")).text)
    assert watcher.text("div.live-state p.runoff strong") == (
        "2 bidders accepted 100,000\u00a0som at the same time: a 5-minute run-off decides."
    )
    assert not watcher.texts("form#runoff-form")  # a watcher has no offer to make

    await log_in(client, "bidder2")
    page_text = (await client.get(f"/lots/{lot_id}?lang=en")).text
    assert Page(page_text).value("form#runoff-form", "data-statement-action") == "runoff.offer"
    pseudonym = await drive.pseudonym(lot_id, "bidder2")
    digest = tie.offer_hash(lot_id, pseudonym, 101_000_00, NONCE)
    signed = await form_signed(auctioneer.world, "bidder2", lot_id, "runoff.offer", {"offer_hash": digest})
    low = await client.post(
        f"/lots/{lot_id}/runoff-offer?lang=en",
        data={"_csrf_token": csrf_token(page_text), "amount": "99 000", "nonce": NONCE, **signed},
        headers=HTMX,
    )
    assert low.status_code == 422
    assert "at least the accepted price" in Page(low.text).text("#runoff")
    offered = await client.post(
        f"/lots/{lot_id}/runoff-offer?lang=en",
        data={"_csrf_token": csrf_token(page_text), "amount": "101 000", "nonce": NONCE, **signed},
        headers=HTMX,
    )
    assert offered.status_code == 200, offered.text
    assert Page(offered.text).text("#runoff p.runoff-offered").startswith("You offered 101,000\u00a0som.")
