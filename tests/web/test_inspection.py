"""Inspectors link bidders across lots with the key they hold (PostgreSQL): no key pinned or the wrong key is refused
and writes nothing; the right key writes exactly one inspection.linked entry whose result hash is what was shown,
and one bidder has one tag on two lots where the public sees two pseudonyms; nobody else may link."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import rfc8785
from sqlalchemy import select

from auction.db.engine import transaction
from auction.ledger.admission import LedgerWriter
from auction.ledger.models import PLATFORM_CHAIN, LedgerEntry, PendingEntry
from auction.ledger.verifier.entry import parse_body, parse_leaf
from auction.redflags.inspection import InspectionService
from auction.redflags.linking import encode_key, link_tag, result_hash
from tests.kit.drive import Drive
from tests.kit.page import Page
from tests.kit.world import World
from tests.openapi_support import OpenApiDocument
from tests.web.conftest import Client, csrf_of, log_in

KEY = bytes(range(32))
WRONG = bytes(range(1, 33))
PURPOSE = "Case 2026/17: Tokmok land sales"


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("the inspection's integration runs on PostgreSQL, as deployments do")


async def pin(world: World, key: bytes) -> None:
    async with transaction(world.sessions) as session:
        await InspectionService(session, LedgerWriter(session, world.keys, world.clock)).pin(key)


async def inspections(world: World) -> list[dict[str, Any]]:
    """Every inspection.linked payload on the platform chain, integrated or pending."""
    linked = "inspection.linked"
    async with world.sessions() as session:
        leaves = await session.scalars(
            select(LedgerEntry.leaf).where(LedgerEntry.chain_key == PLATFORM_CHAIN, LedgerEntry.kind == linked)
        )
        pending = await session.scalars(
            select(PendingEntry.body).where(PendingEntry.chain_key == PLATFORM_CHAIN, PendingEntry.kind == linked)
        )
        return [dict(parse_leaf(leaf).body.payload) for leaf in leaves] + [dict(parse_body(b).payload) for b in pending]


async def link_form(client: Client, key: str, scope: str = "tokmok") -> Any:
    token = await csrf_of(client, "/inspection")
    return await client.post(
        "/inspection?lang=en", data={"_csrf_token": token, "scope": scope, "purpose": PURPOSE, "inspection_key": key}
    )


async def test_no_key_pinned_or_the_wrong_key_is_refused_and_writes_nothing(client: Client, world: World) -> None:
    await log_in(client, "inspector")
    refused = await link_form(client, encode_key(KEY))
    assert refused.status_code == 422
    assert "No inspection key is pinned in the ledger yet" in Page(refused.text).text("main")
    await pin(world, KEY)
    forged = await client.post(
        "/inspection?lang=en", data={"scope": "", "purpose": PURPOSE, "inspection_key": encode_key(KEY)}
    )
    assert forged.status_code == 403  # no CSRF token: another site's form cannot spend an inspector's session
    wrong = await link_form(client, encode_key(WRONG))
    assert wrong.status_code == 422
    assert "This is not the inspection key in force" in Page(wrong.text).text("main")
    # The refusal marks the field the key was pasted into, on the page and in the API's problems.
    assert "This is not the inspection key in force" in Page(wrong.text).text(".field.has-error")
    assert 'href="#f-inspection_key"' in wrong.text
    assert encode_key(WRONG) not in wrong.text
    api = await client.post(
        "/api/v1/inspection/links",
        json={"municipality": None, "purpose": PURPOSE, "inspection_key": encode_key(WRONG)},
        headers=world.auth("inspector"),
    )
    assert api.status_code == 422
    assert api.json()["code"] == "inspection.wrong_key"
    assert [problem["field"] for problem in api.json()["problems"]] == ["inspection_key"]
    assert await inspections(world) == []


async def test_the_right_key_links_one_bidder_across_lots_and_records_what_was_shown(
    client: Client, world: World
) -> None:
    first = await world.lot("applications", bidders=("bidder", "bidder2"))
    second = await world.lot("applications", bidders=("bidder",))
    await pin(world, KEY)

    answer = await client.post(
        "/api/v1/inspection/links",
        json={"municipality": "tokmok", "purpose": PURPOSE, "inspection_key": encode_key(KEY)},
        headers=world.auth("inspector"),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    shown = answer.json()
    documented = OpenApiDocument(client.app.openapi_schema.to_schema())
    operation = documented.operation("POST", "/api/v1/inspection/links")
    assert operation is not None
    schema = operation.json_schema(200)
    assert schema is not None
    assert documented.problems(shown, schema) == []
    rows = {(row["lot"], row["pseudonym"]): row["link"] for row in shown["links"]}
    pseudonyms = {lot: world.keys.pseudonym(lot, world.user_ids["bidder"]) for lot in (first, second)}
    assert pseudonyms[first] != pseudonyms[second]
    tag = link_tag(KEY, world.user_ids["bidder"])
    assert rows[first, pseudonyms[first]] == rows[second, pseudonyms[second]] == tag
    assert rows[first, world.keys.pseudonym(first, world.user_ids["bidder2"])] != tag
    assert len(rows) == 3
    [recorded] = await inspections(world)
    assert recorded["result_hash"] == result_hash((lot, p, link) for (lot, p), link in rows.items())
    assert recorded == {
        "scope": "tokmok",
        "purpose": PURPOSE,
        "key_fingerprint": shown["key_fingerprint"],
        "lots": 2,
        "links": 3,
        "result_hash": shown["result_hash"],
    }

    await log_in(client, "inspector")
    page = await link_form(client, encode_key(KEY))
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert encode_key(KEY) not in page.text
    assert len(await inspections(world)) == 2
    html = Page(page.text)
    assert tag in html.text("#inspection-result")
    assert f"/lots/{second}" in page.text
    # What the page showed is enough to recompute its result hash by docs/inspection.md's recipe.
    shown_rows: list[list[int | str]] = [
        [int(str(code["data-lot"])), code.get_text(), str(row["data-link"])]
        for row in html.all("#inspection-result tr.linked-bidder")
        for code in row.select("code.pseudonym")
    ]
    assert len(shown_rows) == 3
    recipe = hashlib.sha256(rfc8785.dumps(sorted(shown_rows))).hexdigest()
    assert recipe == html.text("#inspection-result .result-hash")
    assert recipe in {recorded["result_hash"] for recorded in await inspections(world)}


@pytest.mark.parametrize("who", ["bidder", "officer_tokmok"])
async def test_bidders_officers_and_strangers_cannot_link(client: Client, world: World, who: str) -> None:
    await pin(world, KEY)
    body = {"municipality": None, "purpose": PURPOSE, "inspection_key": encode_key(KEY)}
    assert (await client.post("/api/v1/inspection/links", json=body)).status_code == 401
    refused = await client.post("/api/v1/inspection/links", json=body, headers=world.auth(who))
    assert refused.status_code == 403
    assert refused.json()["code"] == "inspection.inspectors_only"
    anonymous = await client.get("/inspection", follow_redirects=False)
    assert anonymous.status_code == 303
    await log_in(client, who)
    assert (await client.get("/inspection")).status_code == 403
    assert await inspections(world) == []


async def test_the_page_shows_the_flags_only_the_links_reveal_with_their_evidence(
    client: Client, world: World, drive: Drive
) -> None:
    """bidder2 outbids bidder on three Tokmok lots: the same winner again and again, and a bidder who always loses
    to them. Public pseudonyms differ on every lot; the links make both patterns visible."""
    lots = [await world.lot("awarded") for _ in range(3)]
    await drive.integrate()
    await pin(world, KEY)
    await log_in(client, "inspector")
    page = await link_form(client, encode_key(KEY))
    assert page.status_code == 200, page.text
    flags = Page(page.text)
    winner, loser = (link_tag(KEY, world.user_ids[who]) for who in ("bidder2", "bidder"))
    repeated = flags.text("#inspection-flags [data-flag=repeated_winner]")
    assert f"The bidder {winner} won 3 lots of this municipality" in repeated
    rotation = flags.text("#inspection-flags [data-flag=bid_rotation]")
    assert f"The bidder {loser} lost 3 lots to {winner}" in rotation
    for lot in lots:
        assert f'href="/ledger/lots/{lot}#entry-' in page.text
    # The table agrees with the flags: the winner won all three auctions, whoever holds the lots now.
    won = flags.texts(f"#inspection-result [data-link={winner}] td")[2]
    assert [f"No. {lot}" for lot in lots] == [part.strip().replace("\xa0", " ") for part in won.split(",")]
