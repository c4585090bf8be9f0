"""Red flags over HTTP, from auctions played through the real services on PostgreSQL: a lot awarded to its only
participant and a sealed lot whose bid was withdrawn minutes before the close show up on the pages (ky, ru) and in
the API with the ledger entries behind them; an ordinary contested lot shows none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from auction.municipalities.models import Municipality
from tests.kit.drive import Drive
from tests.kit.page import Page, squeeze
from tests.kit.world import World

Client = AsyncTestClient[Litestar]
KYRGYZ = {"Accept-Language": "ky"}
RUSSIAN = {"Accept-Language": "ru"}


async def entries(client: Client, lot_id: int) -> dict[str, list[int]]:
    """The lot's integrated ledger entries: kind -> indexes, from the public ledger API."""
    chain = (await client.get(f"/api/v1/ledger/lots/{lot_id}/entries")).json()
    found: dict[str, list[int]] = {}
    for entry in chain["integrated"]:
        found.setdefault(entry["kind"], []).append(entry["index"])
    return found


def flags_of(answer: dict[str, Any], lot_id: int) -> list[dict[str, Any]]:
    return [flag for flag in answer["flags"] if flag["lots"] == [lot_id]]


def card_indexes(page: Page, code: str, lot_id: int) -> list[int]:
    card = page.one(f'li.red-flag[data-flag="{code}"][data-lot="{lot_id}"]')
    return [int(str(item["data-index"])) for item in card.select("li[data-index]")]


async def test_flags_of_played_auctions_on_the_pages_and_in_the_api(client: Client, world: World, drive: Drive) -> None:
    # Sold to its only participant at the starting price, 100 000 som, two thirds of its valuation.
    lone = await world.lot(
        stage="awarded", bidders=("bidder",), single_participant_rule="sell_at_start", valuation=150_000_00
    )
    await drive.sign_award(lone, "bidder")  # before the later lots' time lets the offer lapse

    await world.bidder("bidder3")
    sealed = await world.lot(stage="bidding", format="sealed", bidders=("bidder", "bidder2", "bidder3"))
    await drive.seal(sealed, "bidder", 100_000_00)
    await drive.seal(sealed, "bidder2", 105_000_00)
    await drive.seal(sealed, "bidder3", 120_000_00)
    world.clock.set(await drive.closes_at(sealed) - timedelta(minutes=10))
    await drive.tick()
    await drive.withdraw(sealed, "bidder3")
    await drive.close(sealed)
    await drive.open_sealed(sealed)
    # The winner walks away: the lot passes to the runner-up for less, who signs.
    await drive.decline_award(sealed, "bidder2")
    await drive.sign_award(sealed, "bidder")

    ordinary = await world.lot(stage="awarded")
    await drive.integrate()

    answer = (await client.get("/api/v1/red-flags", params={"municipality": "tokmok"})).json()
    assert answer["municipality"] == "tokmok"
    lone_entries, sealed_entries = await entries(client, lone), await entries(client, sealed)

    below, single = flags_of(answer, lone)
    assert below["code"] == "below_valuation"
    assert below["figures"] == {"price": 100_000_00, "valuation": 150_000_00, "percent": 66}
    assert [found["index"] for found in below["evidence"]] == [
        *lone_entries["lot.published"],
        *lone_entries["award.made"],
        *lone_entries["contract.concluded"],  # the signature concludes the sale
    ]
    assert single["code"] == "single_participant"
    assert [found["index"] for found in single["evidence"]] == [
        *lone_entries["auction.opened"],
        *lone_entries["award.made"],
        *lone_entries["contract.concluded"],
    ]
    assert [found["kind"] for found in single["evidence"]] == ["auction.opened", "award.made", "contract.concluded"]
    proof = await client.get(single["evidence"][1]["proof"])
    assert proof.status_code == 200, proof.text
    assert proof.json()["index"] == lone_entries["award.made"][0]

    late, walked = flags_of(answer, sealed)
    assert late["code"] == "late_withdrawal"
    assert late["figures"]["minutes"] == 10
    assert [found["index"] for found in late["evidence"]] == [
        *sealed_entries["bid.withdrawn"],
        *sealed_entries["auction.closed"],
    ]
    assert walked["code"] == "winner_walked_away"
    assert walked["figures"] == {"price": 105_000_00, "passed_price": 100_000_00, "percent": 95}
    assert [found["index"] for found in walked["evidence"]] == [
        *sealed_entries["award.made"],
        *sealed_entries["award.declined"],
        *sealed_entries["award.passed"],
    ]
    assert flags_of(answer, ordinary) == []
    assert all(set(flag) == set(answer["flags"][0]) for flag in answer["flags"])  # no link tag, no extra field

    kyrgyz = Page((await client.get("/red-flags", headers=KYRGYZ)).text)
    assert kyrgyz.value("html", "lang") == "ky"
    assert card_indexes(kyrgyz, "single_participant", lone) == [found["index"] for found in single["evidence"]]
    assert card_indexes(kyrgyz, "below_valuation", lone) == [found["index"] for found in below["evidence"]]
    assert card_indexes(kyrgyz, "late_withdrawal", sealed) == [found["index"] for found in late["evidence"]]
    assert not kyrgyz.has(f'li.red-flag[data-lot="{ordinary}"]')
    card = kyrgyz.one(f'li.red-flag[data-flag="late_withdrawal"][data-lot="{sealed}"]')
    assert card.select_one(f'a[href="/ledger/lots/{sealed}#entry-{late["evidence"][0]["index"]}"]') is not None
    assert card.select_one(f'h3 a[href="/lots/{sealed}"]') is not None

    russian = Page((await client.get("/red-flags/tokmok", headers=RUSSIAN)).text)
    assert russian.value("html", "lang") == "ru"
    text = squeeze(
        russian.one(f'li.red-flag[data-flag="late_withdrawal"][data-lot="{sealed}"] .red-flag-text').get_text()
    )
    assert "10 мин" in text
    assert "никогда не вскрывается" in text
    text = squeeze(
        russian.one(f'li.red-flag[data-flag="below_valuation"][data-lot="{lone}"] .red-flag-text').get_text()
    )
    assert "66% от оценки 150\u00a0000\u00a0сом" in text
    assert card_indexes(russian, "winner_walked_away", sealed) == [found["index"] for found in walked["evidence"]]
    naryn = Page((await client.get("/red-flags/naryn", headers=RUSSIAN)).text)
    assert not naryn.has("li.red-flag")  # Tokmok's flags are not Naryn's

    # The ledger page's rows carry the anchors the evidence links to.
    chain = Page((await client.get(f"/ledger/lots/{sealed}")).text)
    assert chain.has(f"tr#entry-{late['evidence'][0]['index']}")

    missing = await client.get("/red-flags/atlantis")
    assert missing.status_code == 404
    async with world.sessions() as session:
        tokmok = await session.scalar(select(Municipality.id).where(Municipality.code == "tokmok"))
    assert (await client.get(f"/red-flags/{tokmok}")).status_code == 404  # by code only, as /statistics/<code>
    nowhere = await client.get("/api/v1/red-flags", params={"municipality": "atlantis"})
    assert (nowhere.status_code, nowhere.json()["code"]) == (404, "municipality.code_unknown")
    schema = (await client.get("/schema/openapi.json")).json()
    answer_schema = schema["paths"]["/api/v1/red-flags"]["get"]["responses"]["200"]["content"]["application/json"]
    assert next(iter(answer_schema["examples"].values()))["value"]["flags"][0]["code"] == "below_valuation"
