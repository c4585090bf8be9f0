"""A lot's appraised value through the officer's form and on the public page: typed in som, kept in tyiyn, refused
when it is not an amount, shown only when recorded."""

from __future__ import annotations

from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, create_lot, csrf_of, field_error, log_in, lot_json
from tests.web.test_officer_console import csrf_of_page, lot_form, officer_creates_a_lot
from web.lib.formatting import format_som


async def test_the_form_records_the_valuation_and_the_lot_page_shows_it(client: Client, world: World) -> None:
    await log_in(client, "officer_tokmok")
    lot_id = await officer_creates_a_lot(client, valuation="1 400 000,50")
    assert (await lot_json(client, world, lot_id))["valuation"] == 140_000_050
    edit = Page((await client.get(f"/officer/lots/{lot_id}/edit")).text)
    assert edit.value("form input[name=valuation]") == "1400000.50"

    page = await client.get(f"/officer/lots/{lot_id}")
    assert Page(page.text).text("dd[data-term=valuation]") == format_som(140_000_050, "ru")
    published = await client.post(
        f"/officer/lots/{lot_id}/publish", data={"_csrf_token": csrf_of_page(page.text)}, follow_redirects=False
    )
    assert published.status_code == 303, published.text
    public = Page((await client.get(f"/lots/{lot_id}?lang=en")).text)
    assert public.text("dd[data-term=valuation]").startswith(format_som(140_000_050, "en"))
    assert "Appraised value" in public.texts("dl.terms dt")
    unappraised = Page((await client.get(f"/lots/{await create_lot(client, world)}?lang=en")).text)
    assert unappraised.has("dd[data-term=deposit]")
    assert not unappraised.has("dd[data-term=valuation]")


async def test_a_valuation_of_zero_is_refused_at_its_field(client: Client, world: World) -> None:
    await log_in(client, "officer_tokmok")
    token = await csrf_of(client, "/officer/lots/new")
    response = await client.post("/officer/lots/new", data=lot_form(token, valuation="0"))
    assert response.status_code == 422
    assert field_error(response.text, "valuation") == (
        "Оценочная стоимость должна быть больше нуля; если отчёта об оценке нет, оставьте поле пустым."
    )
