"""The officer console's auction pages: reviewing applications, the sealed-bid key ceremony, the opening by
the commission, the running auction and the results protocol; who may see them. No secret passes through them."""

from __future__ import annotations

import re
import uuid

import pytest

from auction.ledger.verifier.sealed import b64url_decode, ciphertext_hash, encrypt_bid
from tests.kit.commission import ApiCommission
from tests.kit.page import Page, squeeze
from tests.kit.world import World
from tests.web.auction_support import Auctioneer
from tests.web.conftest import Client, create_lot, csrf_token, field_error, log_in

HTMX = {"HX-Request": "true"}


async def test_deposits_are_confirmed_and_applications_rejected_in_the_console(
    client: Client, auctioneer: Auctioneer, world: World
) -> None:
    lot_id = await auctioneer.lot()
    first = await auctioneer.apply(lot_id, "bidder")
    second = await auctioneer.apply(lot_id, "bidder2")
    await log_in(client, "officer_tokmok")
    page = await client.get(f"/officer/lots/{lot_id}/auction?lang=en")
    assert page.status_code == 200
    applications = Page(page.text).text("#applications")
    assert "Bidder" in applications
    assert "21506198500001" in applications  # the identity number the bank payment is matched against
    assert Page(page.text).has(f'form[action="/officer/lots/{lot_id}/applications/{first}/confirm-deposit"]')
    token = csrf_token(page.text)
    confirm = f"/officer/lots/{lot_id}/applications/{first}/confirm-deposit"

    empty = await client.post(f"{confirm}?lang=ru", data={"_csrf_token": token, "bank_reference": " "}, headers=HTMX)
    assert empty.status_code == 422
    assert Page(empty.text).root().get("id") == "applications"
    assert "Слишком коротко: не меньше 3 знаков." in Page(empty.text).text("#applications")

    approved = await client.post(
        f"{confirm}?lang=en", data={"_csrf_token": token, "bank_reference": "KICB 2026-118"}, headers=HTMX
    )
    assert approved.status_code == 200
    assert "KICB 2026-118" in Page(approved.text).text("#applications")
    assert Page(approved.text).texts("#applications span.status.status-approved") == ["Approved"]

    again = await client.post(
        f"{confirm}?lang=en", data={"_csrf_token": token, "bank_reference": "KICB 2026-119"}, headers=HTMX
    )
    assert again.status_code == 422
    reviewed = Page(again.text).texts(f"#applications li#application-{first} p.field-error[role=alert]")
    assert reviewed == ["This application has already been reviewed."]

    reject = f"/officer/lots/{lot_id}/applications/{second}/reject"
    short = await client.post(f"{reject}?lang=ru", data={"_csrf_token": token, "reason": "no"})
    assert short.status_code == 422
    assert Page(short.text).has("html > body main")  # without htmx: the whole page with the problem
    assert "Слишком коротко: не меньше 5 знаков." in Page(short.text).text("main")
    script = "<script>alert(1)</script> deposit not received"
    rejected = await client.post(reject, data={"_csrf_token": token, "reason": script}, follow_redirects=False)
    assert rejected.status_code == 303
    assert rejected.headers["location"] == f"/officer/lots/{lot_id}/auction#applications"

    await log_in(client, "bidder2")
    mine = await client.get("/me/applications?lang=en")
    row = Page(mine.text).one(f'main table.lots-table tbody tr:has(a[href="/lots/{lot_id}"])')
    assert squeeze(row.select_one("span.status.status-rejected").get_text()) == "Rejected"  # type: ignore[union-attr]
    assert squeeze(row.select_one("span.status + div.small").get_text()) == f"Reason: {script}"  # type: ignore[union-attr]
    # Kept as substrings on purpose: they test the escaping itself, which a parser would undo.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; deposit not received" in mine.text
    assert script not in mine.text


async def test_an_application_of_another_lot_is_not_reviewed_through_this_one(
    client: Client, auctioneer: Auctioneer
) -> None:
    lot_id = await auctioneer.lot()
    other = await auctioneer.lot()
    application = await auctioneer.apply(other, "bidder")
    await log_in(client, "officer_tokmok")
    token = csrf_token((await client.get(f"/officer/lots/{lot_id}/auction")).text)
    response = await client.post(
        f"/officer/lots/{lot_id}/applications/{application}/confirm-deposit",
        data={"_csrf_token": token, "bank_reference": "KICB-1"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["auction", "protocol", "commission"])
async def test_only_the_lots_officers_see_its_auction_pages(
    client: Client, auctioneer: Auctioneer, world: World, path: str
) -> None:
    lot_id = await auctioneer.lot()
    anonymous = await client.get(f"/officer/lots/{lot_id}/{path}", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    for who in ("bidder", "inspector"):
        await log_in(client, who)
        assert (await client.get(f"/officer/lots/{lot_id}/{path}")).status_code == 403
    await log_in(client, "officer_naryn")
    foreign = await client.get(f"/officer/lots/{lot_id}/{path}?lang=en")
    assert foreign.status_code == 403
    refusal = Page(foreign.text).text("main section.error-page[role=alert] > p:first-of-type")
    assert refusal == "Officers can only manage lots of their own municipality."
    await log_in(client, "admin")
    assert (await client.get(f"/officer/lots/{lot_id}/{path}")).status_code == 200


async def test_review_forms_need_the_csrf_token(client: Client, auctioneer: Auctioneer) -> None:
    lot_id = await auctioneer.lot()
    application = await auctioneer.apply(lot_id, "bidder")
    await log_in(client, "officer_tokmok")
    response = await client.post(
        f"/officer/lots/{lot_id}/applications/{application}/confirm-deposit", data={"bank_reference": "KICB-1"}
    )
    assert response.status_code == 403
    page = Page((await client.get(f"/officer/lots/{lot_id}/auction?lang=en")).text)
    assert page.texts(f"#applications li#application-{application} span.status") == ["Awaiting the deposit"]


def ceremony(token: str, world: World, **changes: str) -> dict[str, str]:
    first, second = world.user_ids["officer_tokmok"], world.user_ids["officer2_tokmok"]
    form = {"_csrf_token": token, "threshold": "2", f"member_{first}": "on", f"member_{second}": "on"}
    form.update(changes)
    return form


async def test_the_officer_starts_the_key_ceremony_and_publishes_once_the_members_have_made_the_key(
    client: Client, auctioneer: Auctioneer, world: World
) -> None:
    lot_id = await create_lot(client, world, publish=False, format="sealed_bid")
    await log_in(client, "officer_tokmok")
    lot_page = await client.get(f"/officer/lots/{lot_id}?lang=en")
    assert Page(lot_page.text).has(f'main a[href="/officer/lots/{lot_id}/commission"]')
    form_page = await client.get(f"/officer/lots/{lot_id}/commission?lang=en")
    ceremony_form = Page(form_page.text)
    members = ceremony_form.text("main form")
    assert "Officer Tokmok" in members
    assert "Bakyt Toktogulov" in members
    assert "Officer Naryn" not in members
    assert not ceremony_form.has("input[type=password]")  # nobody types a secret here any more
    token = csrf_token(form_page.text)
    second = world.user_ids["officer2_tokmok"]

    alone = ceremony(token, world, **{f"member_{second}": ""})
    refused = await client.post(f"/officer/lots/{lot_id}/commission?lang=en", data=alone)
    assert refused.status_code == 422
    members_error = "form#commission-form fieldset#commission-members p.field-error#commission-members-error"
    assert Page(refused.text).text(members_error) == "Choose 2 to 9 commission members."
    too_many = ceremony(token, world, threshold="3")
    refused = await client.post(f"/officer/lots/{lot_id}/commission?lang=en", data=too_many)
    assert refused.status_code == 422
    assert "At least two members must be needed to open the bids" in field_error(refused.text, "threshold")

    started = await client.post(
        f"/officer/lots/{lot_id}/commission", data=ceremony(token, world), follow_redirects=False
    )
    assert started.status_code == 303
    assert started.headers["location"] == f"/officer/lots/{lot_id}/commission"
    waiting = Page((await client.get(f"/officer/lots/{lot_id}/commission?lang=en")).text)
    assert "members make their keys" in waiting.text("section#ceremony")
    assert waiting.has(f'section#ceremony a[href="/commission/lots/{lot_id}/ceremony"]')
    assert not waiting.has(f'form[action="/officer/lots/{lot_id}/commission/publish"]')

    # Each member's page is a frame for their own browser's code, with only public data and where to post.
    member_page = Page((await client.get(f"/commission/lots/{lot_id}/ceremony?lang=en")).text)
    frame = member_page.one("div#commission")
    assert (frame.get("data-step"), frame.get("data-lot"), frame.get("data-member")) == (
        "ceremony",
        str(lot_id),
        str(world.user_ids["officer_tokmok"]),
    )
    assert frame.get("data-key-url") == f"/api/lots/{lot_id}/ceremony/key"
    assert member_page.has('script[type=module][src="/static/js/commission.js"]')

    commission = ApiCommission(client, world, lot_id, ("officer_tokmok", "officer2_tokmok"))
    await commission.hold(started=True)
    complete = Page((await client.get(f"/officer/lots/{lot_id}/commission?lang=en")).text)
    assert complete.has(f'form[action="/officer/lots/{lot_id}/commission/publish"]')
    published = await client.post(
        f"/officer/lots/{lot_id}/commission/publish", data={"_csrf_token": token}, follow_redirects=False
    )
    assert published.status_code == 303
    assert published.headers["location"] == f"/officer/lots/{lot_id}/auction"
    assert (await auctioneer.terms(lot_id))["state"] == "published"
    key = await client.get(f"/api/v1/lots/{lot_id}/sealed/key")
    assert key.status_code == 200
    auction_page = await client.get(f"/officer/lots/{lot_id}/auction?lang=en")
    commission_text = Page(auction_page.text).texts("section#commission > p")
    assert "Any 2 of the 2 members together can open the sealed bids after the close." in commission_text

    # The member's browser posts with its session and the page's CSRF token; without the token it is turned away.
    message = commission.member("officer_tokmok").key_message()
    no_token = await client.post(f"/api/lots/{lot_id}/ceremony/key", json=message)
    assert no_token.status_code == 401
    token_header = {"x-csrftoken": str(frame.get("data-csrf") or "")}
    with_token = await client.post(f"/api/lots/{lot_id}/ceremony/key", json=message, headers=token_header)
    assert (with_token.status_code, with_token.json()["code"]) == (409, "commission.already_published")

    await log_in(client, "officer_naryn")
    outsider = await client.get(f"/commission/lots/{lot_id}/ceremony?lang=en")
    assert outsider.status_code in (403, 404)


async def sealed_auction_closed(auctioneer: Auctioneer, world: World) -> tuple[int, dict[str, str]]:
    """A sealed lot with two encrypted bids, closed and waiting for its commission."""
    lot_id = await auctioneer.sealed_lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    key = b64url_decode((await auctioneer.client.get(f"/api/v1/lots/{lot_id}/sealed/key")).json()["public_key"])
    pseudonyms = {}
    for who, amount in (("bidder", 150_000_00), ("bidder2", 140_000_00)):
        mine = (await auctioneer.client.get("/api/v1/me/applications", headers=world.auth(who))).json()
        pseudonyms[who] = mine[0]["pseudonym"]
        ciphertext = encrypt_bid(key, lot_id, pseudonyms[who], amount)
        signed = await world.signed(who, lot_id, "bid.sealed", {"ciphertext_hash": ciphertext_hash(ciphertext)})
        sent = await auctioneer.client.post(
            f"/api/v1/lots/{lot_id}/sealed-bids",
            json={"ciphertext": ciphertext, "signed": signed},
            headers={**world.auth(who), "Idempotency-Key": uuid.uuid4().hex},
        )
        assert sent.status_code == 201, sent.text
    await auctioneer.close(lot_id)
    assert (await auctioneer.live(lot_id))["state"] == "closed"
    return lot_id, pseudonyms


async def test_the_commission_opens_the_bids_and_the_lot_is_awarded(
    client: Client, auctioneer: Auctioneer, world: World
) -> None:
    lot_id, pseudonyms = await sealed_auction_closed(auctioneer, world)
    await log_in(client, "officer_tokmok")
    page = await client.get(f"/officer/lots/{lot_id}/auction?lang=en")
    assert "Open the sealed bids" in Page(page.text).text("main")
    assert Page(page.text).has(f'section#commission a[href="/commission/lots/{lot_id}/opening"]')
    assert not Page(page.text).has("form.opening-form button")  # no shares yet
    assert "sealed" in Page(page.text).text("main")  # amounts are not known yet
    token = csrf_token(page.text)
    opening_page = Page((await client.get(f"/commission/lots/{lot_id}/opening?lang=en")).text)
    assert opening_page.one("div#commission").get("data-shares-url") == f"/api/lots/{lot_id}/opening/shares"

    commission = auctioneer.commissions[lot_id]
    await commission.share("officer_tokmok")
    early = await client.post(f"/officer/lots/{lot_id}/open?lang=en", data={"_csrf_token": token})
    assert early.status_code == 422
    refusal = Page(early.text).texts("section#commission form.opening-form div.error-summary[role=alert] li")
    assert "2 commission members must post their shares; 1 did." in refusal
    assert (await auctioneer.live(lot_id))["state"] == "closed"

    await commission.share("officer2_tokmok")
    ready = Page((await client.get(f"/officer/lots/{lot_id}/auction?lang=en")).text)
    assert ready.has("form.opening-form button")
    opened = await client.post(f"/officer/lots/{lot_id}/open", data={"_csrf_token": token}, follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/officer/lots/{lot_id}/auction#result"
    result = await client.get(f"/officer/lots/{lot_id}/auction?lang=en")
    outcome = Page(result.text)
    assert outcome.texts("section#result dl.awards > dt") == ["Winner", "Runner-up"]
    opened_amounts = {
        str(code.get_text()): str(code.find_next_sibling("strong").get_text())  # type: ignore[union-attr]
        for code in outcome.all("section#result dl.awards > dd > code")
        if code.find_next_sibling("strong") is not None
    }
    assert opened_amounts[pseudonyms["bidder"]] == "150,000\u00a0som"
    assert opened_amounts[pseudonyms["bidder2"]] == "140,000\u00a0som"
    assert not outcome.has("form.opening-form")
    assert "Open the sealed bids" not in outcome.text()


async def test_the_results_protocol_prints_the_whole_record(
    client: Client, auctioneer: Auctioneer, world: World
) -> None:
    lot_id = await auctioneer.lot(title_en="Kiosk by the bazaar")
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    first = await auctioneer.bid(lot_id, "bidder", 100_000_00)
    await auctioneer.bid(lot_id, "bidder2", 107_500_50)
    await log_in(client, "officer_tokmok")
    running = await client.get(f"/officer/lots/{lot_id}/auction?lang=en")
    live = Page(running.text)
    assert live.value("#live", "data-live-stream") == f"/lots/{lot_id}/live?view=officer&shown=bidding&language=en"
    assert live.value("#live", "data-live-page") == f"/officer/lots/{lot_id}/auction"
    assert live.text("#live div.live-state strong#live-price") == "107,500.50\u00a0som"
    await auctioneer.close(lot_id)

    protocol = await client.get(f"/officer/lots/{lot_id}/protocol?lang=en")
    assert protocol.status_code == 200
    record = Page(protocol.text)
    assert record.text("article.protocol h1") == f"Protocol of the results of the auction for lot No. {lot_id}"
    assert record.text("article.protocol p.protocol-title") == "Kiosk by the bazaar"
    assert terms(record, "p-terms")["Starting price"] == "100,000\u00a0som"
    assert "Bidding opened" in terms(record, "p-schedule")
    bidder = re.search(r'"bidder":"(b-[0-9a-f]{16})"', first["body"])
    assert bidder
    pseudonym = bidder.group(1)
    assert pseudonym in record.texts("section[aria-labelledby=p-participants] tbody td code")  # participant
    assert pseudonym in record.texts("section[aria-labelledby=p-bids] tbody td code")  # bid
    result = terms(record, "p-result")
    assert result["Winner"].split(" · ")[1] == "107,500.50\u00a0som"
    assert result["Runner-up"].startswith(f"{pseudonym} · 100,000\u00a0som")  # runner-up
    assert "107,500.50\u00a0som" in record.texts("section[aria-labelledby=p-bids] tbody td.number")
    ledger = terms(record, "p-ledger")
    assert re.match(r"entry \d+ \(protocol\.issued\) ", ledger["Head of the lot's chain"])
    assert "Latest signed checkpoint" in ledger
    assert ledger["Verifier key"].startswith("test.achyk.kg/ledger+")
    assert record.one("article.protocol header button[data-print]")
    # Kept as a substring on purpose: a participant's name must be nowhere in the raw markup.
    assert "Nurlan Beishenov" not in protocol.text  # participants appear only by pseudonym


def terms(page: Page, section: str) -> dict[str, str]:
    """The terms (dt: dd) of the protocol's section headed by the heading with id ``section``."""
    labels = page.texts(f"section[aria-labelledby={section}] dl.terms > dt")
    values = page.texts(f"section[aria-labelledby={section}] dl.terms > dd")
    assert len(labels) == len(values), (labels, values)
    return dict(zip(labels, values, strict=True))
