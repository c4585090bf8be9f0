"""The inspector's desk: the signed checkpoint and the key, entries by range and by lot, the export with its
offline command, and the page on which the browser verifies receipts and proofs."""

from __future__ import annotations

import json
import re

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.settings import Settings
from tests.kit.ledger import integrate, keys_of
from tests.kit.world import World
from tests.web.conftest import Client, create_lot


async def test_the_desk_shows_the_checkpoint_the_key_and_the_offline_command(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, settings: Settings
) -> None:
    empty = await client.get("/ledger/?lang=en")
    assert empty.status_code == 200
    assert "The ledger has no entries yet, so nothing has been signed." in empty.text
    await create_lot(client, world)
    await integrate(sessions, keys_of(settings), clock)
    page = await client.get("/ledger/?lang=en")
    vkey = (await client.get("/api/v1/ledger/key")).text.strip()
    note = (await client.get("/api/v1/ledger/checkpoint")).text
    assert f'<code id="vkey">{vkey}</code>' in page.text
    assert note.split("\n")[0] == "test.achyk.kg/ledger"
    assert note.replace("\u2014", "&#8212;") in page.text or note in page.text
    assert f"python -m auction.ledger.verifier achyk-ledger.zip --key &#34;{vkey}&#34;" in page.text
    assert 'href="/api/v1/ledger/export"' in page.text
    assert "Entries in the ledger" in page.text


async def test_entries_by_range_and_by_lot(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, settings: Settings
) -> None:
    first = await create_lot(client, world, title_en="First")
    second = await create_lot(client, world, title_en="Second")
    await integrate(sessions, keys_of(settings), clock)
    third = await create_lot(client, world, title_en="Third")  # admitted, not yet integrated

    newest = await client.get("/ledger/entries?lang=en")
    assert newest.status_code == 200
    assert "Entries 0 to 1 of the 2 in the latest checkpoint." in newest.text
    assert newest.text.count("<code>lot.published</code>") == 2
    assert f'<a href="/ledger/lots/{second}">{second}</a>' in newest.text
    later = await client.get("/ledger/entries?start=1&lang=en")
    assert "Entries 1 to 1 of the 2" in later.text
    assert 'href="/ledger/entries?start=0" rel="prev"' in later.text
    assert (await client.get("/ledger/entries?start=-1")).status_code == 400

    chain = await client.get(f"/ledger/lots/{first}?lang=en")
    assert chain.status_code == 200
    assert "<code>lot.published</code>" in chain.text
    assert "&#34;title_en&#34;: &#34;First&#34;" in chain.text  # the payload, folded out
    leaf = re.search(r'<pre class="note">(\{&#34;body&#34;:.*?)</pre>', chain.text, re.S)
    assert leaf, "the leaf's exact bytes are shown"
    pending = await client.get(f"/ledger/lots/{third}?lang=en")
    assert '<span class="muted">pending</span>' in pending.text
    assert "The ledger has no entries for this lot." in (await client.get("/ledger/lots/999?lang=en")).text

    found = await client.get(f"/ledger/lots?lot=%23{second}", follow_redirects=False)
    assert found.status_code == 303
    assert found.headers["location"] == f"/ledger/lots/{second}"
    nonsense = await client.get("/ledger/lots?lot=abc&lang=ru")
    assert nonsense.status_code == 422
    assert "Введите номер лота." in nonsense.text


async def test_the_verification_page_carries_the_key_the_origin_and_its_words(client: Client, world: World) -> None:
    page = await client.get("/ledger/verify?lang=ky")
    assert page.status_code == 200
    vkey = (await client.get("/api/v1/ledger/key")).text.strip()
    assert f'data-site-vkey="{vkey}"' in page.text
    assert f'<input id="f-vkey" type="text" value="{vkey}"' in page.text
    assert 'data-origin="test.achyk.kg/ledger"' in page.text
    assert '<script type="module" src="/static/js/ledger-verify-page.js"></script>' in page.text
    messages = re.search(r'<script type="application/json" id="verify-messages">(.*?)</script>', page.text, re.S)
    assert messages
    words = json.loads(messages.group(1))
    assert words["verified"] == "Тастыкталды: жазуу ушул ачкыч кол койгон реестрде бар."
    for step in ("read_receipt", "key", "body_hash", "receipt_signature", "fetch_proof", "checkpoint"):
        assert step in words
    assert "{index}" in words["inclusion"]
    script = await client.get("/static/js/ledger-verify.js")
    assert script.status_code == 200
    assert "export async function verifyEvidence" in script.text
