"""Leases on the pages: the officer's lease terms, the rent per m² wherever the rent is shown, kinds in the catalog."""

from __future__ import annotations

from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, create_lot, csrf_of, field_error, log_in, lot_json
from tests.web.test_officer_console import lot_form, officer_creates_a_lot

SHOP = {
    "deal": "lease",
    "kind": "premises",
    "title_en": "Shop premises on the central square",
    "registration_number": "1-04-06-0012-0345-1",
    "area_sqm": "64",
    "starting_price": "26880",
    "bid_step": "1000",
    "deposit": "2688",
    "lease_term_months": "36",
    "rent_period": "month",
    "permitted_use": "Retail of food and household goods",
    "indexation_percent": "5",
    "sitting_tenant": "on",
}


async def test_an_officer_drafts_a_lease_with_its_own_terms(client: Client, world: World) -> None:
    await log_in(client, "officer_tokmok")
    form = await client.get("/officer/lots/new?lang=en")
    hint = Page(form.text).text("#f-lease_term_months-hint")
    assert hint.startswith("At most 36 months under this municipality's rules. A longer term needs a new council")
    lot_id = await officer_creates_a_lot(client, **SHOP)
    body = await lot_json(client, world, lot_id)
    assert (body["kind"], body["permitted_use"], body["indexation_percent"], body["sitting_tenant"]) == (
        "premises",
        "Retail of food and household goods",
        5,
        True,
    )
    assert body["rent_per_sqm"] == 420_00  # 26,880 som a month / 64 m²
    # The edit form shows the terms again, the box still ticked.
    edit = Page((await client.get(f"/officer/lots/{lot_id}/edit")).text)
    assert edit.value("#f-permitted_use") == "Retail of food and household goods"
    assert edit.value("#f-indexation_percent") == "5"
    assert edit.has("#f-sitting_tenant[checked]")


async def test_a_lease_without_its_permitted_use_is_shown_the_problem_at_the_field(
    client: Client, world: World
) -> None:
    await log_in(client, "officer_tokmok")
    token = await csrf_of(client, "/officer/lots/new")
    answer = await client.post("/officer/lots/new?lang=en", data=lot_form(token, **(SHOP | {"permitted_use": ""})))
    assert answer.status_code == 422
    assert field_error(answer.text, "permitted_use") == (
        "A lease needs its permitted use: what the tenant may use the property for."
    )


async def test_a_sale_with_a_permitted_use_or_indexation_is_refused_at_the_field(client: Client, world: World) -> None:
    await log_in(client, "officer_tokmok")
    token = await csrf_of(client, "/officer/lots/new")
    answer = await client.post(
        "/officer/lots/new?lang=ru", data=lot_form(token, permitted_use="Retail", indexation_percent="5")
    )
    assert answer.status_code == 422
    expected = (
        "Разрешённое использование, индексация арендной платы, действующий арендатор и решение о продлении срока "
        "бывают только у аренды."
    )
    assert field_error(answer.text, "permitted_use") == expected
    assert field_error(answer.text, "indexation_percent") == expected


async def test_a_term_beyond_the_cap_needs_the_council_decision(client: Client, world: World) -> None:
    await log_in(client, "officer_tokmok")
    token = await csrf_of(client, "/officer/lots/new")
    answer = await client.post(
        "/officer/lots/new?lang=en", data=lot_form(token, **(SHOP | {"lease_term_months": "60"}))
    )
    assert answer.status_code == 422
    assert field_error(answer.text, "lease_term_months") == "The lease term must be 1 to 36 months here."
    decided = SHOP | {"lease_term_months": "60", "lease_extension_decision": "No. 12/4 of 3 March 2026, Tokmok kenesh"}
    lot_id = await officer_creates_a_lot(client, **decided)
    body = await lot_json(client, world, lot_id)
    assert (body["lease_term_months"], body["lease_extension_decision"]) == (60, decided["lease_extension_decision"])


async def test_the_lot_page_and_the_card_show_the_rent_per_square_metre(client: Client, world: World) -> None:
    lot_id = await create_lot(
        client,
        world,
        deal="lease",
        kind="premises",
        registration_number="1-04-06-0012-0345-1",
        area_sqm="64",
        starting_price=26_880_00,
        bid_step=1_000_00,
        deposit=2_688_00,
        lease_term_months=36,
        rent_period="month",
        permitted_use="Retail of food",
        indexation_percent=5,
        sitting_tenant=True,
    )
    page = Page((await client.get(f"/lots/{lot_id}?lang=en")).text)
    price = page.text("dd[data-term=starting_price]")
    assert price.replace("\u00a0", " ") == "26,880 som per month ≈ 420 som per m² per month"
    assert page.text("dd[data-term=permitted_use]") == "Retail of food"
    indexation = page.text("dd[data-term=indexation_percent]").replace("\u00a0", " ")
    assert indexation.startswith("The rent rises by 5% each year: year 2 = 28,224 som per month")
    assert "preferential right" in page.text("dd[data-term=sitting_tenant]")
    catalog = Page((await client.get("/?lang=en")).text)
    assert "≈ 420 som per m² per month" in " ".join(catalog.texts(".card .price")).replace("\u00a0", " ")


async def test_a_sale_and_a_lease_without_an_area_show_no_per_square_metre_figure(client: Client, world: World) -> None:
    sale = await create_lot(client, world)  # a land sale of 800 m²: a price, not a rent
    page = Page((await client.get(f"/lots/{sale}?lang=en")).text)
    assert "per m²" not in page.text("dd[data-term=starting_price]")
    assert not page.has("dd[data-term=permitted_use]")
    lease = await create_lot(
        client, world, deal="lease", lease_term_months=12, rent_period="year", permitted_use="Grazing"
    )
    page = Page((await client.get(f"/lots/{lease}?lang=en")).text)
    assert page.text("dd[data-term=starting_price]").replace("\u00a0", " ") == "100,000 som per year"


async def test_the_catalog_filters_by_the_new_kinds(client: Client, world: World) -> None:
    await create_lot(client, world)
    kiosk = await create_lot(
        client,
        world,
        deal="lease",
        kind="kiosk_place",
        title_en="Kiosk place at the bus station",
        registration_number="NTO-2026/014",
        lease_term_months=12,
        rent_period="month",
        permitted_use="Sale of newspapers and drinks",
    )
    page = Page((await client.get("/?kind=kiosk_place&deal=lease&lang=en")).text)
    assert page.texts(".card-title a") == ["Kiosk place at the bus station"]
    assert page.has("#f-kind option[value=kiosk_place][selected]")
    assert "Place for a kiosk or pavilion" in page.text(".card .card-meta")
    assert (await lot_json(client, world, kiosk))["kind"] == "kiosk_place"
