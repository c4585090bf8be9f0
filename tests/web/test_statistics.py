"""The statistics pages, CSV files and API from auctions played for real on the database: a sale signed and paid,
a lease signed with its first rent paid, a lot nobody bid on, a cancelled lot; the same numbers on the page (in
Kyrgyz and Russian), in the CSV file and in the API; a municipality's page, and an unknown municipality."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from auction.contracts.models import Contract
from auction.ledger.verifier.settlement import bishkek_date
from auction.lots.models import Lot
from auction.municipalities.models import Municipality, MunicipalityLevel
from auction.statistics.service import StatisticsService, StoryCache
from tests.integration.test_contracts import pay
from tests.integration.test_running_rules import REASON, cancellations
from tests.kit.drive import Drive
from tests.kit.page import Page
from tests.kit.world import SHOP_LEASE, World
from tests.openapi_support import JSON, OpenApiDocument
from web.lib.formatting import format_som

Client = AsyncTestClient[Litestar]


async def days_to_contract(world: World, lot_id: int) -> int:
    """From the lot's publication to its contract's signature, in Bishkek days, read from the database's rows."""
    async with world.sessions() as session:
        lot = await session.get(Lot, lot_id)
        contract = await session.scalar(select(Contract).where(Contract.lot_id == lot_id))
    assert lot is not None
    assert lot.published_at is not None
    assert contract is not None
    return (contract.signed_on - bishkek_date(lot.published_at)).days


async def play(world: World, drive: Drive) -> tuple[int, list[int]]:
    """Four lots of Tokmok; returns the year they count in and the days to contract of the two contracts."""
    sale = await world.lot(stage="awarded")  # bidder2 wins at 105 000 som over a 100 000 start
    await drive.sign_award(sale, "bidder2")
    lease = await world.lot(stage="awarded", **SHOP_LEASE)
    await drive.sign_award(lease, "bidder2")  # 21 000 som a month; the deposit pays 5 000 of the first
    today = bishkek_date(world.clock.now())
    await pay(world, lease, 1, 16_000_00, today)
    await world.lot(stage="awarded", bidders=())  # nobody applied: failed
    cancelled = await world.lot(stage="published")
    await cancellations(world, "request_cancellation", "officer_tokmok", cancelled, REASON)
    await cancellations(world, "confirm_cancellation", "officer2_tokmok", cancelled)
    await drive.integrate()
    return bishkek_date((await drive.lot(sale)).published_at or world.clock.now()).year, [
        await days_to_contract(world, sale),
        await days_to_contract(world, lease),
    ]


@pytest.fixture
def postgres_only(backend: str) -> None:
    # Skipped before the app and the world are built: whole auctions are played once, on PostgreSQL.
    if backend != "postgres":
        pytest.skip("whole auctions are played on PostgreSQL only; the figures are pure (tests/unit/statistics)")


@pytest.mark.usefixtures("postgres_only")
async def test_the_pages_csv_and_api_agree_with_the_auctions_played(client: Client, world: World, drive: Drive) -> None:
    year, days = await play(world, drive)

    api = await client.get("/api/v1/statistics")
    assert api.status_code == 200, api.text
    body = api.json()
    total = body["total"]
    assert body["municipality"] is None
    assert body["checkpoint_size"] > 0
    assert [row["year"] for row in body["years"]] == [year]
    assert (total["published"], total["sold"], total["leased"], total["failed"], total["cancelled"]) == (4, 1, 1, 1, 1)
    assert total["still_open"] == 0
    assert (total["revenue"], total["sales_starting_price"], total["revenue_to_starting_percent"]) == (
        105_000_00,
        100_000_00,
        "105.0",
    )
    assert (total["valued_sales"], total["revenue_to_valuation_percent"]) == (0, None)  # no valuation recorded
    # The sale, the lease and the failed lot opened with 2, 2 and 0 admitted bidders.
    assert (total["lots_opened"], total["average_participants"]) == (3, "1.33")
    halfway = f"{Decimal(sum(days)) / 2:.1f}"
    assert (total["mean_days_to_contract"], total["median_days_to_contract"]) == (halfway, halfway)
    assert total["lease_rent_received"] == 16_000_00
    assert total["lease_rent_due"] >= 16_000_00

    # The answer is what /schema says, with an example.
    document = OpenApiDocument(client.app.openapi_schema.to_schema())
    operation = document.operation("GET", "/api/v1/statistics")
    assert operation is not None
    schema = operation.json_schema(200)
    assert schema is not None
    assert document.problems(body, schema) == []
    assert "examples" in document.document["paths"]["/api/v1/statistics"]["get"]["responses"]["200"]["content"][JSON]

    tokmok = await client.get("/api/v1/statistics", params={"municipality": "tokmok"})
    assert tokmok.json()["total"] == total
    assert tokmok.json()["municipality"] == "tokmok"
    unknown = await client.get("/api/v1/statistics", params={"municipality": "atlantis"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "municipality.code_unknown")

    table = await client.get("/statistics.csv")
    assert table.status_code == 200
    assert table.headers["content-type"] == "text/csv; charset=utf-8"  # once: Litestar adds the charset itself
    assert (
        f'filename="achyk-statistics-kyrgyzstan-{body["checkpoint_size"]}.csv"' in table.headers["content-disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [row["year"] for row in rows] == [str(year), "all"]
    assert rows[1]["published"] == "4"
    assert (rows[1]["revenue_som"], rows[1]["sales_starting_price_som"]) == ("105000.00", "100000.00")
    assert (rows[1]["revenue_to_starting_percent"], rows[1]["average_participants"]) == ("105.0", "1.33")
    assert rows[0]["lease_rent_received_som"] == "16000.00"
    own = await client.get("/statistics/tokmok.csv")
    assert own.text == table.text
    assert "achyk-statistics-tokmok-" in own.headers["content-disposition"]

    ky = Page((await client.get("/statistics", params={"lang": "ky"})).text)
    assert ky.text("h1").startswith("Статистика")
    assert ky.text('[data-figure="published"]') == "4"
    assert ky.text('[data-figure="revenue"]') == format_som(105_000_00, "ky")
    assert ky.text('[data-figure="average_participants"]') == "1,33"
    assert [a["href"] for a in ky.all("#municipalities-table a")] == ["/statistics/tokmok"]
    assert ky.has('a[href="/red-flags"]')
    assert ky.has('a[href="/statistics.csv"]')
    assert ky.has('script[src="/static/vendor/chartist.umd.js"]')
    # The revenue chart sets like against like: the valuations cover only some sales, so they stay in the table.
    assert [th["data-series"] for th in ky.all("#revenue-table th[data-series]")] == ["revenue", "starting"]

    ru = Page((await client.get("/statistics/tokmok", params={"lang": "ru"})).text)
    assert ru.text("h1").startswith("Статистика")
    assert ru.text('[data-figure="revenue_to_starting"]') == "105,0 %"
    assert ru.has('a[href="/red-flags/tokmok"]')
    assert ru.texts(f'#outcomes-table tr[data-year="{year}"] td') == ["1", "1", "1", "1", "0", "4"]
    assert ru.has("#lease-table")

    missing = await client.get("/statistics/atlantis")
    assert missing.status_code == 404
    assert (await client.get("/statistics/atlantis.csv")).status_code == 404


async def test_no_lots_yet(client: Client) -> None:
    page = Page((await client.get("/statistics", params={"lang": "en"})).text)
    assert page.has("#no-lots")
    assert not page.has("#outcomes-table")
    rows = list(csv.reader(io.StringIO((await client.get("/statistics.csv")).text)))
    assert rows[1][:2] == ["all", "0"]
    # A failed lot "did not take place", in Russian too: not the verifier's word for a check that did not pass.
    ru = Page((await client.get("/statistics", params={"lang": "ru"})).text)
    assert "Не состоялись" in ru.texts(".statistics-totals dt")
    # How a repeat auction counts is said on the page.
    assert ru.text("#meaning-repeat") == "Повторные аукционы"


async def test_a_longer_code_is_no_municipalitys(client: Client, world: World) -> None:
    """A path is a code, whole: a known 64-character code with more after it names no municipality."""
    code = "k" * 64
    async with world.sessions() as session, session.begin():
        session.add(
            Municipality(code=code, level=MunicipalityLevel.CITY, name_ky="Шаар", name_ru="Город", name_en="Town")
        )
    assert (await client.get(f"/statistics/{code}")).status_code == 200
    for longer in (f"{code}kk", f"{code}x.csv"):
        assert (await client.get(f"/statistics/{longer}")).status_code == 404


async def test_a_larger_signed_size_rereads_only_the_chains_that_grew(world: World, drive: Drive) -> None:
    quiet = await world.lot(stage="bidding")
    busy = await world.lot(stage="bidding")
    await drive.integrate()
    cache = StoryCache()
    async with world.sessions() as session:
        first = {story.lot: story for story in await StatisticsService(session, cache).stories()}
    await drive.bid(busy, "bidder", 100_000_00)
    later = await world.lot(stage="published")
    await drive.integrate()
    async with world.sessions() as session:
        second = {story.lot: story for story in await StatisticsService(session, cache).stories()}
        whole = {story.lot: story for story in await StatisticsService(session).stories()}
    assert second[quiet] is first[quiet]  # its chain did not grow: the story of the smaller size stands
    assert second[busy] is not first[busy]
    assert [len(first[busy].bids), len(second[busy].bids)] == [0, 1]
    assert later in second
    assert second == whole  # what the larger size re-read is what a whole read finds
