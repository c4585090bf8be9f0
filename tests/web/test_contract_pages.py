"""After the award on the website: the public lot page shows the payment details and the contract's schedule
(paid, due, overdue; no bank references), the officer records payments and sees the arrears and owed refunds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from auction.db.engine import transaction
from auction.municipalities.models import Municipality
from tests.integration.test_contracts import pay
from tests.kit.drive import Drive
from tests.kit.page import Page, squeeze
from tests.kit.world import PAYMENT_DETAILS, SHOP_LEASE, World
from tests.web.conftest import Client, csrf_token, log_in

DETAILS = "Tokmok city treasury, KICB, account 1280016012345678"


async def leased_and_late(world: World, drive: Drive) -> int:
    """A six-month lease at 21 000 som a month: the first rent paid, the second ten days overdue."""
    async with transaction(world.sessions) as session:
        tokmok = await session.get(Municipality, world.municipality["tokmok"])
        assert tokmok is not None
        tokmok.payment_details = DETAILS
    lot_id = await world.lot(stage="awarded", **SHOP_LEASE)
    await drive.sign_award(lot_id, "bidder2")
    await pay(world, lot_id, 1, 16_000_00, world.clock.now().date(), reference="KICB-SECRET-1")
    world.clock.set(world.clock.now() + timedelta(days=40))
    return lot_id


async def test_the_public_lot_page_shows_the_schedule_without_references(
    client: Client, world: World, drive: Drive
) -> None:
    lot_id = await leased_and_late(world, drive)
    page = await client.get(f"/lots/{lot_id}?lang=en")
    assert page.status_code == 200
    html = Page(page.text)
    assert DETAILS in html.text("#payment-details")
    assert html.texts("#contract table.schedule tbody td span.state")[:3] == ["paid", "overdue", "due"]
    assert "Arrears: 21,000" in squeeze(html.text("#contract"))
    assert "KICB-SECRET-1" not in page.text

    russian = Page((await client.get(f"/lots/{lot_id}?lang=ru")).text)
    assert russian.texts("#contract table.schedule tbody td span.state")[1] == "просрочено"


async def test_a_lot_without_payment_details_says_so(client: Client, world: World) -> None:
    # No deposit, so it could be published without the lot's own deposit payment details.
    unpaid: dict[str, Any] = dict.fromkeys(PAYMENT_DETAILS)
    lot_id = await world.lot(stage="published", deposit=0, **unpaid)
    page = Page((await client.get(f"/lots/{lot_id}?lang=en")).text)
    assert "has not published its payment details" in page.text("#payment-details")
    assert not page.has("#contract")


async def test_the_officer_sees_arrears_and_owed_refunds_and_records_a_payment(
    client: Client, world: World, drive: Drive
) -> None:
    lot_id = await leased_and_late(world, drive)
    await log_in(client, "officer_tokmok")
    arrears = Page((await client.get("/officer/arrears?lang=en")).text)
    assert arrears.has(f'#arrears a[href="/officer/lots/{lot_id}/contract"]')
    assert "21,000" in squeeze(arrears.text("#arrears"))
    runner_up = await drive.pseudonym(lot_id, "bidder")
    assert runner_up in arrears.text("#refunds")
    assert "overdue" in arrears.text("#refunds")

    contract = await client.get(f"/officer/lots/{lot_id}/contract?lang=en")
    assert "KICB-SECRET-1" in contract.text  # officers see the references they recorded
    token = csrf_token(contract.text)
    form = {"_csrf_token": token, "number": "2", "amount": "21 000", "bank_reference": "KICB-2"}
    too_early = await client.post(
        f"/officer/lots/{lot_id}/payments?lang=en",
        data={**form, "paid_on": "2020-01-01"},
        follow_redirects=False,
    )
    assert too_early.status_code == 422
    assert "between the signing" in Page(too_early.text).text("main")
    paid_on = world.clock.now().date().isoformat()
    done = await client.post(
        f"/officer/lots/{lot_id}/payments?lang=en", data={**form, "paid_on": paid_on}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    after = Page((await client.get("/officer/arrears?lang=en")).text)
    assert "No overdue payments." in after.text("#arrears")


async def test_bidders_cannot_open_the_officer_pages(client: Client, world: World) -> None:
    await log_in(client, "bidder")
    assert (await client.get("/officer/arrears")).status_code == 403
