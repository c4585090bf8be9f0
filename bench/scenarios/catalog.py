"""The catalog at 100,000 lots: every filter's page and API answer against the same SQL sent directly.

The lots are written in bulk (asyncpg COPY) over the pilot's places and forty more aiyl okmotu, every kind, deal,
format and public state, prices over four orders of magnitude, titles and descriptions in Kyrgyz, Russian and
English, with a few rare words (one per language) in a handful of lots; half have a photo, the running ones a clock.
Then, for each filter (and the two indexed orders), the real ``auction serve`` answers the page and the API call
on a warm keep-alive connection, and, interleaved with it, a plain asyncpg connection runs the very statements the
app sent for that request (captured from an in-process app over the same database), in one transaction, as the
app does. Targets (issue 14, target 4): p95 <= 50 ms, and <= 3x the direct SQL's p95.
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from litestar.testing import AsyncTestClient
from sqlalchemy import event

from auction.clock import FrozenClock, SystemClock
from auction.db.engine import make_engine, make_sessionmaker, transaction
from auction.municipalities.models import Municipality, MunicipalityLevel
from auction.settings import Settings
from bench.kit import BenchContext, Measurement, load_average, percentile, raw_url
from tests.kit.site import LEDGER_PSEUDONYM_SEED, LEDGER_SIGNING_SEED, SECRET_KEY, site_ledger_keys, start_site
from tests.kit.world import build_world

NAME = "catalog"
P95_MS_TARGET = 50.0
RATIO_TARGET = 3.0
EXTRA_PLACES = 40
TRIGRAM_INDEX = "ix_lots_search_text_trgm"

# (kind, ky, ru, en): what a title calls the property.
SALE_KINDS = [
    ("land_plot", "Жер тилкеси", "Земельный участок", "Land plot"),
    ("building", "Имарат", "Здание", "Building"),
    ("vehicle", "Унаа", "Автомобиль", "Vehicle"),
    ("equipment", "Жабдуу", "Оборудование", "Equipment"),
    ("other", "Мүлк", "Имущество", "Property"),
]
LEASE_KINDS = [
    ("premises", "Жай", "Помещение", "Premises"),
    ("kiosk_place", "Киоск орду", "Место под киоск", "Kiosk place"),
    ("pitch", "Соода орду", "Торговое место", "Market pitch"),
    ("advertising_space", "Жарнама орду", "Рекламное место", "Advertising space"),
    ("land_plot", "Жер тилкеси", "Земельный участок", "Land plot"),
]
WORDS = {
    "ky": [
        "көчө",
        "шаар",
        "айыл",
        "борбор",
        "жакын",
        "мектеп",
        "базар",
        "суу",
        "электр",
        "жол",
        "бак",
        "кеңсе",
        "дүкөн",
        "кампа",
        "оңдоо",
        "аянт",
    ],
    "ru": [
        "улица",
        "город",
        "село",
        "центр",
        "рядом",
        "школа",
        "рынок",
        "вода",
        "электричество",
        "дорога",
        "сад",
        "офис",
        "магазин",
        "склад",
        "ремонт",
        "площадь",
    ],
    "en": [
        "street",
        "town",
        "village",
        "centre",
        "near",
        "school",
        "market",
        "water",
        "electricity",
        "road",
        "garden",
        "office",
        "shop",
        "warehouse",
        "repair",
        "square",
    ],
}
RARE = {"ky": "тегирмен", "ru": "мельница", "en": "windmill"}
STREETS = [
    "Lenin",
    "Manas",
    "Chui",
    "Toktogul",
    "Frunze",
    "Kiev",
    "Moskva",
    "Ibraimov",
    "Abdrakhmanov",
    "Sovetskaya",
    "Jibek-Jolu",
    "Isanov",
    "Akhunbaev",
    "Baitik",
    "Logvinenko",
    "Razzakov",
    "Tynystanov",
    "Kalyk-Akiev",
    "Shabdan",
    "Gorky",
    "Pushkin",
    "Orozbekov",
    "Kurmanjan",
    "Sydykov",
]
STATES = ["published"] * 30 + ["bidding"] * 5 + ["closed"] * 5 + ["awarded"] * 35 + ["failed"] * 15
STATES += ["cancelled"] * 8 + ["draft"] * 2
FORMATS = ["open_ascending"] * 80 + ["descending"] * 12 + ["sealed_bid"] * 8
COLUMNS = [
    "municipality_id",
    "state",
    "version",
    "deal",
    "kind",
    "format",
    "title_ky",
    "title_ru",
    "title_en",
    "description_ky",
    "description_ru",
    "description_en",
    "search_text",
    "address",
    "area_sqm",
    "registration_number",
    "starting_price",
    "bid_step",
    "deposit",
    "lease_term_months",
    "rent_period",
    "applications_close_at",
    "bidding_opens_at",
    "bidding_closes_at",
    "soft_close_minutes",
    "max_extension_minutes",
    "single_participant_rule",
    "sitting_tenant",
    "created_by_id",
    "created_at",
    "updated_at",
    "published_at",
]


def say(what: str) -> None:
    print(f"   {NAME}: {what}", flush=True)


def _lot(
    rng: random.Random, n: int, places: Sequence[int], officer: int, now: datetime, rare: set[int]
) -> tuple[Any, ...]:
    lease = rng.random() < 0.4
    kind, ky, ru, en = rng.choice(LEASE_KINDS if lease else SALE_KINDS)
    street = rng.choice(STREETS)
    number = rng.randint(1, 300)
    words = {lang: " ".join(rng.choices(vocabulary, k=12)) for lang, vocabulary in WORDS.items()}
    if n in rare:
        language = rng.choice(list(RARE))
        words[language] += " " + RARE[language]
    titles = (f"{ky}, {street} көч. {number}", f"{ru}, ул. {street} {number}", f"{en}, {number} {street} street")
    descriptions = (words["ky"], words["ru"], words["en"])
    address = f"{number} {street} street"
    registration = f"1-{rng.randint(1, 9):02}-{rng.randint(1, 99):02}-{n:06}"
    text = " ".join([*titles, *descriptions, address, registration]).lower()
    # Prices over four orders of magnitude: a sale 10,000 to 50,000,000 som; a lease's rent 1,000 to 200,000.
    low, high = (1_000, 200_000) if lease else (10_000, 50_000_000)
    price = int(10 ** rng.uniform(len(str(low)) - 1, len(str(high)) - 1)) * 100
    state = rng.choice(STATES)
    created = now - timedelta(days=730) + timedelta(minutes=n * 730 * 24 * 60 // 100_000)
    closes = created + timedelta(days=rng.randint(20, 60), hours=rng.randint(0, 8))
    if state == "bidding":
        closes = now + timedelta(minutes=rng.randint(5, 600))
    elif state == "published":
        closes = now + timedelta(days=rng.randint(2, 40))
    opens = closes - timedelta(hours=3)
    return (
        places[rng.randrange(len(places))],
        state,
        1,
        "lease" if lease else "sale",
        kind,
        rng.choice(FORMATS),
        *titles,
        *descriptions,
        text,
        address,
        None,
        registration,
        price,
        max(100, price // 20),
        price // 10,
        36 if lease else None,
        "month" if lease else None,
        opens - timedelta(days=1),
        opens,
        closes,
        5,
        60,
        "fail",
        False,
        officer,
        created,
        created,
        None if state == "draft" else created,
    )


async def seed(url: str, data_dir: Path, count: int) -> dict[str, int]:
    """The world (pilot places, officers) and ``count`` lots; returns the ids the filters ask for."""
    now = datetime.now(UTC)
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        world = await build_world(sessions, FrozenClock(now), site_ledger_keys(data_dir))
        async with transaction(sessions) as session:
            parents = [world.municipality[code] for code in ("chui", "naryn-region", "osh-region", "talas")]
            for n in range(EXTRA_PLACES):
                session.add(
                    Municipality(
                        code=f"bench-ao-{n}",
                        level=MunicipalityLevel.AIYL_OKMOTU,
                        parent_id=parents[n % len(parents)],
                        name_ky=f"Айыл өкмөтү {n}",
                        name_ru=f"Айыл окмоту {n}",
                        name_en=f"Aiyl okmotu {n}",
                    )
                )
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(raw_url(url))
    try:
        places = [row[0] for row in await connection.fetch("SELECT id FROM municipalities WHERE owns_property")]
        rng = random.Random(14)
        rare = set(rng.sample(range(count), max(3, count // 20_000) * len(RARE)))
        officer = world.user_ids["officer_tokmok"]
        records = [_lot(rng, n, places, officer, now, rare) for n in range(count)]
        # The trigram index is built once over the written lots: kept up row by row, COPY would take minutes.
        trigram = await connection.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = $1", TRIGRAM_INDEX)
        await connection.execute(f"DROP INDEX {TRIGRAM_INDEX}")
        await connection.copy_records_to_table("lots", records=records, columns=COLUMNS)
        await connection.execute(trigram)
        ids = await connection.fetch("SELECT id, state, bidding_closes_at FROM lots")
        photos = [
            (row["id"], "photo", "photo.jpg", "image/jpeg", 3, "0" * 64, b"\xff\xd8\xff", officer, now)
            for row in ids
            if row["id"] % 2 == 0
        ]
        await connection.copy_records_to_table(
            "lot_files",
            records=photos,
            columns=[
                "lot_id",
                "kind",
                "filename",
                "content_type",
                "size",
                "sha256",
                "content",
                "uploaded_by_id",
                "uploaded_at",
            ],
        )
        clocks = [
            (row["id"], now - timedelta(hours=1), row["bidding_closes_at"], row["bidding_closes_at"], 0)
            for row in ids
            if row["state"] == "bidding"
        ]
        await connection.copy_records_to_table(
            "auction_clocks", records=clocks, columns=["lot_id", "opened_at", "closes_at", "latest_close", "bid_count"]
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return world.municipality


def asks(places: dict[str, int]) -> dict[str, tuple[str, str]]:
    """Each filter as the page's query string and the API's (the page takes som, the API tyiyn)."""
    same = {
        "none": "",
        "municipality": f"municipality={places['tokmok']}",
        "region": f"region={places['chui']}",
        "kind": "kind=advertising_space",
        "deal": "deal=lease",
        "format": "format=sealed_bid",
        "status": "status=bidding",
        "text_ky": f"q={RARE['ky']}",
        "text_ru": f"q={RARE['ru']}",
        "text_en": f"q={RARE['en']}",
        "text_common": "q=школа",
        "sort_price": "sort=price_low",
        "sort_closing": "sort=closing_soon",
    }
    found = {name: (query, query) for name, query in same.items()}
    found["price_range"] = ("min_price=2000000&max_price=2050000", "min_price=200000000&max_price=205000000")
    return found


Statements = list[tuple[str, tuple[Any, ...]]]


async def capture(url: str, data_dir: Path, wanted: dict[str, tuple[str, str]]) -> dict[str, dict[str, Statements]]:
    """The statements the app sends for each page and API call, from an in-process app over the same database."""
    from web.app import create_app

    settings = Settings(
        DATABASE_URL=url,
        data_dir=data_dir,
        secret_key=SECRET_KEY,
        ledger_signing_key=base64.b64encode(LEDGER_SIGNING_SEED).decode(),
        ledger_pseudonym_key=base64.b64encode(LEDGER_PSEUDONYM_SEED).decode(),
        run_background_jobs=False,
    )
    found: dict[str, dict[str, Statements]] = {}
    async with AsyncTestClient(app=create_app(settings, SystemClock())) as client:
        seen: Statements = []

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
            seen.append((statement, tuple(parameters or ())))

        event.listen(client.app.state.engine.sync_engine, "before_cursor_execute", record)
        for name, (page, api) in wanted.items():
            found[name] = {}
            for where, path in (("page", f"/?{page}"), ("api", f"/api/v1/lots?limit=24&{api}")):
                await client.get(path)  # the first one may connect and read the server's version
                seen.clear()
                response = await client.get(path)
                assert response.status_code == 200, (path, response.text[:500])
                found[name][where] = list(seen)
    return found


async def _timed_get(client: httpx.AsyncClient, path: str) -> float:
    started = time.perf_counter()
    response = await client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


async def _timed_sql(connection: asyncpg.Connection, statements: Statements) -> float:
    started = time.perf_counter()
    async with connection.transaction():
        for sql, parameters in statements:
            await connection.fetch(sql, *parameters)
    return (time.perf_counter() - started) * 1000


async def run(ctx: BenchContext) -> list[Measurement]:
    count, samples, warm = (5_000, 5, 1) if ctx.quick else (100_000, 40, 3)
    directory = ctx.workdir / "catalog"
    directory.mkdir(parents=True, exist_ok=True)
    async with ctx.database("catalog") as url:
        started = time.perf_counter()
        places = await seed(url, directory / "data", count)
        say(f"{count} lots written and analysed in {time.perf_counter() - started:.1f} s")
        wanted = asks(places)
        statements = await capture(url, directory / "data", wanted)
        site = await asyncio.to_thread(start_site, url, directory, workers=1)
        times: dict[tuple[str, str], list[float]] = {}
        try:
            raw = await asyncpg.connect(raw_url(url))
            try:
                async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:
                    for name, (page, api) in wanted.items():
                        paths = {"page": f"/?{page}", "api": f"/api/v1/lots?limit=24&{api}"}
                        for _ in range(warm):  # warm: the connection, the prepared statements, the caches
                            for where, path in paths.items():
                                await _timed_get(client, path)
                                await _timed_sql(raw, statements[name][where])
                        for _ in range(samples):
                            for where, path in paths.items():
                                times.setdefault((name, where), []).append(await _timed_get(client, path))
                                sql = await _timed_sql(raw, statements[name][where])
                                times.setdefault((name, f"{where}_sql"), []).append(sql)
            finally:
                await raw.close()
        finally:
            await asyncio.to_thread(site.stop)
    load = load_average()
    found = []
    for name in wanted:
        for where in ("page", "api"):
            achyk, baseline = times[(name, where)], times[(name, f"{where}_sql")]
            found.append(
                Measurement(
                    NAME,
                    f"{where} {name} p95",
                    "ms",
                    percentile(achyk, 0.95),
                    baseline=percentile(baseline, 0.95),
                    baseline_name="the same SQL sent directly (asyncpg), p95",
                    at_most=RATIO_TARGET,
                    absolute_at_most=P95_MS_TARGET,
                    details={
                        "lots": count,
                        "samples": samples,
                        "p50_ms": percentile(achyk, 0.5),
                        "sql_p50_ms": percentile(baseline, 0.5),
                        "statements": len(statements[name][where]),
                        "load_average": load,
                    },
                )
            )
    return found
