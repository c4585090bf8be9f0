"""Help in the reader's language, linked from every page; a municipality's contact page, kept by the admin."""

from __future__ import annotations

from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, create_lot, csrf_of, field_error, log_in

SECTIONS = ["register", "apply", "deposit", "bid", "sign", "receipt", "contact"]


async def test_help_answers_each_step_in_each_language_and_every_page_links_it(client: Client, world: World) -> None:
    footer = Page((await client.get("/")).text)
    assert footer.has('footer a[href="/help"]')
    headings = {}
    for language in ("ky", "ru", "en"):
        page = Page((await client.get(f"/help?lang={language}")).text)
        assert [section["id"] for section in page.all("#help section")] == SECTIONS
        assert page.has('#contact a[href="/municipalities/tokmok"]')
        headings[language] = page.text("#help h1")
    assert headings == {"ky": "Жардам жана суроолор", "ru": "Помощь и вопросы", "en": "Help and questions"}


async def test_an_admin_publishes_contacts_that_the_municipality_page_shows_with_its_lots(
    client: Client, world: World
) -> None:
    lot_id = await create_lot(client, world)
    tokmok = world.municipality["tokmok"]
    empty = Page((await client.get("/municipalities/tokmok?lang=en")).text)
    assert "has not published its contacts yet" in empty.text("#contacts")

    await log_in(client, "admin")
    token = await csrf_of(client, f"/admin/units/{tokmok}")
    contacts = {
        "contact_address": "Tokmok, Lenin street 142, room 12",
        "contact_phone": "+996 3138 5 12 34",
        "contact_email": "mulk@tokmok.gov.kg",
        "office_hours": "Mon–Fri 9:00–18:00",
        "responsible_officer": "Aibek Osmonov, head of the asset office",
    }
    wrong = await client.post(
        f"/admin/units/{tokmok}/contacts?lang=en", data={"_csrf_token": token, **contacts, "contact_email": "mulk"}
    )
    assert wrong.status_code == 422
    assert field_error(wrong.text, "contact_email") == "Enter an e-mail address such as mulk@tokmok.gov.kg."
    saved = await client.post(
        f"/admin/units/{tokmok}/contacts", data={"_csrf_token": token, **contacts}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text

    for reference in ("tokmok", str(tokmok)):
        page = Page((await client.get(f"/municipalities/{reference}?lang=ky")).text)
        shown = {item["data-contact"]: item.get_text(strip=True) for item in page.all("#contacts dd")}
        assert shown == {name.removeprefix("contact_"): value for name, value in contacts.items()}
        assert page.has(f'#lots a[href="/lots/{lot_id}"]')
    assert (await client.get("/municipalities/atlantis?lang=en")).status_code == 404
