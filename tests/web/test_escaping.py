"""Lot texts are officers' input shown to everyone: every page shows them as text, never as markup."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kit.world import World
from tests.web.conftest import Client, create_lot, log_in

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
async def test_a_script_title_shows_as_text_on_every_page(client: Client, world: World, language: str) -> None:
    terms: dict[str, Any] = {
        f"title_{language}": SCRIPT,
        f"description_{language}": SCRIPT,
        "address": f'"><img src=x onerror=alert(1)> {SCRIPT}',
    }
    lot_id = await create_lot(client, world, **terms)
    await log_in(client, "officer_tokmok")
    for path in ("/", f"/lots/{lot_id}", f"/lots/{lot_id}/versions", "/officer/", f"/officer/lots/{lot_id}"):
        page = await client.get(f"{path}?lang={language}")
        assert page.status_code == 200, path
        assert SCRIPT not in page.text, path
        assert "<img src=x" not in page.text, path
        assert ESCAPED in page.text, path


async def test_a_script_in_a_search_is_echoed_as_text(client: Client, world: World) -> None:
    page = await client.get("/", params={"q": SCRIPT})
    assert SCRIPT not in page.text
    assert f'value="{ESCAPED}"' in page.text
