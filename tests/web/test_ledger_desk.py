"""The inspector's desk: the signed checkpoint and the key, entries by range and by lot, the export with its
offline command, and the page on which the browser verifies receipts and proofs."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.settings import Settings
from tests.kit.ledger import integrate, keys_of
from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, create_lot

CHECKPOINT = "section[aria-labelledby=checkpoint-title]"
ENTRY_ROWS = "table.entries-table tbody tr"


async def test_the_desk_shows_the_checkpoint_the_key_and_the_offline_command(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, settings: Settings
) -> None:
    empty = await client.get("/ledger/?lang=en")
    assert empty.status_code == 200
    unsigned = Page(empty.text).text(f"{CHECKPOINT} p.muted")
    assert unsigned == "The ledger has no entries yet, so nothing has been signed."
    await create_lot(client, world)
    await integrate(sessions, keys_of(settings), clock)
    page = await client.get("/ledger/?lang=en")
    desk = Page(page.text)
    vkey = (await client.get("/api/v1/ledger/key")).text.strip()
    note = (await client.get("/api/v1/ledger/checkpoint")).text
    assert desk.one("code#vkey").get_text() == vkey
    assert note.split("\n")[0] == "test.achyk.kg/ledger"
    assert desk.one(f"{CHECKPOINT} pre#checkpoint-note").get_text() == note  # byte for byte, as signed
    offline = desk.one("pre#offline-command").get_text()
    assert "python -m auction.ledger.verifier achyk-ledger.zip --policy policy.txt --state" in offline
    assert desk.one('section[aria-labelledby=offline-title] a[href="/api/v1/ledger/policy"]')
    assert desk.one('section[aria-labelledby=offline-title] a[href="/api/v1/ledger/export"]')
    # The size in the terms is the size the signed note states (its second line).
    assert desk.texts(f"{CHECKPOINT} dl.terms dt")[0] == "Entries in the ledger"
    assert desk.texts(f"{CHECKPOINT} dl.terms dd")[0] == note.split("\n")[1]


async def test_entries_by_range_and_by_lot(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, settings: Settings
) -> None:
    first = await create_lot(client, world, title_en="First")
    second = await create_lot(client, world, title_en="Second")
    await integrate(sessions, keys_of(settings), clock)
    third = await create_lot(client, world, title_en="Third")  # admitted, not yet integrated

    newest = await client.get("/ledger/entries?lang=en")
    assert newest.status_code == 200
    entries = Page(newest.text)
    assert entries.text("#entries-range") == "Entries 0 to 1 of the 2 in the latest checkpoint."
    assert entries.texts(f"{ENTRY_ROWS} td.entry-kind code") == ["lot.published", "lot.published"]
    assert entries.text(f'{ENTRY_ROWS} td.entry-lot a[href="/ledger/lots/{second}"]') == str(second)
    later = Page((await client.get("/ledger/entries?start=1&lang=en")).text)
    assert later.text("#entries-range") == "Entries 1 to 1 of the 2 in the latest checkpoint."
    assert later.value("nav.pager a[rel=prev]", "href") == "/ledger/entries?start=0"
    assert (await client.get("/ledger/entries?start=-1")).status_code == 400

    chain = await client.get(f"/ledger/lots/{first}?lang=en")
    assert chain.status_code == 200
    lot_chain = Page(chain.text)
    assert "lot.published" in lot_chain.texts(f"{ENTRY_ROWS} td.entry-kind code")
    payloads = lot_chain.texts(f"{ENTRY_ROWS} pre.entry-payload")
    assert any('"title_en": "First"' in payload for payload in payloads), payloads  # the payload, folded out
    leaves = lot_chain.texts(f"{ENTRY_ROWS} pre.entry-leaf")
    assert any(leaf.startswith('{"body":') for leaf in leaves), "the leaf's exact bytes are shown"
    pending = Page((await client.get(f"/ledger/lots/{third}?lang=en")).text)
    assert pending.texts(f"{ENTRY_ROWS} td.entry-index span.muted") == ["pending"]
    unknown = Page((await client.get("/ledger/lots/999?lang=en")).text)
    assert unknown.text("main div.empty") == "The ledger has no entries for this lot."
    assert not unknown.has("table.entries-table")

    found = await client.get(f"/ledger/lots?lot=%23{second}", follow_redirects=False)
    assert found.status_code == 303
    assert found.headers["location"] == f"/ledger/lots/{second}"
    nonsense = await client.get("/ledger/lots?lot=abc&lang=ru")
    assert nonsense.status_code == 422
    assert Page(nonsense.text).text("section.error-page[role=alert] > p:first-of-type") == "Введите номер лота."


async def test_the_verification_page_carries_the_key_the_origin_and_its_words(client: Client, world: World) -> None:
    page = await client.get("/ledger/verify?lang=ky")
    assert page.status_code == 200
    verify = Page(page.text)
    vkey = (await client.get("/api/v1/ledger/key")).text.strip()
    assert verify.value("form#verify-form", "data-site-vkey") == vkey
    assert verify.value("form#verify-form input#f-vkey[type=text]") == vkey
    assert verify.value("form#verify-form", "data-origin") == "test.achyk.kg/ledger"
    assert verify.one('head script[type=module][src="/static/js/ledger-verify-page.js"]')
    messages = verify.one('script#verify-messages[type="application/json"]').string
    assert messages
    words = json.loads(messages)
    assert words["verified"] == (
        "Тастыкталды: жазуу саясатыңыздагы реестр ачкычы кол койгон реестрде бар, жана күбөлөрүңүздүн кворуму ага кошо "
        "кол койгон."
    )
    assert words["not_trusted"].startswith("ИШЕНИМДҮҮ ЭМЕС: ишеним саясаты жок.")
    steps = ("read_receipt", "key", "policy", "body_hash", "receipt_signature", "checkpoint", "witnesses")
    outcomes = ("unwitnessed_verdict", "split_view", "not_verified", "witness_line", "quorum_time")
    history = ("history_first", "history_same", "history_extends", "history_older")
    for name in steps + outcomes + history:
        assert name in words, name
    assert "{bishkek}" in words["witness_line"]
    assert "{utc}" in words["witness_line"]
    # The inspector's own policy, kept by the browser; the platform's is one click away, with the warning beside it.
    assert verify.one("form#verify-form textarea#f-policy")
    assert verify.text("form#verify-form button#policy-load[type=button]") == "Платформанын өз саясатын жүктөө"
    assert verify.one("form#verify-form button#policy-forget[type=button]")
    assert verify.text("p#policy-warning").startswith("Платформанын өз саясаты анын ар бир ачкычын ээси менен")
    # No inline script (the CSP forbids it): only data for the page's module and the import map.
    assert not verify.all("script:not([src]):not([type='application/json']):not([type=importmap])")
    assert "{index}" in words["inclusion"]
    script = await client.get("/static/js/ledger-verify.js")
    assert script.status_code == 200
    # A JavaScript file, not a page: there is no markup to select from.
    assert "export async function verifyEvidence" in script.text
