"""The lot page gives every bidder action the API's evidence: a receipt for the entry an application, withdrawal,
award signature or decline wrote, and the log's signed refusal when a rule turns the action away; the offline
verifier accepts both against the exported ledger."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from auction.ledger.verifier.note import split_note
from auction.ledger.verifier.refusal import Refusal
from auction.ledger.verifier.sealed import b64url_decode, ciphertext_hash, encrypt_bid
from auction.ledger.verifier.verify import verify_bundle
from tests.kit.page import Page
from tests.web.auction_support import Auctioneer, form_application, form_signed, idempotency_key
from tests.web.conftest import Client, csrf_token, log_in

HTMX = {"HX-Request": "true"}


def data_link(page: Page, selector: str, media_type: str) -> tuple[str, str]:
    """The file a download link (a data: URL) saves: its name and its text."""
    prefix = f"data:{media_type};charset=utf-8,"
    href = page.value(selector, "href")
    assert href.startswith(prefix), href[:60]
    return page.value(selector, "download"), unquote(href.removeprefix(prefix))


def shown_receipt(html: str, scope: str, kind: str, lot_id: int) -> dict[str, Any]:
    """The action's receipt shown in the answer's ``scope``: what it says, and the file its download saves."""
    page = Page(html)
    section = f'{scope} section.receipt-action[data-kind="{kind}"]'
    filename, content = data_link(page, f"{section} a.receipt-download", "application/json")
    receipt: dict[str, Any] = json.loads(content)
    body = json.loads(receipt["body"])
    assert (receipt["kind"], receipt["lot_id"], receipt["lot_seq"]) == (kind, lot_id, body["lot_seq"])
    assert (body["kind"], body["lot"]) == (kind, lot_id)
    assert filename == f"achyk-receipt-lot{lot_id}-seq{body['lot_seq']}.json"
    # The page shows the very receipt it offers, and it names lot, seq and kind (receipt v2).
    assert page.text(f"{section} code.body-hash") == receipt["body_hash"]
    assert page.all(f"{section} details pre.note")[-1].get_text() == receipt["receipt"]
    assert receipt["receipt"].startswith("achyk-receipt/v2\n")
    assert f"\n{receipt['body_hash']}\n" in receipt["receipt"]
    assert f"\n{lot_id}\n{body['lot_seq']}\n{kind}\n\n" in receipt["receipt"]
    return receipt


def shown_refusal(html: str, scope: str, lot_id: int, action: str, code: str, sent: bytes) -> str:
    """The signed refusal a refused answer offers in ``scope``: of this lot, action, code and request."""
    filename, note = data_link(Page(html), f"{scope} p.signed-refusal a.refusal-download", "text/plain")
    assert filename == f"achyk-refusal-lot{lot_id}.txt"
    refusal = Refusal.parse(split_note(note)[0])
    assert (refusal.lot, refusal.action, refusal.code) == (lot_id, action, code)
    assert refusal.request_hash == hashlib.sha256(sent).hexdigest()
    return note


def check_receipts_and_refusals(bundle: Path, receipts: list[dict[str, Any]], refusals: list[str]) -> None:
    for receipt in receipts:
        # The file the page's download saves, as it is (docs/ledger.md, "The receipt file").
        report = verify_bundle(bundle, receipt=json.dumps(receipt, ensure_ascii=False, indent=2) + "\n")
        assert report.ok, report.text()
        assert "receipt file: every field it states agrees with the signed receipt and body" in report.notes
    for note in refusals:
        report = verify_bundle(bundle, refusal=note)
        assert report.ok, report.text()
        assert report.notes[-1].startswith("refusal: the log signed that it refused ")


async def test_apply_sign_and_decline_answer_with_receipts_and_refusals_with_signed_statements(
    client: Client, auctioneer: Auctioneer, tmp_path: Path
) -> None:
    lot_id = await auctioneer.lot()
    receipts: list[dict[str, Any]] = []
    refusals: list[str] = []

    await log_in(client, "bidder")
    page = await client.get(f"/lots/{lot_id}?lang=en")
    form = {"_csrf_token": csrf_token(page.text), **await form_application(auctioneer.world, "bidder", lot_id)}
    applied = await client.post(f"/lots/{lot_id}/apply?lang=en", data=form, headers=HTMX)
    assert applied.status_code == 200, applied.text
    assert Page(applied.text).root().get("id") == "participation"
    assert Page(applied.text).text("#participation section.receipt-action h3") == "Your application is recorded"
    receipts.append(shown_receipt(applied.text, "#participation", "application.submitted", lot_id))

    # Without htmx the whole lot page comes back with the problem, and the refusal to keep.
    twice = await client.post(f"/lots/{lot_id}/apply?lang=en", data=form)
    assert twice.status_code == 422
    assert Page(twice.text).has("html > body main")
    sent = twice.request.content
    duplicate = shown_refusal(twice.text, "#participation", lot_id, "application.submit", "application.duplicate", sent)
    refusals.append(duplicate)
    await auctioneer.drive.integrate()  # within the receipts' promised merge delay, before the clock moves

    listed = await client.get(f"/api/v1/lots/{lot_id}/applications", headers=auctioneer.officer)
    [application] = listed.json()
    confirmed = await client.post(
        f"/api/v1/applications/{application['id']}/confirm-deposit",
        json={"bank_reference": "KICB-bidder"},
        headers=auctioneer.officer,
    )
    assert confirmed.status_code == 200, confirmed.text
    await auctioneer.admit(lot_id, "bidder2")
    await auctioneer.open(lot_id)

    page = await client.get(f"/lots/{lot_id}?lang=en")
    signed = await form_signed(auctioneer.world, "bidder", lot_id, "bid.placed", {"amount": 1_00})
    bid = {"_csrf_token": csrf_token(page.text), "idempotency_key": idempotency_key(page.text), "amount": "1", **signed}
    low = await client.post(f"/lots/{lot_id}/bids?lang=en", data=bid, headers=HTMX)
    assert low.status_code == 422
    refusals.append(shown_refusal(low.text, "#bid-area", lot_id, "bid.place", "bid.too_low", low.request.content))

    await auctioneer.bid(lot_id, "bidder", 100_000_00)
    await auctioneer.bid(lot_id, "bidder2", 110_000_00)
    await auctioneer.close(lot_id)

    # The runner-up may not sign for the winner's award: turned away, with the log's word for it.
    page = await client.get(f"/lots/{lot_id}?lang=en")
    sign_form = await form_signed(auctioneer.world, "bidder", lot_id, "award.signed", {"price": 100_000_00})
    early = await client.post(
        f"/lots/{lot_id}/award/sign?lang=en", data={"_csrf_token": csrf_token(page.text), **sign_form}, headers=HTMX
    )
    assert early.status_code == 422
    sent = early.request.content
    refusals.append(shown_refusal(early.text, "#results", lot_id, "award.sign", "award.sign_not_winner", sent))

    await log_in(client, "bidder2")
    page = await client.get(f"/lots/{lot_id}?lang=en")
    decline_form = await form_signed(auctioneer.world, "bidder2", lot_id, "award.declined")
    declined = await client.post(
        f"/lots/{lot_id}/award/decline?lang=en",
        data={"_csrf_token": csrf_token(page.text), **decline_form},
        headers=HTMX,
    )
    assert declined.status_code == 200, declined.text
    assert Page(declined.text).root().get("id") == "results"
    receipts.append(shown_receipt(declined.text, "#results", "award.declined", lot_id))

    await log_in(client, "bidder")
    page = await client.get(f"/lots/{lot_id}?lang=en")
    sign_form = await form_signed(auctioneer.world, "bidder", lot_id, "award.signed", {"price": 100_000_00})
    signed_award = await client.post(
        f"/lots/{lot_id}/award/sign?lang=ru", data={"_csrf_token": csrf_token(page.text), **sign_form}, headers=HTMX
    )
    assert signed_award.status_code == 200, signed_award.text
    assert Page(signed_award.text).text("#results section.receipt-action a.receipt-download") == "Скачать квитанцию"
    receipts.append(shown_receipt(signed_award.text, "#results", "award.signed", lot_id))

    check_receipts_and_refusals(await auctioneer.drive.export(tmp_path), receipts, refusals)


async def test_a_sealed_bid_withdrawn_on_the_page_has_its_receipt_and_a_second_withdrawal_its_refusal(
    client: Client, auctioneer: Auctioneer, tmp_path: Path
) -> None:
    lot_id = await auctioneer.sealed_lot()
    await auctioneer.admit(lot_id, "bidder")
    await auctioneer.open(lot_id)
    await log_in(client, "bidder")
    page = await client.get(f"/lots/{lot_id}?lang=en")
    token = csrf_token(page.text)
    public_key = (await client.get(f"/api/v1/lots/{lot_id}/sealed/key")).json()["public_key"]
    pseudonym = Page(page.text).value("#sealed-form", "data-pseudonym")
    ciphertext = encrypt_bid(b64url_decode(public_key), lot_id, pseudonym, 123_456_78)
    signed = await form_signed(
        auctioneer.world, "bidder", lot_id, "bid.sealed", {"ciphertext_hash": ciphertext_hash(ciphertext)}
    )
    form = {"_csrf_token": token, "idempotency_key": idempotency_key(page.text), "ciphertext": ciphertext, **signed}
    sealed = await client.post(f"/lots/{lot_id}/sealed-bids?lang=en", data=form, headers=HTMX)
    assert sealed.status_code == 200, sealed.text
    assert not Page(sealed.text).has("section.receipt-action")  # a bid's receipt is the bid's own

    signed = await form_signed(auctioneer.world, "bidder", lot_id, "bid.withdrawn")
    withdrawn = await client.post(
        f"/lots/{lot_id}/sealed-bids/withdraw?lang=en", data={"_csrf_token": token, **signed}, headers=HTMX
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert Page(withdrawn.text).text("#bid-area section.receipt-action h3") == "Your sealed bid is withdrawn"
    receipt = shown_receipt(withdrawn.text, "#bid-area", "bid.withdrawn", lot_id)

    signed = await form_signed(auctioneer.world, "bidder", lot_id, "bid.withdrawn")
    again = await client.post(
        f"/lots/{lot_id}/sealed-bids/withdraw?lang=en", data={"_csrf_token": token, **signed}, headers=HTMX
    )
    assert again.status_code == 422
    assert not Page(again.text).has("section.receipt-action")
    sent = again.request.content
    note = shown_refusal(again.text, "#bid-area", lot_id, "bid.withdraw", "sealed_bid.none_standing", sent)
    check_receipts_and_refusals(await auctioneer.drive.export(tmp_path), [receipt], [note])


async def test_a_late_dutch_acceptance_offers_the_signed_refusal(
    client: Client, auctioneer: Auctioneer, tmp_path: Path
) -> None:
    lot_id = await auctioneer.lot(format="descending", floor_price=50_000_00, price_drop_interval_seconds=60)
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    await auctioneer.drive.integrate()
    notes = []
    for who in ("bidder", "bidder2"):
        await log_in(client, who)
        page = await client.get(f"/lots/{lot_id}?lang=en")
        signed = await form_signed(auctioneer.world, who, lot_id, "bid.accepted", {"limit": 100_000_00})
        form = {
            "_csrf_token": csrf_token(page.text),
            "idempotency_key": idempotency_key(page.text),
            "limit": "10000000",
            **signed,
        }
        if who == "bidder2":
            # bidder2 sends the page's form only once the first acceptance's tie window (its price tick, runoff.py)
            # has ended, before the scheduler has closed the lot: too late.
            auctioneer.world.clock.set(auctioneer.world.clock.now() + timedelta(seconds=61))
        answer = await client.post(f"/lots/{lot_id}/accept?lang=en", data=form, headers=HTMX)
        if who == "bidder":
            assert answer.status_code == 200, answer.text
            assert not Page(answer.text).has("p.signed-refusal")
        else:
            assert answer.status_code == 422
            sent = answer.request.content
            notes.append(shown_refusal(answer.text, "#bid-area", lot_id, "bid.accept", "bid.too_late", sent))
    check_receipts_and_refusals(await auctioneer.drive.export(tmp_path), [], notes)
