"""The officer console through its forms: create, publish, amend, cancel, attach files; guards and CSRF."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.kit.page import Page
from tests.kit.world import PAYMENT_DETAILS, World
from tests.web.conftest import Client, create_lot, csrf_of, field_error, log_in, lot_json

HTMX = {"HX-Request": "true"}


def lot_form(token: str, **changes: str) -> dict[str, str]:
    """The form as an officer fills it in: som with decimals, Bishkek wall-clock times (UTC+6)."""
    form = {
        "_csrf_token": token,
        "deal": "sale",
        "kind": "land_plot",
        "format": "open_ascending",
        "title_ky": "Ленин көчөсүндөгү жер тилкеси",
        "title_ru": "Участок на улице Ленина",
        "title_en": "",
        "description_ky": "Үй куруу үчүн 0,08 га.",
        "address": "Tokmok, Lenin street 12",
        "area_sqm": "800",
        "registration_number": "1-02-03-0004-0005",
        "starting_price": "1 250 000,50",
        "bid_step": "5000",
        "deposit": "125000.05",
        "lease_term_months": "",
        "rent_period": "",
        "floor_price": "",
        "price_drop_interval_seconds": "",
        "soft_close_minutes": "5",
        "max_extension_minutes": "60",
        "single_participant_rule": "fail",
        "applications_close_at": "2026-06-22T12:00",
        "bidding_opens_at": "2026-06-23T12:00",
        "bidding_closes_at": "2026-06-23T15:30",
        "council_decision": "Tokmok city kenesh decision No. 14 of 12.03.2026",
        **PAYMENT_DETAILS,
    }
    form.update(changes)
    return form


async def officer_creates_a_lot(client: Client, **changes: str) -> int:
    token = await csrf_of(client, "/officer/lots/new")
    created = await client.post("/officer/lots/new", data=lot_form(token, **changes), follow_redirects=False)
    assert created.status_code == 303, created.text
    match = re.fullmatch(r"/officer/lots/(\d+)", created.headers["location"])
    assert match
    return int(match.group(1))


async def test_anonymous_visitors_are_sent_to_log_in_and_back(client: Client, world: World) -> None:
    response = await client.get("/officer/lots/new?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fofficer%2Flots%2Fnew%3Fx%3D1"
    login = await client.get(response.headers["location"])
    assert Page(login.text).value("form input[type=hidden][name=next]") == "/officer/lots/new?x=1"


@pytest.mark.parametrize("who", ["bidder", "inspector"])
async def test_other_accounts_get_a_403_page(client: Client, world: World, who: str) -> None:
    await log_in(client, who)
    for path in ("/officer/", "/officer/lots/new"):
        response = await client.get(f"{path}?lang=en")
        assert response.status_code == 403
        page = Page(response.text)
        assert page.text("h1") == "You may not do this"
        message = page.text("main section.error-page[role=alert] > p:first-of-type")
        assert message == "The officer console is for municipal officers and administrators."


async def test_an_officer_cannot_open_another_municipalitys_lot(client: Client, world: World) -> None:
    lot_id = await create_lot(client, world, who="officer_naryn")
    await log_in(client, "officer_tokmok")
    response = await client.get(f"/officer/lots/{lot_id}")
    assert response.status_code == 403


async def test_officer_logs_in_to_the_console(client: Client, world: World) -> None:
    token = await csrf_of(client)
    response = await client.post(
        "/login",
        data={"email": "officer_tokmok@test.kg", "password": "correct horse battery", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/officer/"
    console = await client.get("/officer/?lang=en")
    assert "Officer console" in Page(console.text).text("h1")
    assert "There are no lots yet." in Page(console.text).text("main")


async def test_create_publish_amend_cancel_through_the_forms(client: Client, world: World) -> None:
    await log_in(client, "officer_tokmok")
    lot_id = await officer_creates_a_lot(client)
    draft = await lot_json(client, world, lot_id)
    assert draft["state"] == "draft"
    # Som with grouping and a decimal comma, converted exactly to tyiyn.
    assert draft["starting_price"] == 125_000_050
    assert draft["bid_step"] == 500_000
    assert draft["deposit"] == 12_500_005
    # 12:00 in Bishkek is 06:00 UTC.
    assert draft["applications_close_at"].startswith("2026-06-22T06:00:00")
    assert draft["bidding_closes_at"].startswith("2026-06-23T09:30:00")
    assert draft["title"] == {"ky": "Ленин көчөсүндөгү жер тилкеси", "ru": "Участок на улице Ленина", "en": None}
    console = await client.get("/officer/")
    listing = Page(console.text)
    row = f'main table tbody tr:has(a[href="/officer/lots/{lot_id}"])'
    assert listing.text(f"{row} span.state.state-draft") == "Черновик"

    page = await client.get(f"/officer/lots/{lot_id}")
    published = await client.post(
        f"/officer/lots/{lot_id}/publish", data={"_csrf_token": csrf_of_page(page.text)}, follow_redirects=False
    )
    assert published.status_code == 303, published.text
    assert (await lot_json(client, world, lot_id))["state"] == "published"

    edit = await client.get(f"/officer/lots/{lot_id}/edit")
    form = Page(edit.text)
    assert form.has("form [name=reason]")  # a published lot's terms change only with a reason
    assert form.value("form input[name=starting_price]") == "1250000.50"
    assert form.value("form input[name=applications_close_at]") == "2026-06-22T12:00"
    token = csrf_of_page(edit.text)
    no_reason = await client.post(f"/officer/lots/{lot_id}/edit", data=lot_form(token, bid_step="6000"))
    assert no_reason.status_code == 422
    assert "Укажите, почему меняются условия опубликованного лота" in field_error(no_reason.text, "reason")
    amended = await client.post(
        f"/officer/lots/{lot_id}/edit",
        data=lot_form(token, bid_step="6000", reason="Оценщик уточнил шаг."),
        follow_redirects=False,
    )
    assert amended.status_code == 303, amended.text
    after = await lot_json(client, world, lot_id)
    assert (after["version"], after["bid_step"]) == (2, 600_000)
    history = await client.get(f"/lots/{lot_id}/versions")
    assert "Оценщик уточнил шаг." in Page(history.text).text("main")
    assert "Шаг ставки" in Page(history.text).text("main")  # the changed term, by its translated name

    # A published lot is cancelled by two officials: this officer asks, another one confirms.
    short = await client.post(f"/officer/lots/{lot_id}/cancellation", data={"_csrf_token": token, "reason": "no"})
    assert short.status_code == 422
    assert field_error(short.text, "reason") == "Слишком коротко: не меньше 5 знаков."
    asked = await client.post(
        f"/officer/lots/{lot_id}/cancellation",
        data={"_csrf_token": token, "reason": "Совет отозвал участок."},
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    mine = Page((await client.get(f"/officer/lots/{lot_id}")).text)
    assert "Совет отозвал участок." in mine.text("#pending-cancellation")
    assert mine.has("form[action$='/cancellation/withdraw']")
    assert not mine.has("form[action$='/cancellation/confirm']")
    own = await client.post(f"/officer/lots/{lot_id}/cancellation/confirm", data={"_csrf_token": token})
    assert own.status_code == 422
    assert "другой сотрудник муниципалитета" in Page(own.text).text("#cancellation")  # cancel.same_official
    assert (await lot_json(client, world, lot_id))["state"] == "published"

    client.cookies.clear()
    await log_in(client, "officer2_tokmok")
    theirs = await client.get(f"/officer/lots/{lot_id}")
    desk = Page(theirs.text)
    assert "Совет отозвал участок." in desk.text("#pending-cancellation")
    assert desk.has("form[action$='/cancellation/confirm']")
    cancelled = await client.post(
        f"/officer/lots/{lot_id}/cancellation/confirm",
        data={"_csrf_token": desk.csrf_token()},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303, cancelled.text
    final = await lot_json(client, world, lot_id)
    assert (final["state"], final["cancel_reason"]) == ("cancelled", "Совет отозвал участок.")
    public = await client.get(f"/lots/{lot_id}")
    assert "Совет отозвал участок." in Page(public.text).text("main")


def csrf_of_page(html: str) -> str:
    return Page(html).csrf_token()


async def test_bid_step_above_the_price_is_shown_at_the_bid_step_and_nothing_is_written(
    client: Client, world: World
) -> None:
    await log_in(client, "officer_tokmok")
    token = await csrf_of(client, "/officer/lots/new")
    response = await client.post(
        "/officer/lots/new", data=lot_form(token, starting_price="1000", bid_step="2000", title_en="Kept as typed")
    )
    assert response.status_code == 422
    assert field_error(response.text, "bid_step") == "Шаг ставки не может быть больше начальной цены."
    page = Page(response.text)
    bid_step = page.one("form input#f-bid_step")
    assert (bid_step.get("value"), bid_step.get("aria-describedby"), bid_step.get("aria-invalid")) == (
        "2000",
        "f-bid_step-error",
        "true",
    )
    assert page.value("form input[name=title_en]") == "Kept as typed"
    assert page.text('a[href="#f-bid_step"]') == "Шаг ставки"  # the summary links to the field
    console = await client.get("/officer/?lang=en")
    assert "There are no lots yet." in Page(console.text).text("main")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"starting_price": "12,345.678"}, "starting_price", "Введите сумму в сомах, например 1250 или 1250.50."),
        ({"applications_close_at": "tomorrow"}, "applications_close_at", "Введите дату и время, например"),
        ({"applications_close_at": "2026-05-01T12:00"}, "applications_close_at", "должен быть в будущем"),
        ({"address": ""}, "address", "Заполните это поле."),
        ({"kind": "castle"}, "kind", "Выберите один из вариантов."),
        ({"registration_number": "12"}, "registration_number", "кадастровый номер"),
        ({"deal": "lease"}, "lease_term_months", "Для аренды укажите срок в месяцах."),
        ({"title_ky": "", "title_ru": ""}, "title_ky", "Дайте лоту название"),
    ],
)
async def test_each_problem_is_shown_next_to_its_field(
    client: Client, world: World, changes: dict[str, str], field: str, message: str
) -> None:
    await log_in(client, "officer_tokmok")
    token = await csrf_of(client, "/officer/lots/new")
    response = await client.post("/officer/lots/new", data=lot_form(token, **changes))
    assert response.status_code == 422
    assert message in field_error(response.text, field)


async def test_htmx_gets_the_form_alone_on_a_problem_and_a_client_redirect_on_success(
    client: Client, world: World
) -> None:
    await log_in(client, "officer_tokmok")
    token = await csrf_of(client, "/officer/lots/new")
    refused = await client.post(
        "/officer/lots/new", data=lot_form(token, deposit="999999999"), headers={**HTMX, "x-csrftoken": token}
    )
    assert refused.status_code == 422
    assert Page(refused.text).root().get("id") == "lot-form"
    assert not Page(refused.text).has("html, body")  # a fragment for htmx, not a page
    assert field_error(refused.text, "deposit") == "Задаток не может быть больше начальной цены."
    accepted = await client.post("/officer/lots/new", data=lot_form(token), headers={**HTMX, "x-csrftoken": token})
    assert accepted.status_code == 200
    assert re.fullmatch(r"/officer/lots/\d+", accepted.headers["hx-redirect"])


async def test_forms_without_the_csrf_token_are_refused(client: Client, world: World) -> None:
    await log_in(client, "officer_tokmok")
    form = lot_form("")
    del form["_csrf_token"]
    response = await client.post("/officer/lots/new", data=form)
    assert response.status_code == 403
    assert "Форма устарела или отправлена с другого сайта." in Page(response.text).text("main")
    console = await client.get("/officer/?lang=en")
    assert "There are no lots yet." in Page(console.text).text("main")


async def test_publishing_too_late_lists_the_problems(client: Client, world: World) -> None:
    await log_in(client, "officer_tokmok")
    lot_id = await officer_creates_a_lot(client)
    clock: Any = client.app.state.clock
    from datetime import timedelta

    clock.advance(timedelta(days=22))
    page = await client.get(f"/officer/lots/{lot_id}?lang=en")
    response = await client.post(f"/officer/lots/{lot_id}/publish", data={"_csrf_token": csrf_of_page(page.text)})
    assert response.status_code == 422
    problems = Page(response.text).text("main")
    assert "The lot cannot be published yet" in problems
    assert "Applications close: The applications deadline must be in the future." in problems
    assert (await lot_json(client, world, lot_id))["state"] == "draft"


PDF = b"%PDF-1.7\n%test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


async def test_documents_and_photos_are_attached_through_the_upload_form(client: Client, world: World) -> None:
    await log_in(client, "officer_tokmok")
    lot_id = await officer_creates_a_lot(client)
    page = await client.get(f"/officer/lots/{lot_id}?lang=en")
    token = csrf_of_page(page.text)
    document = await client.post(
        f"/officer/lots/{lot_id}/files",
        data={"_csrf_token": token, "kind": "document"},
        files={"file": ("terms.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert document.status_code == 303, document.text
    photo = await client.post(
        f"/officer/lots/{lot_id}/files",
        data={"_csrf_token": token, "kind": "photo"},
        files={"file": ("front.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert photo.status_code == 303, photo.text
    listed = await client.get(f"/officer/lots/{lot_id}")
    links = Page(listed.text).all(f'main a[href^="/officer/lots/{lot_id}/files/"]')
    assert {"terms.pdf", "front.png"} <= {name for link in links for name in link.get_text().split()}
    # A draft's files come through the console, which knows the officer's session.
    files = [str(link["href"]) for link in links]
    downloaded = await client.get(files[0])
    assert downloaded.content == PDF
    assert downloaded.headers["x-content-type-options"] == "nosniff"

    wrong = await client.post(
        f"/officer/lots/{lot_id}/files",
        data={"_csrf_token": token, "kind": "photo"},
        files={"file": ("terms.pdf", PDF, "application/pdf")},
    )
    assert wrong.status_code == 422
    assert (
        field_error(wrong.text, "file") == "This file is application/pdf; only image/jpeg, image/png are accepted here."
    )
    missing = await client.post(f"/officer/lots/{lot_id}/files", data={"_csrf_token": token, "kind": "document"})
    assert missing.status_code == 422
    assert field_error(missing.text, "file") == "Choose a file to attach."


async def test_admin_chooses_the_municipality(client: Client, world: World) -> None:
    await log_in(client, "admin")
    form = await client.get("/officer/lots/new")
    assert Page(form.text).has("form#lot-form [name=municipality_id]")
    naryn = world.municipality["naryn"]
    lot_id = await officer_creates_a_lot(client, municipality_id=str(naryn))
    assert (await lot_json(client, world, lot_id))["municipality_id"] == naryn
    no_place = await client.post("/officer/lots/new", data=lot_form(csrf_of_page(form.text)))
    assert no_place.status_code == 422
    assert "Укажите, какому муниципалитету принадлежит лот." in field_error(no_place.text, "municipality_id")
