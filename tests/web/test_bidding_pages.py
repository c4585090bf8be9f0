"""A bidder on the lot page: apply, bid in each format with an Idempotency-Key per form, receipts and proofs,
the live panel's stream, and the award; every refusal inline (422 for htmx), in the reader's language."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.bidding.models import Bid
from auction.clock import FrozenClock
from auction.ledger.verifier.proof_file import parse_proof
from auction.ledger.verifier.sealed import b64url_decode, ciphertext_hash, encrypt_bid
from auction.settings import Settings
from tests.kit.page import Page
from tests.kit.world import NOTICE
from tests.web.auction_support import Auctioneer, form_application, form_signed, idempotency_key
from tests.web.conftest import Client, create_lot, csrf_of, csrf_token, field_error, log_in
from web.bidding.live import MAX_SHARED_LOTS

HTMX = {"HX-Request": "true"}


async def bids_in_db(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Bid)) or 0)


def problems(html: str, scope: str) -> list[str]:
    """The messages of the error summary (role=alert) inside ``scope``: the form or panel that was refused."""
    return Page(html).texts(f"{scope} div.error-summary[role=alert] li")


async def form_of(client: Client, lot_id: int) -> tuple[str, str]:
    """The lot page's CSRF token and its bid form's Idempotency-Key."""
    page = await client.get(f"/lots/{lot_id}?lang=en")
    return csrf_token(page.text), idempotency_key(page.text)


async def test_anonymous_visitors_are_asked_to_log_in_to_apply(client: Client, auctioneer: Auctioneer) -> None:
    lot_id = await auctioneer.lot()
    page = await client.get(f"/lots/{lot_id}?lang=en")
    html = Page(page.text)
    assert html.text(f'a[href="/login?next=/lots/{lot_id}"]') == "Log in"
    live = html.one("#live")
    assert live.get("data-live-stream") == f"/lots/{lot_id}/live?view=public&shown=published&language=en"
    assert live.get("data-live-shared") == "/lots/live?language=en"
    assert (live.get("data-live-lot"), live.get("data-live-shown")) == (str(lot_id), "published")
    refused = await client.post(f"/lots/{lot_id}/apply", data={"_csrf_token": await csrf_of(client)})
    assert refused.status_code == 200  # followed to the login page
    assert "/login" in str(refused.url)


async def test_a_bidder_applies_and_sees_the_status(client: Client, auctioneer: Auctioneer) -> None:
    lot_id = await auctioneer.lot()
    await log_in(client, "bidder")
    page = await client.get(f"/lots/{lot_id}?lang=en")
    assert "Apply to take part" in Page(page.text).text("#participation")
    # The deposit the application commits to, in words, and in tyiyn for the confirmation dialog.
    assert Page(page.text).text("#participation .in-words") == "(ten thousand som)"
    assert Page(page.text).value("form.apply-form", "data-deposit") == "1000000"
    application = await form_application(auctioneer.world, "bidder", lot_id)
    applied = await client.post(
        f"/lots/{lot_id}/apply", data={"_csrf_token": csrf_token(page.text), **application}, follow_redirects=False
    )
    assert applied.status_code == 303
    assert applied.headers["location"] == f"/lots/{lot_id}#participation"
    after = await client.get(f"/lots/{lot_id}?lang=en")
    participation = Page(after.text)
    assert "Apply to take part" not in participation.text("#participation")
    assert participation.text("#participation span.status.status-submitted") == "Awaiting the deposit"
    assert "Pay the deposit of 10,000\u00a0som to the municipality" in participation.text("#participation")

    again = await client.post(
        f"/lots/{lot_id}/apply?lang=ru", data={"_csrf_token": csrf_token(page.text), **application}, headers=HTMX
    )
    assert again.status_code == 422
    assert Page(again.text).root().get("id") == "participation"
    assert problems(again.text, "#participation") == ["Вы уже подали заявку на этот лот."]


async def test_applying_after_the_deadline_is_refused_in_the_readers_language(
    client: Client, auctioneer: Auctioneer, clock: FrozenClock
) -> None:
    lot_id = await auctioneer.lot()
    await log_in(client, "bidder")
    token = csrf_token((await client.get(f"/lots/{lot_id}")).text)
    clock.advance(NOTICE + timedelta(minutes=1))
    late = await client.post(f"/lots/{lot_id}/apply?lang=ky", data={"_csrf_token": token}, headers=HTMX)
    assert late.status_code == 422
    refusal = Page(late.text)
    assert refusal.root().get("id") == "participation"
    assert problems(late.text, "#participation") == ["Арыз берүү мөөнөтү өтүп кетти."]
    assert not refusal.has("form.apply-form")
    assert "Apply to take part" not in refusal.text()


async def test_forms_without_the_csrf_token_are_refused(client: Client, auctioneer: Auctioneer) -> None:
    lot_id = await auctioneer.lot()
    await log_in(client, "bidder")
    assert (await client.post(f"/lots/{lot_id}/apply", data={})).status_code == 403
    assert (await client.post(f"/lots/{lot_id}/bids", data={"amount": "100000"})).status_code == 403
    applications = Page((await client.get("/me/applications?lang=en")).text)
    assert applications.text("main div.empty > p:first-child") == "You have not applied to any lot yet."
    assert not applications.has("main table")


async def test_open_bids_through_the_form(
    client: Client, auctioneer: Auctioneer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    await log_in(client, "bidder")
    page = await client.get(f"/lots/{lot_id}?lang=en")
    assert Page(page.text).value("form#bid-form input#f-amount[name=amount][type=text]") == "100000"
    # What the confirmation judges a far-above bid against: before the first bid, the starting price and the step.
    assert Page(page.text).value("form#bid-form", "data-starting-price") == "10000000"
    assert Page(page.text).value("form#bid-form", "data-bid-step") == "500000"
    assert not Page(page.text).has("#live [data-leading-price]")
    token, key = csrf_token(page.text), idempotency_key(page.text)
    assert key != idempotency_key((await client.get(f"/lots/{lot_id}")).text)  # fresh per rendering

    signed = await form_signed(auctioneer.world, "bidder", lot_id, "bid.placed", {"amount": 100_000_00})
    form = {"_csrf_token": token, "idempotency_key": key, "amount": "100 000,00", **signed}
    placed = await client.post(f"/lots/{lot_id}/bids?lang=en", data=form, headers=HTMX)
    assert placed.status_code == 200, placed.text
    fragment = Page(placed.text)
    assert fragment.root().get("id") == "bid-area"
    assert fragment.text("#bid-area section.receipt-fresh h3") == "Your bid is accepted: 100,000\u00a0som"
    signed_receipt = fragment.all("#bid-area section.receipt-fresh details pre.note")[-1].get_text()
    assert signed_receipt.startswith("achyk-receipt/v2\n")
    assert fragment.value("section#my-bids", "hx-swap-oob") == "true"
    body_hash = fragment.text("#bid-area code.body-hash")
    assert re.fullmatch(r"[0-9a-f]{64}", body_hash)
    # The next rendering suggests the new minimum, under a new key.
    assert fragment.value("form#bid-form input[name=amount]") == "105000"
    # and the live panel names the leading bid, in tyiyn, which a next bid is judged against.
    leading = Page((await client.get(f"/lots/{lot_id}?lang=en")).text)
    assert leading.value("#live [data-leading-price]", "data-leading-price") == "10000000"
    assert idempotency_key(placed.text) != key

    # The same rendering sent again (a double click): one bid, the first receipt.
    replay = await client.post(f"/lots/{lot_id}/bids?lang=en", data=form, headers=HTMX)
    assert replay.status_code == 200
    assert Page(replay.text).text("#bid-area code.body-hash") == body_hash
    assert await bids_in_db(sessions) == 1
    assert (await auctioneer.live(lot_id))["current_price"] == 100_000_00

    other = await client.post(f"/lots/{lot_id}/bids?lang=en", data={**form, "amount": "200000"}, headers=HTMX)
    assert other.status_code == 422
    # The problem belongs to the form's hidden key, which has no label: the summary shows the message alone.
    [reused] = problems(other.text, "#bid-area form#bid-form")
    assert reused == "This form was already used for a different bid; reload the page and bid again."

    low = await client.post(
        f"/lots/{lot_id}/bids?lang=ru",
        data={**form, "idempotency_key": "k" * 32, "amount": "104999.99"},
        headers=HTMX,
    )
    assert low.status_code == 422
    assert field_error(low.text, "amount") == "Минимальная ставка сейчас — 105\u00a0000\u00a0сом."
    assert Page(low.text).value("form#bid-form input[name=amount]") == "104999.99"  # typed, with its problem

    bad = await client.post(
        f"/lots/{lot_id}/bids?lang=en", data={**form, "idempotency_key": "k" * 33, "amount": "12,345.678"}
    )
    assert bad.status_code == 422  # without htmx: the whole lot page with the problem at the field
    assert Page(bad.text).has("html > body main")
    assert field_error(bad.text, "amount") == "Enter an amount in som, such as 1250 or 1250.50."
    assert await bids_in_db(sessions) == 1

    signed = await form_signed(auctioneer.world, "bidder", lot_id, "bid.placed", {"amount": 105_000_01})
    exact = await client.post(
        f"/lots/{lot_id}/bids",
        data={**form, "idempotency_key": "k" * 34, "amount": "105000.01", **signed},
        follow_redirects=False,
    )
    assert exact.status_code == 303
    assert exact.headers["location"] == f"/lots/{lot_id}#my-bids"
    assert (await auctioneer.live(lot_id))["current_price"] == 105_000_01


async def test_officials_cannot_bid(client: Client, auctioneer: Auctioneer) -> None:
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder")
    await auctioneer.open(lot_id)
    await log_in(client, "officer_tokmok")
    page = await client.get(f"/lots/{lot_id}?lang=en")
    assert not Page(page.text).has("#bid-form")
    form = {"_csrf_token": csrf_token(page.text), "idempotency_key": "k" * 20, "amount": "100000"}
    refused = await client.post(f"/lots/{lot_id}/bids?lang=en", data=form, headers=HTMX)
    assert refused.status_code == 422
    assert "Only registered bidders bid; officials of a lot may never bid on it." in problems(refused.text, "#bid-area")


async def test_receipts_download_and_proofs(
    client: Client, auctioneer: Auctioneer, clock: FrozenClock, settings: Settings
) -> None:
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    await log_in(client, "bidder")
    token, key = await form_of(client, lot_id)
    signed = await form_signed(auctioneer.world, "bidder", lot_id, "bid.placed", {"amount": 100_000_00})
    placed = await client.post(
        f"/lots/{lot_id}/bids?lang=en",
        data={"_csrf_token": token, "idempotency_key": key, "amount": "100000", **signed},
        headers=HTMX,
    )
    receipt_link = Page(placed.text).all('a[href^="/me/bids/"][href$="/receipt"]')[0]
    bid_id = int(str(receipt_link["href"]).split("/")[3])
    # Not integrated yet: the page asks again shortly for the proof link.
    assert Page(placed.text).has(f'[hx-get="/me/bids/{bid_id}/proof-link?attempt=0"]')

    download = await client.get(f"/me/bids/{bid_id}/receipt")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == (
        f'attachment; filename="achyk-receipt-lot{lot_id}-bid{bid_id}.json"'
    )
    receipt = json.loads(download.content)
    assert receipt["amount"] == 100_000_00
    assert receipt["receipt"].startswith("achyk-receipt/v2\n")
    assert f"\n{lot_id}\n{json.loads(receipt['body'])['lot_seq']}\nbid.placed\n\n" in receipt["receipt"]
    assert json.loads(receipt["body"])["payload"]["amount"] == 100_000_00

    pending = await client.get(f"/me/bids/{bid_id}/proof-link?attempt=3&lang=en", headers=HTMX)
    assert Page(pending.text).has(f'[hx-get="/me/bids/{bid_id}/proof-link?attempt=4"]')
    await auctioneer.tick()
    ready = await client.get(f"/me/bids/{bid_id}/proof-link?attempt=4&lang=en", headers=HTMX)
    assert Page(ready.text).has(f'a[href="/me/bids/{bid_id}/proof"]')
    # The bidder's own proof carries their receipt, so no other entry's proof can pass for it.
    own = await client.get(f"/me/bids/{bid_id}/proof")
    assert own.status_code == 200, own.text
    assert parse_proof(own.text).receipt_note == receipt["receipt"]
    proof = await client.get(f"/api/v1/ledger/receipts/{receipt['body_hash']}/proof")
    assert proof.text.startswith("c2sp.org/tlog-proof@v1\n")

    mine = await client.get("/me/bids?lang=en")
    my_bids = Page(mine.text)
    assert my_bids.texts(f"main section#lot-{lot_id} section.receipt code.body-hash") == [receipt["body_hash"]]
    # The bidder's page offers their own, receipt-bound proof, not the public one anyone may download.
    proof_link = f'main section#lot-{lot_id} a.proof-link[href="/me/bids/{bid_id}/proof"]'
    assert my_bids.text(proof_link) == "Download proof"

    await log_in(client, "bidder2")
    assert (await client.get(f"/me/bids/{bid_id}/receipt")).status_code == 404
    assert (await client.get(f"/me/bids/{bid_id}/proof-link")).status_code == 404


async def test_sealed_bids_arrive_only_as_ciphertext(
    client: Client, auctioneer: Auctioneer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lot_id = await auctioneer.sealed_lot()
    await auctioneer.admit(lot_id, "bidder")
    await auctioneer.open(lot_id)
    await log_in(client, "bidder")
    page = await client.get(f"/lots/{lot_id}?lang=en")
    html = Page(page.text)
    # The amount is typed in a field with no name: the browser seals it, and only the ciphertext is sent.
    assert not html.has("form#sealed-form [name=amount]")
    assert html.value("form#sealed-form input#f-sealed-amount", "type") == "text"
    # The page names no lot key: the browser reads it from the signed ledger, under the log key the form names.
    assert not html.has("#sealed-form[data-public-key]")
    assert html.value("#sealed-form", "data-ledger-vkey") == (await client.get("/api/v1/ledger/key")).text.strip()
    public_key = (await client.get(f"/api/v1/lots/{lot_id}/sealed/key")).json()["public_key"]
    pseudonym = html.value("#sealed-form[data-pseudonym], #sealed-form [data-pseudonym]", "data-pseudonym")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", public_key)
    assert re.fullmatch(r"b-[0-9a-f]{16}", pseudonym)
    token, key = csrf_token(page.text), idempotency_key(page.text)

    unsealed = await client.post(
        f"/lots/{lot_id}/sealed-bids?lang=en",
        data={"_csrf_token": token, "idempotency_key": key, "ciphertext": ""},
        headers=HTMX,
    )
    assert unsealed.status_code == 422
    assert "Your browser did not seal the bid." in Page(unsealed.text).text("#bid-area form#sealed-form")

    ciphertext = encrypt_bid(b64url_decode(public_key), lot_id, pseudonym, 123_456_78)
    fields = {"ciphertext_hash": ciphertext_hash(ciphertext)}
    signed = await form_signed(auctioneer.world, "bidder", lot_id, "bid.sealed", fields)
    sealed = await client.post(
        f"/lots/{lot_id}/sealed-bids?lang=en",
        data={"_csrf_token": token, "idempotency_key": key, "ciphertext": ciphertext, **signed},
        headers=HTMX,
    )
    assert sealed.status_code == 200, sealed.text
    accepted_sealed = Page(sealed.text)
    assert accepted_sealed.text("#bid-area section.receipt-fresh h3") == "Your bid is accepted"  # no amount
    # Kept as a substring on purpose: the amount must be nowhere in the raw markup (the platform cannot know it).
    assert "123,456.78" not in sealed.text
    assert accepted_sealed.text("#bid-area div.standing form button") == "Withdraw my sealed bid"
    async with sessions() as session:
        stored = await session.scalar(select(Bid))
    assert stored is not None
    assert (stored.amount, stored.ciphertext) == (None, ciphertext)

    signed = await form_signed(auctioneer.world, "bidder", lot_id, "bid.withdrawn")
    withdrawn = await client.post(
        f"/lots/{lot_id}/sealed-bids/withdraw?lang=en", data={"_csrf_token": token, **signed}, headers=HTMX
    )
    assert withdrawn.status_code == 200
    assert "Withdraw my sealed bid" not in Page(withdrawn.text).text()
    assert Page(withdrawn.text).text("span.status.status-withdrawn") == "Withdrawn"
    signed = await form_signed(auctioneer.world, "bidder", lot_id, "bid.withdrawn")
    again = await client.post(
        f"/lots/{lot_id}/sealed-bids/withdraw?lang=en", data={"_csrf_token": token, **signed}, headers=HTMX
    )
    assert again.status_code == 422
    assert problems(again.text, "#bid-area form#sealed-form") == ["You have no standing sealed bid on this lot."]


async def test_a_descending_price_is_accepted_with_one_button(client: Client, auctioneer: Auctioneer) -> None:
    lot_id = await auctioneer.lot(format="descending", floor_price=50_000_00, price_drop_interval_seconds=60)
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    await log_in(client, "bidder")
    page = await client.get(f"/lots/{lot_id}?lang=en")
    assert Page(page.text).text("div.live-state p.live-price span.live-label") == "Price now"
    token, key = csrf_token(page.text), idempotency_key(page.text)
    limit = Page(page.text).value("form#accept-form input[name=limit]")
    assert limit == "10000000"
    signed = await form_signed(auctioneer.world, "bidder", lot_id, "bid.accepted", {"limit": int(limit)})
    accepted = await client.post(
        f"/lots/{lot_id}/accept?lang=en",
        data={"_csrf_token": token, "idempotency_key": key, "limit": limit, **signed},
        headers=HTMX,
    )
    assert accepted.status_code == 200, accepted.text
    assert Page(accepted.text).text("#bid-area section.receipt-fresh h3") == "Your bid is accepted: 100,000\u00a0som"
    # The first acceptance opened a tie window to the end of its price tick; after it, an acceptance is late.
    auctioneer.world.clock.advance(timedelta(seconds=59))
    await log_in(client, "bidder2")
    token, key = await form_of(client, lot_id)
    signed = await form_signed(auctioneer.world, "bidder2", lot_id, "bid.accepted", {"limit": int(limit)})
    late = await client.post(
        f"/lots/{lot_id}/accept?lang=en",
        data={"_csrf_token": token, "idempotency_key": key, "limit": limit, **signed},
        headers=HTMX,
    )
    assert late.status_code == 422
    assert problems(late.text, "#bid-area form#accept-form") == ["Bidding has closed; this bid came too late."]


async def test_after_the_award_all_bids_are_public_and_the_winner_signs(client: Client, auctioneer: Auctioneer) -> None:
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    first = await auctioneer.bid(lot_id, "bidder", 100_000_00)
    await auctioneer.bid(lot_id, "bidder2", 110_000_00)
    await auctioneer.close(lot_id)
    assert (await auctioneer.live(lot_id))["state"] == "awarded"
    winner = json.loads(first["body"])["payload"]["bidder"]

    await log_in(client, "bidder")
    lost = await client.get(f"/lots/{lot_id}?lang=en")
    results = Page(lost.text)
    assert not results.has("#results div.offer")
    assert "Sign for the lot" not in results.text()
    amounts = [text.split(" ")[0] for text in results.texts("#results table.bids-table tbody td.number")]
    assert sorted(amounts) == ["100,000\u00a0som", "110,000\u00a0som"]
    # Wherever the bidder's own pseudonym is listed, it is marked as theirs.
    marked = {str(you.find_previous_sibling("code").get_text()) for you in Page(lost.text).all("strong.you")}  # type: ignore[union-attr]
    assert marked == {winner}
    assert not Page(lost.text).has("#live")  # a decided lot changes no more: no live panel, no stream

    await log_in(client, "bidder2")
    won = await client.get(f"/lots/{lot_id}?lang=en")
    offer = Page(won.text)
    assert offer.text("#results div.offer > p:first-child").startswith(
        "The lot is offered to you at 110,000\u00a0som. "
    )
    assert offer.text("#results div.offer details.decline form button") == "Decline and forfeit the deposit"
    # The price the winner signs, in words too (and the exact tyiyn the confirmation dialog repeats before signing).
    assert offer.text("#results div.offer p.in-words") == "The price in words: one hundred ten thousand som"
    assert Page(won.text).all("#results form[data-statement-action='award.signed']")[0].get("data-price") == "11000000"
    in_kyrgyz = Page((await client.get(f"/lots/{lot_id}?lang=ky")).text)
    assert in_kyrgyz.text("#results div.offer p.in-words") == "Баасы сөз менен: жүз он миң сом"
    sign_form = await form_signed(auctioneer.world, "bidder2", lot_id, "award.signed", {"price": 110_000_00})
    signed = await client.post(
        f"/lots/{lot_id}/award/sign?lang=en", data={"_csrf_token": csrf_token(won.text), **sign_form}, headers=HTMX
    )
    assert signed.status_code == 200, signed.text
    assert Page(signed.text).root().get("id") == "results"
    assert Page(signed.text).text("#results span.status.status-signed") == "Signed"
    assert not Page(signed.text).has("#results div.offer")
    assert "Sign for the lot" not in Page(signed.text).text()
    twice = await client.post(
        f"/lots/{lot_id}/award/sign?lang=en", data={"_csrf_token": csrf_token(won.text), **sign_form}, headers=HTMX
    )
    assert twice.status_code == 422
    assert problems(twice.text, "#results") == ["This lot has no award waiting for a signature."]


async def test_the_winner_may_decline_and_the_runner_up_is_offered_the_lot(
    client: Client, auctioneer: Auctioneer
) -> None:
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    await auctioneer.bid(lot_id, "bidder", 100_000_00)
    await auctioneer.bid(lot_id, "bidder2", 110_000_00)
    await auctioneer.close(lot_id)
    await log_in(client, "bidder2")
    page = await client.get(f"/lots/{lot_id}")
    signed = await form_signed(auctioneer.world, "bidder2", lot_id, "award.declined")
    declined = await client.post(
        f"/lots/{lot_id}/award/decline",
        data={"_csrf_token": csrf_token(page.text), **signed},
        follow_redirects=False,
    )
    assert declined.status_code == 303
    await log_in(client, "bidder")
    runner_up = await client.get(f"/lots/{lot_id}?lang=en")
    offered = Page(runner_up.text).text("#results div.offer > p:first-child")
    assert offered.startswith("The lot is offered to you at 100,000\u00a0som. ")


async def test_the_live_stream_pushes_html_and_ends_once_the_lot_is_decided(
    client: Client, auctioneer: Auctioneer
) -> None:
    lot_id = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    await auctioneer.bid(lot_id, "bidder", 100_000_00)
    await auctioneer.bid(lot_id, "bidder2", 110_000_00)
    await auctioneer.close(lot_id)
    stream = await client.get(f"/lots/{lot_id}/live?view=public&shown=bidding&language=ru")
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = [block for block in stream.text.split("\r\n\r\n") if block]
    assert [block.split("\r\n")[0] for block in events] == ["event: state", "event: end"]
    state = "\n".join(line.removeprefix("data: ") for line in events[0].split("\r\n")[1:])
    live_state = Page(state)
    assert live_state.value("div.live-state", "data-server-now").startswith("2026-06-")
    assert live_state.text("div.live-state p strong") == "Аукцион завершён."
    # The page was rendered while bidding: the fragment makes it fetch its main region again.
    assert Page(state).value(f'[hx-get="/lots/{lot_id}"][hx-trigger=load]', "hx-select") == "#main"
    assert (await client.get("/lots/999/live")).status_code == 404


def stream_events(text: str) -> list[tuple[str, Any]]:
    """The events of a shared live stream: each one's name and its JSON data."""
    events = []
    for block in (block for block in text.split("\r\n\r\n") if block):
        name, data = block.split("\r\n", 1)
        events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


async def test_one_stream_carries_the_live_panels_of_several_lots_for_the_tabs_that_share_it(
    client: Client, auctioneer: Auctioneer
) -> None:
    first = await auctioneer.lot()
    second = await auctioneer.lot()
    draft = await create_lot(client, auctioneer.world, publish=False)
    naryn_draft = await create_lot(client, auctioneer.world, publish=False, who="officer_naryn")
    for lot_id in (first, second):
        await auctioneer.open(lot_id)
        await auctioneer.close(lot_id)  # no bids: the lot fails, and is decided

    # Refused before anything streams, as a whole: a draft has no auction, for the public as for its own officer,
    # and a draft of another municipality is not even seen; an unknown lot likewise.
    for who, lot_id in ((None, draft), ("bidder", draft), ("officer_tokmok", draft), ("officer_tokmok", naryn_draft)):
        client.cookies.clear()
        if who:
            await log_in(client, who)
        refused = await client.get(f"/lots/live?language=en&lot={first}&lot={lot_id}")
        assert refused.status_code == 404, (who, lot_id, refused.text[:200])
    assert (await client.get(f"/lots/live?lot={first}&lot=999999")).status_code == 404
    # At most MAX_SHARED_LOTS lots, and at least one.
    too_many = "&".join(f"lot={first + n}" for n in range(MAX_SHARED_LOTS + 1))
    assert (await client.get(f"/lots/live?{too_many}")).status_code == 400
    assert (await client.get("/lots/live?language=en")).status_code == 400

    await log_in(client, "bidder")
    stream = await client.get(f"/lots/live?language=ru&lot={second}&lot={first}&lot={first}")
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = stream_events(stream.text)
    # Each lot once, its state then its end (both are decided), and then the stream ends.
    assert [(name, data["lot"]) for name, data in events] == [
        ("state", first),
        ("end", first),
        ("state", second),
        ("end", second),
    ]
    states = {data["lot"]: data for name, data in events if name == "state"}
    assert (states[first]["state"], states[second]["state"]) == ("failed", "failed")
    # The very fragment the lot's own stream sends, without the reload: each tab reloads its page itself.
    for lot_id, data in states.items():
        panel = Page(data["html"])
        assert panel.text("div.live-state p strong") == "Аукцион завершён."
        assert panel.value("div.live-state", "data-server-now").startswith("2026-06-")
        assert 'hx-trigger="load"' not in data["html"]
        alone = await client.get(f"/lots/{lot_id}/live?view=public&shown={data['state']}&language=ru")
        single = "\n".join(line.removeprefix("data: ") for line in alone.text.split("\r\n\r\n")[0].split("\r\n")[1:])
        assert single == data["html"]


async def test_my_pages_are_for_bidders(client: Client, auctioneer: Auctioneer) -> None:
    lot_id = await auctioneer.lot(title_en="Kiosk by the bazaar")
    anonymous = await client.get("/me/bids", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Fme%2Fbids"
    await log_in(client, "officer_tokmok")
    refused = await client.get("/me/applications?lang=en")
    assert refused.status_code == 403
    refusal = Page(refused.text).text("main section.error-page[role=alert] > p:first-of-type")
    assert refusal == "These pages are for bidders; log in with a bidder account."

    await log_in(client, "bidder")
    await auctioneer.apply(lot_id, "bidder")
    mine = await client.get("/me/applications?lang=en")
    applications = Page(mine.text)
    row = "main table.lots-table tbody tr"
    assert applications.text(f'{row} td:first-child a[href="/lots/{lot_id}"]') == "Kiosk by the bazaar"
    assert applications.text(f"{row} span.status.status-submitted") == "Awaiting the deposit"
    assert applications.text('header nav.main-nav a[href="/me/bids"]') == "My bids and receipts"  # the menu
    bids = Page((await client.get("/me/bids?lang=en")).text)
    assert bids.text("main div.empty > p:first-child") == "You have not bid yet."


async def test_the_keys_page_lists_the_bidders_keys_with_the_hooks_of_the_passkey_script(
    client: Client, auctioneer: Auctioneer
) -> None:
    await log_in(client, "bidder")
    page = Page((await client.get("/account/keys?lang=en")).text)
    assert page.text("h1") == "My signing keys"
    assert page.value("#key-list li.key", "data-alg") == "ed25519"
    assert page.value("#key-list li.key button", "data-revoke-key") == page.value("#key-list li.key", "data-key-id")
    assert page.value("button#add-passkey", "data-options-url") == "/api/me/passkeys/options"
    assert page.has('script[type=module][src="/static/js/passkeys.js"]')
    lot_id = await auctioneer.lot()
    form = Page((await client.get(f"/lots/{lot_id}?lang=en")).text)
    assert form.value("form.apply-form", "data-statement-action") == "application.submitted"
    assert form.value("form.apply-form input[name=signed]", "value") == ""
    # Officers hold keys too (they sign results protocols); an inspector has none to keep.
    await log_in(client, "officer_tokmok")
    assert (await client.get("/account/keys", follow_redirects=False)).status_code == 200
    await log_in(client, "inspector")
    assert (await client.get("/account/keys", follow_redirects=False)).status_code == 403
