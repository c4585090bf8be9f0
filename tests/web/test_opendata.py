"""The OCDS endpoints over HTTP, without login: the feed's package and its next link, a lot's record package, the
day's bulk files in JSON Lines and CSV, each validated against the shipped OCDS schemas; unknown ocids and days; and
the OpenAPI document listing them with an example."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from auction.clock import FrozenClock
from auction.settings import OCDS_PLACEHOLDER_PREFIX
from tests.kit.drive import Drive
from tests.kit.world import World
from tests.ocds_support import record_package_problems, release_package_problems, release_problems

Client = AsyncTestClient[Litestar]


async def test_the_feed_records_and_bulk_files_over_http(client: Client, world: World, drive: Drive) -> None:
    lot_id = await world.lot(stage="awarded")
    await drive.integrate()

    feed = await client.get("/api/v1/ocds/releases", params={"since": 0})
    assert feed.status_code == 200, feed.text
    package: dict[str, Any] = feed.json()
    assert release_package_problems(package) == []
    assert package["license"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert package["publicationPolicy"].endswith("/opendata/policy")
    ocid = f"{OCDS_PLACEHOLDER_PREFIX}-{lot_id}"
    assert {release["ocid"] for release in package["releases"]} == {ocid}
    following = await client.get(package["links"]["next"].removeprefix(client.app.state.settings.public_url))
    assert following.status_code == 200
    assert following.json()["releases"] == []  # nothing new: the cursor stays
    # The one departure from OCDS 1.1.5's package schema, kept on purpose (docs/ocds.md, "Cursors").
    assert release_package_problems(following.json()) == ["releases: [] should be non-empty"]

    record = await client.get(f"/api/v1/ocds/records/{ocid}")
    assert record.status_code == 200, record.text
    assert record_package_problems(record.json()) == []
    compiled = record.json()["records"][0]["compiledRelease"]
    assert compiled["tender"]["status"] == "complete"
    assert compiled["awards"][0]["value"]["amount"] == 105_000

    for unknown in (
        f"{OCDS_PLACEHOLDER_PREFIX}-999999",
        f"ocds-zzzzzz-{lot_id}",
        "nonsense",
        f"{OCDS_PLACEHOLDER_PREFIX}-²",
    ):
        missing = await client.get(f"/api/v1/ocds/records/{unknown}")
        assert (missing.status_code, missing.json()["code"]) == (404, "lot.not_found")

    day = package["releases"][-1]["date"][:10]
    lines = await client.get(f"/opendata/releases-{day}.jsonl")
    assert lines.status_code == 200
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    released = [json.loads(line) for line in lines.text.splitlines()]
    assert released
    assert all(release_problems(release) == [] for release in released)
    assert all(release["date"].startswith(day) for release in released)
    table = await client.get(f"/opendata/releases-{day}.csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [row["id"] for row in rows] == [release["id"] for release in released]
    assert rows[0]["tender/submissionMethod"] == "electronicAuction"

    bad = await client.get("/opendata/releases-2026-13-40.jsonl")
    assert (bad.status_code, bad.json()["code"]) == (422, "opendata.day_malformed")
    nowhere = await client.get("/opendata/records.zip")
    assert (nowhere.status_code, nowhere.json()["code"]) == (404, "opendata.file_not_found")
    policy = await client.get("/opendata/policy")
    assert "pseudonym" in policy.text
    assert policy.headers["content-type"] == "text/plain; charset=utf-8"

    # The API docs list the feeds, with an example.
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert {"/api/v1/ocds/releases", "/api/v1/ocds/records/{ocid}", "/opendata/{name}"} <= set(paths)
    answer = paths["/api/v1/ocds/releases"]["get"]["responses"]["200"]["content"]["application/json"]
    example = next(iter(answer["examples"].values()))["value"]
    assert example["releases"][0]["tender"]["submissionMethod"] == ["electronicAuction"]
    assert release_package_problems(example) == []
    record_answer = paths["/api/v1/ocds/records/{ocid}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert record_package_problems(next(iter(record_answer["examples"].values()))["value"]) == []
    for path, media in (
        ("/api/v1/ocds/releases", "application/json"),
        ("/api/v1/ocds/records/{ocid}", "application/json"),
        ("/opendata/{name}", "application/x-ndjson; charset=utf-8"),
        ("/opendata/policy", "text/plain"),
    ):
        operation = paths[path]["get"]
        assert len(operation.get("description", "")) > 80, path
        assert operation["responses"]["200"]["content"][media]["examples"], path


async def test_a_finished_signed_day_is_cached_long_and_a_growing_one_briefly(
    client: Client, world: World, drive: Drive, clock: FrozenClock
) -> None:
    await world.lot(stage="published")
    await drive.integrate()
    day = clock.now().date()
    url = f"/opendata/releases-{day.isoformat()}.jsonl"
    today = await client.get(url)
    assert today.status_code == 200
    published = today.text.splitlines(keepends=True)
    assert published
    assert today.headers["cache-control"] == "public, max-age=60"
    assert "etag" not in today.headers

    # A change admitted a second before midnight, integrated only after it: until then the day is not final.
    midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    clock.set(midnight - timedelta(seconds=1))
    await world.lot(stage="published")
    clock.set(midnight + timedelta(minutes=5))
    waiting = await client.get(url)
    assert waiting.headers["cache-control"] == "public, max-age=60"
    assert waiting.text == today.text

    await drive.integrate()
    final = await client.get(url)
    assert final.headers["cache-control"] == "public, max-age=86400"
    lines = final.text.splitlines(keepends=True)
    assert lines[: len(published)] == published  # byte for byte what the growing file said
    late = [json.loads(line) for line in lines[len(published) :]]
    assert late
    assert all(release["date"].startswith(f"{day.isoformat()}T23:59:59") for release in late)
    unchanged = await client.get(url, headers={"If-None-Match": final.headers["etag"]})
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert unchanged.headers["etag"] == final.headers["etag"]
    table = await client.get(f"/opendata/releases-{day.isoformat()}.csv")
    assert table.headers["cache-control"] == "public, max-age=86400"
    assert table.headers["etag"] != final.headers["etag"]
    # The new day is today's: short-lived, whatever the days before it.
    tomorrow = await client.get(f"/opendata/releases-{(day + timedelta(days=1)).isoformat()}.jsonl")
    assert tomorrow.headers["cache-control"] == "public, max-age=60"
