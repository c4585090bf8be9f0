"""A lot's deposit payment details: asked by the officer's form, checked, required to publish, shown to everyone."""

from __future__ import annotations

from tests.kit.page import Page
from tests.kit.world import PAYMENT_DETAILS, World
from tests.web.conftest import Client, csrf_of, field_error, log_in, lot_json
from tests.web.test_officer_console import csrf_of_page, lot_form, officer_creates_a_lot

BLANK = dict.fromkeys(PAYMENT_DETAILS, "")


async def test_a_lot_taking_a_deposit_is_published_only_with_where_to_pay_it(client: Client, world: World) -> None:
    await log_in(client, "officer_tokmok")
    lot_id = await officer_creates_a_lot(client, **BLANK)  # a draft may wait for them

    page = await client.get(f"/officer/lots/{lot_id}?lang=en")
    refused = await client.post(f"/officer/lots/{lot_id}/publish", data={"_csrf_token": csrf_of_page(page.text)})
    assert refused.status_code == 422
    assert "A lot that takes a deposit is published only with the deposit payment details" in Page(refused.text).text(
        "main"
    )
    assert (await lot_json(client, world, lot_id))["state"] == "draft"

    token = await csrf_of(client, f"/officer/lots/{lot_id}/edit")
    wrong = {**PAYMENT_DETAILS, "payment_account": "1280 0160 0000 0001", "payment_bank_code": "44000"}
    malformed = await client.post(f"/officer/lots/{lot_id}/edit?lang=en", data=lot_form(token, **wrong))
    assert field_error(malformed.text, "payment_bank_code") == "Enter the bank's BIK: 6 digits, such as 128001."
    spaced = {**PAYMENT_DETAILS, "payment_account": "4402 0111 0100 0001"}  # typed in groups, kept as digits
    saved = await client.post(f"/officer/lots/{lot_id}/edit", data=lot_form(token, **spaced), follow_redirects=False)
    assert saved.status_code == 303, saved.text

    page = await client.get(f"/officer/lots/{lot_id}")
    published = await client.post(
        f"/officer/lots/{lot_id}/publish", data={"_csrf_token": csrf_of_page(page.text)}, follow_redirects=False
    )
    assert published.status_code == 303, published.text
    api = (await client.get(f"/api/v1/lots/{lot_id}")).json()
    assert {name: api[name] for name in PAYMENT_DETAILS} == PAYMENT_DETAILS
    public = Page((await client.get(f"/lots/{lot_id}?lang=ky")).text)
    assert public.text('#deposit-payment [data-term="payment_account"]') == "4402011101000001"
    assert public.text('#deposit-payment [data-term="payment_bank_code"]') == "440001"
    assert public.text('#deposit-payment [data-term="payment_purpose"]') == PAYMENT_DETAILS["payment_purpose"]
