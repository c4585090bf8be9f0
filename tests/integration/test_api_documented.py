"""Real API answers match what /schema says about them: every field documented, every documented type kept.

A watcher sees every response of an auction driven through the API (accounts, lots, applications, bids,
awards, the ledger, and refusals along the way) and checks each body against the schema of its operation
and status, as a client generated from /schema would read it.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.settings import Settings
from tests.integration.test_bidding_api import Auction
from tests.kit.world import PASSWORD, World, kit_schedule, lot_terms
from tests.openapi_support import JSON, OpenApiDocument

Client = AsyncTestClient[Litestar]

# What the scenario below must have seen answer; the list keeps the test from passing by seeing nothing.
EXPECTED = {
    "GET /api/v1/municipalities 200",
    "POST /api/v1/accounts 201",
    "POST /api/v1/accounts 409",
    "POST /api/v1/auth/token 201",
    "POST /api/v1/auth/token 401",
    "GET /api/v1/me 200",
    "GET /api/v1/me 401",
    "POST /api/v1/lots 201",
    "POST /api/v1/lots 422",
    "PUT /api/v1/lots/{lot_id} 200",
    "POST /api/v1/lots/{lot_id}/publish 200",
    "POST /api/v1/lots/{lot_id}/cancel 409",
    "POST /api/v1/lots/{lot_id}/cancellation 201",
    "GET /api/v1/lots/{lot_id}/cancellation 200",
    "POST /api/v1/lots/{lot_id}/cancellation/confirm 200",
    "GET /api/v1/lots 200",
    "GET /api/v1/lots/{lot_id} 200",
    "GET /api/v1/lots/{lot_id} 404",
    "GET /api/v1/lots/{lot_id}/versions 200",
    "POST /api/v1/lots/{lot_id}/applications 201",
    "GET /api/v1/lots/{lot_id}/applications 200",
    "GET /api/v1/me/applications 200",
    "POST /api/v1/applications/{application_id}/confirm-deposit 200",
    "POST /api/v1/applications/{application_id}/reject 200",
    "GET /api/v1/lots/{lot_id}/auction 200",
    "POST /api/v1/lots/{lot_id}/bids 201",
    "POST /api/v1/lots/{lot_id}/bids 403",
    "POST /api/v1/lots/{lot_id}/bids 409",
    "POST /api/v1/lots/{lot_id}/bids 422",
    "GET /api/v1/lots/{lot_id}/bids 200",
    "GET /api/v1/lots/{lot_id}/awards 200",
    "POST /api/v1/lots/{lot_id}/award/sign 200",
    "GET /api/v1/ledger/checkpoints 200",
    "GET /api/v1/ledger/entries 200",
    "GET /api/v1/ledger/lots/{lot_id}/entries 200",
    "GET /api/v1/ledger/proof/inclusion 200",
    "GET /api/v1/ledger/proof/consistency 200",
}


class DocumentedAnswers:
    """An httpx response hook: checks each API answer against /schema and remembers what it saw."""

    def __init__(self, document: OpenApiDocument) -> None:
        self.document = document
        self.seen: set[str] = set()
        self.problems: list[str] = []
        self.live_states: list[dict[str, object]] = []

    async def __call__(self, response: httpx.Response) -> None:
        method, path = response.request.method, response.request.url.path
        if not path.startswith("/api/"):
            return
        operation = self.document.operation(method, path)
        if operation is None:
            self.problems.append(f"{method} {path}: no such operation in /schema")
            return
        await response.aread()
        answer = f"{operation.name} {response.status_code}"
        self.seen.add(answer)
        if str(response.status_code) not in operation.spec["responses"]:
            self.problems.append(f"{answer}: this status is not documented")
            return
        schema = operation.json_schema(response.status_code)
        is_json = response.headers.get("content-type", "").startswith(JSON)
        if schema is None or not is_json:
            if schema is not None or is_json:
                self.problems.append(f"{answer}: answered {response.headers.get('content-type')}, documented {schema}")
            return
        body = response.json()
        if operation.name.endswith("/auction"):
            self.live_states.append(body)
        self.problems += [f"{answer} {problem}" for problem in self.document.problems(body, schema)]


async def test_real_api_answers_match_their_documented_schema(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, settings: Settings
) -> None:
    answers = DocumentedAnswers(OpenApiDocument(client.app.openapi_schema.to_schema()))
    client.event_hooks["response"].append(answers)
    auction = Auction(client, world, clock, sessions, settings)
    officer = auction.officer

    await client.get("/api/v1/municipalities")
    newcomer = {
        "email": "newcomer@test.kg",
        "password": PASSWORD,
        "full_name": "Newcomer",
        "bidder_kind": "individual",
        "identity_number": "21506198500099",
    }
    assert (await client.post("/api/v1/accounts", json=newcomer)).status_code == 201
    assert (await client.post("/api/v1/accounts", json=newcomer)).status_code == 409
    assert (await client.post("/api/v1/auth/token", json={"email": newcomer["email"], "password": "wrong"})).is_error
    issued = await client.post("/api/v1/auth/token", json={"email": newcomer["email"], "password": PASSWORD})
    world.tokens["newcomer"] = issued.json()["token"]
    await client.get("/api/v1/me", headers=world.auth("newcomer"))
    await client.get("/api/v1/me")

    # A short auction, so that driving it to the end in 30-second steps stays quick.
    opens = kit_schedule(clock.now())[1]
    lot = await auction.create(bidding_closes_at=(opens + timedelta(minutes=10)).isoformat())
    terms = lot_terms(clock.now(), title_en="Land plot on Lenin street, 8 sotik")
    amended = await client.put(
        f"/api/v1/lots/{auction.lot_id}",
        json={**terms, "bidding_closes_at": lot["bidding_closes_at"]},
        headers=officer,
    )
    assert amended.status_code == 200, amended.text
    assert (await client.post("/api/v1/lots", json={"deal": "barter"}, headers=officer)).status_code == 422
    await auction.publish()
    await client.get("/api/v1/lots")
    await client.get(f"/api/v1/lots/{auction.lot_id}")
    await client.get(f"/api/v1/lots/{auction.lot_id}/versions")
    await client.get("/api/v1/lots/999999")
    await client.get(f"/api/v1/lots/{auction.lot_id}/auction")

    await auction.admit("bidder", "bidder2")
    await client.get(f"/api/v1/lots/{auction.lot_id}/applications", headers=officer)
    await client.get("/api/v1/me/applications", headers=world.auth("bidder"))
    await auction.bid("bidder", 100_000_00)  # before the opening: 409
    await auction.bid("officer_tokmok", 100_000_00)  # officials do not bid: 403

    other = await auction.create()
    rejected_lot = other["id"]
    auction.lot_id = rejected_lot
    await auction.publish()
    applied = await auction.apply("bidder")
    await client.post(
        f"/api/v1/applications/{applied.json()['id']}/reject",
        json={"reason": "The deposit never arrived."},
        headers=officer,
    )
    cancel = {"reason": "The building is condemned."}
    await client.post(f"/api/v1/lots/{rejected_lot}/cancel", json=cancel, headers=officer)  # live: two officials
    await client.post(f"/api/v1/lots/{rejected_lot}/cancellation", json=cancel, headers=officer)
    await client.get(f"/api/v1/lots/{rejected_lot}/cancellation", headers=officer)
    second = world.auth("officer2_tokmok")
    await client.post(f"/api/v1/lots/{rejected_lot}/cancellation/confirm", headers=second)
    auction.lot_id = lot["id"]

    clock.set(opens)
    await auction.tick()
    await client.get(f"/api/v1/lots/{auction.lot_id}/auction")
    assert (await auction.bid("bidder", 100_000_00)).status_code == 201
    await auction.bid("bidder2", 101_000_00)  # below the minimum: 422
    assert (await auction.bid("bidder2", 105_000_00)).status_code == 201
    await client.get(f"/api/v1/lots/{auction.lot_id}/auction")
    await auction.live_until(timedelta(minutes=10, seconds=30))
    await client.get(f"/api/v1/lots/{auction.lot_id}/bids")
    await client.get(f"/api/v1/lots/{auction.lot_id}/awards")
    await auction.act("bidder2", "award/sign", "award.signed", {"price": await auction.award_price()})
    await client.get("/api/me/keys", headers=world.auth("bidder2"))

    await auction.tick()
    checkpoints = (await client.get("/api/v1/ledger/checkpoints")).json()
    size = checkpoints[-1]["size"]
    await client.get("/api/v1/ledger/entries", params={"start": 0, "end": 5})
    await client.get(f"/api/v1/ledger/lots/{auction.lot_id}/entries")
    await client.get("/api/v1/ledger/proof/inclusion", params={"index": 1, "size": size})
    await client.get("/api/v1/ledger/proof/consistency", params={"size1": checkpoints[0]["size"], "size2": size})

    assert not answers.problems, "answers that differ from /schema:\n" + "\n".join(answers.problems)
    assert answers.seen >= EXPECTED, f"the scenario did not reach: {sorted(EXPECTED - answers.seen)}"
    # The live state leaves out what does not apply yet, and the schema allows exactly that.
    assert "opens_at" in answers.live_states[0]
    assert "closes_at" not in answers.live_states[0]
    assert {"closes_at", "minimum_next_bid"} <= set(answers.live_states[-1])
