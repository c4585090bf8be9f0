"""A file beyond the request limit is refused with a page in the visitor's language, still signed in."""

from __future__ import annotations

from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, create_lot, csrf_of, log_in


async def test_the_too_large_page_speaks_the_visitors_language_and_keeps_them_signed_in(
    client: Client, world: World
) -> None:
    lot_id = await create_lot(client, world, publish=False)
    await log_in(client, "officer_tokmok")
    await client.get("/officer/?lang=ky")  # the officer reads the site in Kyrgyz
    token = await csrf_of(client, f"/officer/lots/{lot_id}")
    huge = b"%PDF-1.4\n" + b"0" * (client.app.state.settings.upload_max_bytes * 3)

    refused = await client.post(
        f"/officer/lots/{lot_id}/files",
        data={"_csrf_token": token, "kind": "document"},
        files={"file": ("акт.pdf", huge, "application/pdf")},
    )

    page = Page(refused.text)
    assert refused.status_code == 413
    assert page.value("html", "lang") == "ky"
    assert page.text("main h1") == "Файл өтө чоң"
    assert page.texts(".error-page p")[0].startswith("Файл 64\u00a0КБ ашат")
    assert "Request Entity Too Large" not in refused.text
    # The header greets the officer, as on every other page of their session.
    assert page.text("header li.who a") == (await world.user("officer_tokmok")).full_name
    assert page.has('header form[action="/logout"]')
