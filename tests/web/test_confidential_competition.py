"""Competition stays confidential until the close, and names stay apart from pseudonyms until the decision.

The public (pages, API, live panel) does not learn how many sealed bids a lot has before the commission opens
them; officers of the lot's municipality see the count throughout. Officers review applicants by name, so they do
not see the pseudonym each applicant bids under until the lot is decided.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

from auction.accounts.models import User
from auction.ledger.verifier.sealed import b64url_decode, ciphertext_hash, encrypt_bid
from tests.kit.page import Page
from tests.kit.world import World
from tests.web.auction_support import Auctioneer
from tests.web.conftest import Client, log_in
from web.bidding.live import live_events

CONFIDENTIAL = "How many sealed bids there are stays confidential until the commission opens them."


async def pseudonym_of(auctioneer: Auctioneer, world: World, who: str, lot_id: int) -> str:
    mine = (await auctioneer.client.get("/api/v1/me/applications", headers=world.auth(who))).json()
    [application] = [a for a in mine if a["lot_id"] == lot_id]
    pseudonym: str = application["pseudonym"]  # the bidder always sees their own
    assert pseudonym
    return pseudonym


async def seal(auctioneer: Auctioneer, world: World, lot_id: int, who: str, pseudonym: str, amount: int) -> None:
    key = b64url_decode((await auctioneer.client.get(f"/api/v1/lots/{lot_id}/sealed/key")).json()["public_key"])
    ciphertext = encrypt_bid(key, lot_id, pseudonym, amount)
    signed = await world.signed(who, lot_id, "bid.sealed", {"ciphertext_hash": ciphertext_hash(ciphertext)})
    sent = await auctioneer.client.post(
        f"/api/v1/lots/{lot_id}/sealed-bids",
        json={"ciphertext": ciphertext, "signed": signed},
        headers={**world.auth(who), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert sent.status_code == 201, sent.text


async def public_view(client: Client, lot_id: int) -> tuple[object, int, Page]:
    """What anyone sees: the live state's bid_count, the length of the bid list, and the lot page."""
    client.cookies.clear()
    live = (await client.get(f"/api/v1/lots/{lot_id}/auction")).json()
    bids = (await client.get(f"/api/v1/lots/{lot_id}/bids")).json()
    page = Page((await client.get(f"/lots/{lot_id}?lang=en")).text)
    return live.get("bid_count"), len(bids), page


async def test_sealed_bid_count_is_public_only_once_the_bids_are_opened(
    client: Client, auctioneer: Auctioneer, world: World
) -> None:
    lot_id = await auctioneer.sealed_lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    pseudonyms = {who: await pseudonym_of(auctioneer, world, who, lot_id) for who in ("bidder", "bidder2")}
    await seal(auctioneer, world, lot_id, "bidder", pseudonyms["bidder"], 150_000_00)
    await seal(auctioneer, world, lot_id, "bidder2", pseudonyms["bidder2"], 140_000_00)

    # While bidding runs: the public API, the bid list and the lot page say nothing of how many.
    count, listed, page = await public_view(client, lot_id)
    assert (count, listed) == (None, 0)
    assert not page.has("#live-bid-count")
    assert CONFIDENTIAL in page.text("#live")
    # A bidder is the public too: they know their own bid, not how many others there are.
    bidder_live = (await client.get(f"/api/v1/lots/{lot_id}/auction", headers=world.auth("bidder"))).json()
    assert bidder_live["bid_count"] is None
    # An officer of another municipality is no insider either.
    naryn = (await client.get(f"/api/v1/lots/{lot_id}/auction", headers=world.auth("officer_naryn"))).json()
    assert naryn["bid_count"] is None

    # The lot's own officers see the count all along, in the API and on their console.
    officer = auctioneer.officer
    assert (await client.get(f"/api/v1/lots/{lot_id}/auction", headers=officer)).json()["bid_count"] == 2
    assert len((await client.get(f"/api/v1/lots/{lot_id}/bids", headers=officer)).json()) == 2
    await log_in(client, "officer_tokmok")
    console = Page((await client.get(f"/officer/lots/{lot_id}/auction?lang=en")).text)
    assert console.text("#live-bid-count") == "2"
    # Logged in, the same officer on the public lot page (and so its live stream) sees it too.
    assert Page((await client.get(f"/lots/{lot_id}?lang=en")).text).text("#live-bid-count") == "2"

    # Closed, the commission not yet sat: still confidential.
    await auctioneer.close(lot_id)
    assert (await auctioneer.live(lot_id))["state"] == "closed"
    count, listed, _ = await public_view(client, lot_id)
    assert (count, listed) == (None, 0)

    # Opened and decided: the count and the bids are public.
    await auctioneer.post_shares(lot_id)
    opened = await client.post(f"/api/officer/lots/{lot_id}/open", headers=officer)
    assert opened.status_code == 200, opened.text
    count, listed, _ = await public_view(client, lot_id)
    assert (count, listed) == (2, 2)


async def test_the_live_stream_counts_for_the_watcher_not_for_the_view_parameter(
    client: Client, auctioneer: Auctioneer, world: World
) -> None:
    """The page's stream renders for whoever is logged in (``view=officer`` only picks the page to reload, and
    anyone may send it): its first event carries the count for an officer of the lot, none for the public."""
    lot_id = await auctioneer.sealed_lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    await seal(auctioneer, world, lot_id, "bidder", await pseudonym_of(auctioneer, world, "bidder", lot_id), 150_000_00)

    async def first_count(viewer: User | None) -> str:
        events = live_events(auctioneer.sessions, auctioneer.clock, lot_id, lambda live: repr(live.bid_count), viewer)
        assert isinstance(events, AsyncGenerator)  # closed here rather than left to the garbage collector
        first = await anext(events)
        await events.aclose()
        return str(first.data)

    assert await first_count(None) == "None"
    assert await first_count(await world.user("bidder")) == "None"
    assert await first_count(await world.user("officer_tokmok")) == "1"


async def test_officers_see_no_pseudonym_beside_a_name_until_the_award(
    client: Client, auctioneer: Auctioneer, world: World
) -> None:
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    pseudonyms = [await pseudonym_of(auctioneer, world, who, lot_id) for who in ("bidder", "bidder2")]
    await auctioneer.open(lot_id)
    await auctioneer.bid(lot_id, "bidder", 100_000_00)
    await auctioneer.bid(lot_id, "bidder2", 105_000_00)

    listed = (await client.get(f"/api/v1/lots/{lot_id}/applications", headers=auctioneer.officer)).json()
    assert [a["pseudonym"] for a in listed] == [None, None]
    await log_in(client, "officer_tokmok")
    console = Page((await client.get(f"/officer/lots/{lot_id}/auction?lang=en")).text)
    applications = console.text("#applications")
    assert "Bidder" in applications  # the names the officer reviewed
    assert not any(p in applications for p in pseudonyms)
    assert "Pseudonym shown after the decision" in applications
    protocol = Page((await client.get(f"/officer/lots/{lot_id}/protocol?lang=en")).text)
    participants = protocol.text("section[aria-labelledby=p-participants]")
    assert not any(p in participants for p in pseudonyms)

    await auctioneer.close(lot_id)  # an open auction is decided by the tick that closes it
    assert (await auctioneer.live(lot_id))["state"] == "awarded"
    listed = (await client.get(f"/api/v1/lots/{lot_id}/applications", headers=auctioneer.officer)).json()
    assert sorted(a["pseudonym"] for a in listed) == sorted(pseudonyms)
    console = Page((await client.get(f"/officer/lots/{lot_id}/auction?lang=en")).text)
    assert all(p in console.text("#applications") for p in pseudonyms)
    protocol = Page((await client.get(f"/officer/lots/{lot_id}/protocol?lang=en")).text)
    assert all(p in protocol.text("section[aria-labelledby=p-participants]") for p in pseudonyms)


async def test_a_confirmed_deposit_answers_without_the_pseudonym(
    client: Client, auctioneer: Auctioneer, world: World
) -> None:
    """The officer acts on an application they know by name: its answer must not hand them the pseudonym."""
    lot_id = await auctioneer.lot()
    application_id = await auctioneer.apply(lot_id, "bidder")
    confirmed = await client.post(
        f"/api/v1/applications/{application_id}/confirm-deposit",
        json={"bank_reference": "KICB 2026-7"},
        headers=auctioneer.officer,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["pseudonym"] is None
    assert confirmed.json()["deposit_reference"] == "KICB 2026-7"  # the officer's own record keeps the reference
