"""GET /api/v1/health: what an operator's monitor reads, judged from the database at the injected clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from auction.clock import FrozenClock
from auction.ledger.rotation import vkey_of
from auction.settings import Settings
from tests.kit.drive import Drive
from tests.kit.world import World
from tests.web.conftest import Client


async def health(client: Client) -> dict[str, Any]:
    answer = await client.get("/api/v1/health")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def codes(body: dict[str, Any]) -> set[str]:
    return {problem["code"] for problem in body["problems"]}


async def test_a_ledger_backlog_past_the_promised_delay_is_named_until_it_is_integrated(
    client: Client, world: World, drive: Drive, clock: FrozenClock, settings: Settings
) -> None:
    await drive.tick()
    await world.lot("published")
    within = await health(client)
    assert within["pending_entries"] > 0
    assert "ledger.integration_behind" not in codes(within)

    clock.advance(timedelta(seconds=settings.ledger_max_merge_delay_seconds + 1))
    behind = await health(client)
    assert behind["status"] == "degraded"
    assert "ledger.integration_behind" in codes(behind)

    await drive.tick()
    caught_up = await health(client)
    assert caught_up["pending_entries"] == 0
    assert caught_up["tree_size"] > within["tree_size"]
    assert caught_up["status"] == "ok", caught_up["problems"]


async def test_a_scheduler_that_never_ran_or_went_silent_is_named(
    client: Client, drive: Drive, clock: FrozenClock
) -> None:
    assert "scheduler.never_ran" in codes(await health(client))
    await drive.tick()
    assert codes(await health(client)) == set()
    clock.advance(timedelta(seconds=61))
    assert "scheduler.stalled" in codes(await health(client))


async def test_the_answer_names_the_key_this_host_signs_with(client: Client, settings: Settings) -> None:
    body = await health(client)
    assert body["ledger_vkey"] == vkey_of(settings.ledger_keys())
    assert body["release"]
