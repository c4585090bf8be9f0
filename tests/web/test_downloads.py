"""A lot's documents download under their real names (Cyrillic too) with their extension and their own type."""

from __future__ import annotations

from urllib.parse import quote

from tests.kit.world import World
from tests.web.conftest import Client, create_lot, log_in

PDF = b"%PDF-1.4\n" + b"0" * 64


async def test_a_cyrillic_document_downloads_under_its_own_name_with_its_extension(
    client: Client, world: World
) -> None:
    lot_id = await create_lot(client, world, publish=False)
    uploaded = await client.post(
        f"/api/v1/lots/{lot_id}/files",
        # The officer's file had lost its extension on the way; it is a PDF all the same.
        files={"file": ("Решение кенеша №5", PDF, "application/pdf")},
        data={"kind": "document"},
        headers=world.auth("officer_tokmok"),
    )
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    await client.post(f"/api/v1/lots/{lot_id}/publish", headers=world.auth("officer_tokmok"))

    public = await client.get(f"/api/v1/lots/{lot_id}/files/{file_id}")
    await log_in(client, "officer_tokmok")
    officer = await client.get(f"/officer/lots/{lot_id}/files/{file_id}")

    for download in (public, officer):
        assert download.status_code == 200
        assert download.content == PDF
        assert download.headers["content-type"] == "application/pdf"
        disposition = download.headers["content-disposition"]
        assert disposition.startswith("attachment; ")
        # RFC 5987: the real name, percent-encoded UTF-8; and a plain ASCII name for clients that know no better.
        assert f"filename*=UTF-8''{quote('Решение кенеша №5.pdf', safe='')}" in disposition
        assert 'filename="No5.pdf"' in disposition  # NFKD: № is No
