"""All three auction formats end to end through the API, on PostgreSQL and SQLite, with the ledger verified."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.bidding.models import Bid
from auction.clock import FrozenClock
from auction.ledger.models import PendingEntry
from auction.ledger.verifier.municipal_rules import DEFAULT_RULES
from auction.ledger.verifier.note import split_note
from auction.ledger.verifier.refusal import Refusal
from auction.ledger.verifier.sealed import ciphertext_hash, encrypt_bid
from auction.ledger.verifier.verify import verify_bundle
from auction.settings import Settings
from tests.kit.commission import ApiCommission
from tests.kit.drive import Drive
from tests.kit.keys import api_application, api_signed
from tests.kit.ledger import keys_of
from tests.kit.world import World, lot_terms

Client = AsyncTestClient[Litestar]


class Auction:
    """Drives one lot through its life via the API, with the scheduler and integrator run on demand."""

    def __init__(
        self,
        client: Client,
        world: World,
        clock: FrozenClock,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
    ) -> None:
        self.client, self.world, self.clock, self.sessions = client, world, clock, sessions
        self.keys = keys_of(settings)
        self.drive = Drive(world)
        self.officer = world.auth("officer_tokmok")
        self.lot_id = 0
        self.opens_at = clock.now()
        self._commission: ApiCommission | None = None

    @property
    def commission(self) -> ApiCommission:
        """Both Tokmok officers, software members of a 2-of-2 commission of the sealed lot."""
        if self._commission is None or self._commission.lot_id != self.lot_id:
            names = ("officer_tokmok", "officer2_tokmok")
            self._commission = ApiCommission(self.client, self.world, self.lot_id, names)
        return self._commission

    async def publish_sealed(self) -> bytes:
        """Publish the sealed lot once its 2-of-2 commission has made the key; returns the joint key."""
        return await self.commission.publish()

    async def open_sealed(self) -> dict[str, Any]:
        """Both members post their decryption shares and the officer opens the lot; returns the outcome."""
        for name in self.commission.members:
            await self.commission.share(name)
        return await self.commission.open()

    async def create(self, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/lots", json=lot_terms(self.clock.now(), **overrides), headers=self.officer
        )
        assert response.status_code == 201, response.text
        self.lot_id = response.json()["id"]
        self.opens_at = datetime.fromisoformat(response.json()["bidding_opens_at"])
        return dict(response.json())

    async def publish(self) -> None:
        response = await self.client.post(f"/api/v1/lots/{self.lot_id}/publish", headers=self.officer)
        assert response.status_code == 200, response.text

    async def signed(self, who: str, action: str, fields: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """``who``'s signature on their next action on the lot, as an API client makes it."""
        return await api_signed(self.client, self.world, who, self.lot_id, action, fields)

    async def apply(self, who: str) -> Any:
        body = await api_application(self.client, self.world, who, self.lot_id)
        return await self.client.post(
            f"/api/v1/lots/{self.lot_id}/applications", json=body, headers=self.world.auth(who)
        )

    async def seal(self, who: str, ciphertext: str) -> Any:
        signed = await self.signed(who, "bid.sealed", {"ciphertext_hash": ciphertext_hash(ciphertext)})
        return await self.client.post(
            f"/api/v1/lots/{self.lot_id}/sealed-bids",
            json={"ciphertext": ciphertext, "signed": signed},
            headers={**self.world.auth(who), "Idempotency-Key": uuid.uuid4().hex},
        )

    async def act(self, who: str, path: str, action: str, fields: dict[str, Any] | None = None) -> Any:
        """A signed bidder action with no values of its own (award sign or decline)."""
        body = {"signed": await self.signed(who, action, fields)}
        return await self.client.post(f"/api/v1/lots/{self.lot_id}/{path}", json=body, headers=self.world.auth(who))

    async def withdraw(self, who: str) -> Any:
        body = {"signed": await self.signed(who, "bid.withdrawn")}
        return await self.client.request(
            "DELETE", f"/api/v1/lots/{self.lot_id}/sealed-bids", json=body, headers=self.world.auth(who)
        )

    async def accept(self, who: str, limit: int) -> Any:
        body = {"limit": limit, "signed": await self.signed(who, "bid.accepted", {"limit": limit})}
        return await self.client.post(
            f"/api/v1/lots/{self.lot_id}/accept",
            json=body,
            headers={**self.world.auth(who), "Idempotency-Key": uuid.uuid4().hex},
        )

    async def award_price(self) -> int:
        awards = (await self.client.get(f"/api/v1/lots/{self.lot_id}/awards")).json()
        return int(next(a["price"] for a in awards if a["status"] == "awaiting_signature"))

    async def admit(self, *bidders: str) -> None:
        for name in bidders:
            applied = await self.apply(name)
            assert applied.status_code == 201, applied.text
            confirmed = await self.client.post(
                f"/api/v1/applications/{applied.json()['id']}/confirm-deposit",
                json={"bank_reference": f"KICB-{name}"},
                headers=self.officer,
            )
            assert confirmed.status_code == 200, confirmed.text

    async def tick(self) -> None:
        await self.drive.tick()

    async def live_until(self, moment_offset: timedelta) -> None:
        """Advance to opens_at + offset in 30-second steps, so the platform is never seen as down."""
        lot = (await self.client.get(f"/api/v1/lots/{self.lot_id}")).json()
        await self.drive.live_until(datetime.fromisoformat(lot["bidding_opens_at"]) + moment_offset)

    async def bid(self, who: str, amount: int, key: str | None = None) -> Any:
        signed = await self.signed(who, "bid.placed", {"amount": amount}) if 0 < amount < 10**15 else None
        return await self.client.post(
            f"/api/v1/lots/{self.lot_id}/bids",
            json={"amount": amount, "signed": signed},
            headers={**self.world.auth(who), "Idempotency-Key": key or uuid.uuid4().hex},
        )

    async def state(self) -> dict[str, Any]:
        return dict((await self.client.get(f"/api/v1/lots/{self.lot_id}/auction")).json())

    async def verify(self, tmp_path: Path) -> None:
        await self.drive.verify(tmp_path)


@pytest.fixture
async def world(world: World) -> World:
    """The kit's world and a third bidder, so that there is a runner-up behind a tie."""
    await world.bidder("bidder3")
    return world


@pytest.fixture
def auction(
    client: Client, world: World, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> Auction:
    return Auction(client, world, clock, sessions, settings)


async def count_bids(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Bid)) or 0)


async def test_open_ascending_auction_end_to_end(auction: Auction, clock: FrozenClock, tmp_path: Path) -> None:
    await auction.create(soft_close_minutes=5, max_extension_minutes=30)
    await auction.publish()
    await auction.admit("bidder", "bidder2", "bidder3")
    early = await auction.bid("bidder", 100_000_00)
    assert early.status_code == 409
    assert (early.json()["code"], early.json()["params"]) == ("bid.lot_not_bidding", {"state": "published"})
    assert "published" in early.json()["message"]

    clock.set(auction.opens_at)
    await auction.tick()
    state = await auction.state()
    assert state["state"] == "bidding"
    assert state["minimum_next_bid"] == 100_000_00

    first = await auction.bid("bidder", 100_000_00)
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert receipt["amount"] == 100_000_00
    assert receipt["receipt"].startswith("achyk-receipt/v2\n")
    # The signed receipt names its entry: the lot's chain, its place in it, and what was done.
    assert f"\n{receipt['lot_id']}\n{json.loads(receipt['body'])['lot_seq']}\nbid.placed\n\n" in receipt["receipt"]
    low = await auction.bid("bidder2", 104_000_00)
    assert low.status_code == 422
    assert (low.json()["code"], low.json()["params"]) == ("bid.too_low", {"minimum_tyiyn": 105_000_00})
    assert low.json()["message"] == "The minimum bid now is 10500000 tyiyn."
    assert low.json()["problems"] == [
        {
            "field": "amount",
            "message": "The minimum bid now is 10500000 tyiyn.",
            "code": "bid.too_low",
            "params": {"minimum_tyiyn": 105_000_00},
        }
    ]
    assert (await auction.bid("bidder2", 105_000_00)).status_code == 201
    assert (await auction.bid("bidder3", 120_000_00)).status_code == 201
    state = await auction.state()
    assert (state["current_price"], state["bid_count"], state["minimum_next_bid"]) == (120_000_00, 3, 125_000_00)

    # A bid in the last five minutes moves the close five minutes past the bid.
    await auction.live_until(timedelta(hours=3) - timedelta(minutes=2))
    late = await auction.bid("bidder", 125_000_00)
    assert late.status_code == 201
    extended = (await auction.state())["closes_at"]
    assert extended == "2026-06-23T09:03:00.000000Z"

    await auction.live_until(timedelta(hours=3, minutes=2))
    assert (await auction.state())["state"] == "bidding"
    await auction.live_until(timedelta(hours=3, minutes=4))
    assert (await auction.state())["state"] == "awarded"
    awards = (await auction.client.get(f"/api/v1/lots/{auction.lot_id}/awards")).json()
    assert [(a["rank"], a["price"], a["status"]) for a in awards] == [
        (1, 125_000_00, "awaiting_signature"),
        (2, 120_000_00, "reserve"),
    ]
    after_close = await auction.bid("bidder2", 130_000_00)
    assert after_close.status_code == 409
    signed = await auction.act("bidder", "award/sign", "award.signed", {"price": await auction.award_price()})
    assert signed.json()["status"] == "signed", signed.text
    bids = (await auction.client.get(f"/api/v1/lots/{auction.lot_id}/bids")).json()
    assert [b["amount"] for b in bids] == [100_000_00, 105_000_00, 120_000_00, 125_000_00]
    await auction.verify(tmp_path)


async def test_bad_bids_are_refused_and_leave_no_trace(
    auction: Auction, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await auction.create()
    await auction.publish()
    await auction.admit("bidder")
    applied = await auction.apply("bidder2")
    assert applied.status_code == 201
    clock.set(auction.opens_at)
    await auction.tick()
    ok = await auction.bid("bidder", 100_000_00, key="same-key-0001")
    assert ok.status_code == 201
    async with sessions() as session:
        pending_before = int(await session.scalar(select(func.count()).select_from(PendingEntry)) or 0)
    cases: list[tuple[Any, int, str]] = [
        (auction.bid("bidder", 100_000_00), 422, "minimum bid"),
        # bidder2's application was never reviewed: the opening rejected it (running_rules.py).
        (auction.bid("bidder2", 200_000_00), 403, "rejected"),
        (auction.bid("bidder3", 200_000_00), 403, "Apply to this lot"),
        (auction.bid("officer_tokmok", 200_000_00), 403, "officials"),
        (auction.bid("bidder", -5), 422, "amount"),
        (auction.bid("bidder", 10**16), 422, "amount"),
        (auction.bid("bidder", 200_000_00, key="same-key-0001"), 409, "different bid"),
        (auction.bid("bidder", 200_000_00, key="short"), 422, "idempotency_key"),
        (
            auction.client.post(
                f"/api/v1/lots/{auction.lot_id}/bids",
                json={"amount": "lots"},
                headers={**auction.world.auth("bidder"), "Idempotency-Key": "k" * 10},
            ),
            422,
            "amount",
        ),
        (
            auction.client.post(
                f"/api/v1/lots/{auction.lot_id}/sealed-bids",
                json={"ciphertext": "x" * 20},
                headers={**auction.world.auth("bidder"), "Idempotency-Key": "k" * 11},
            ),
            409,
            "sealed",
        ),
    ]
    for call, status, words in cases:
        response = await call
        assert response.status_code == status, response.text
        assert words in response.text
    replay = await auction.bid("bidder", 100_000_00, key="same-key-0001")
    assert replay.status_code == 201
    assert replay.json() == ok.json()
    assert await count_bids(sessions) == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(PendingEntry)) == pending_before


async def test_sealed_bid_auction_opened_by_the_commission(
    auction: Auction, clock: FrozenClock, world: World, tmp_path: Path
) -> None:
    await auction.create(format="sealed_bid")
    plain = await auction.client.post(f"/api/v1/lots/{auction.lot_id}/publish", headers=auction.officer)
    assert plain.status_code == 422
    key = await auction.publish_sealed()
    entries = (await auction.client.get(f"/api/v1/ledger/lots/{auction.lot_id}/entries")).text
    assert "passphrase" not in entries
    await auction.admit("bidder", "bidder2", "bidder3")
    clock.set(auction.opens_at)
    await auction.tick()
    amounts = {"bidder": 130_000_00, "bidder2": 150_000_00, "bidder3": 150_000_00}
    pseudonyms = {}
    for name, amount in amounts.items():
        apps = (await auction.client.get("/api/v1/me/applications", headers=world.auth(name))).json()
        pseudonyms[name] = apps[0]["pseudonym"]
        ciphertext = encrypt_bid(key, auction.lot_id, pseudonyms[name], amount if name != "bidder" else 1)
        sent = await auction.seal(name, ciphertext)
        assert sent.status_code == 201, sent.text
        assert sent.json()["amount"] is None
    # A bidder replaces their sealed bid before the close.
    better = encrypt_bid(key, auction.lot_id, pseudonyms["bidder"], 130_000_00)
    assert (await auction.seal("bidder", better)).status_code == 201
    stolen = encrypt_bid(key, auction.lot_id, pseudonyms["bidder"], 999_000_00)
    forged = await auction.client.post(
        f"/api/v1/lots/{auction.lot_id}/sealed-bids",
        json={"ciphertext": stolen[:-4]},
        headers={**world.auth("bidder2"), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert forged.status_code == 422
    state = await auction.state()
    assert state["current_price"] is None
    assert state["bid_count"] is None  # how many sealed bids there are is confidential until they are opened
    officers_view = await auction.client.get(f"/api/v1/lots/{auction.lot_id}/auction", headers=auction.officer)
    assert officers_view.json()["bid_count"] == 4
    await auction.live_until(timedelta(hours=3, seconds=30))
    assert (await auction.state())["state"] == "closed"
    assert (await auction.client.get(f"/api/v1/lots/{auction.lot_id}/bids")).json() == []  # not even how many
    hidden = (await auction.client.get(f"/api/v1/lots/{auction.lot_id}/bids", headers=auction.officer)).json()
    assert len(hidden) == 4
    assert all(b["amount"] is None for b in hidden)

    await auction.commission.share("officer_tokmok")
    refused = await auction.client.post(f"/api/officer/lots/{auction.lot_id}/open", headers=auction.officer)
    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["params"]) == (
        "commission.quorum_not_met",
        {"needed": 2, "given": 1},
    )
    wrong = await auction.commission.share("officer2_tokmok", wrong=True, expect=422)
    # The refusal names the member whose share failed its proof.
    assert wrong["code"] == "commission.bad_share"
    assert wrong["params"]["member_id"] == world.user_ids["officer2_tokmok"]
    await auction.commission.share("officer2_tokmok")
    opened = await auction.client.post(f"/api/officer/lots/{auction.lot_id}/open", headers=auction.officer)
    assert opened.status_code == 200, opened.text
    # Equal amounts: the earlier submission wins.
    assert opened.json()["winner"] == pseudonyms["bidder2"]
    assert opened.json()["price"] == 150_000_00
    assert opened.json()["runner_up"] == pseudonyms["bidder3"]
    revealed = (await auction.client.get(f"/api/v1/lots/{auction.lot_id}/bids")).json()
    assert sorted(b["amount"] for b in revealed if b["status"] == "standing") == [130_000_00, 150_000_00, 150_000_00]
    await auction.verify(tmp_path)


async def test_descending_auction_the_only_acceptance_in_its_tick_wins(
    auction: Auction, clock: FrozenClock, world: World, tmp_path: Path
) -> None:
    await auction.create(format="descending", floor_price=50_000_00, price_drop_interval_seconds=60)
    await auction.publish()
    await auction.admit("bidder", "bidder2")
    clock.set(auction.opens_at)
    await auction.tick()
    await auction.live_until(timedelta(minutes=3, seconds=10))
    assert (await auction.state())["current_price"] == 100_000_00 - 3 * 5_000_00
    accepted = await auction.accept("bidder2", 85_000_00)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["amount"] == 85_000_00
    # The tie window ends with the tick (4 min after the opening); an acceptance after it is too late.
    await auction.live_until(timedelta(minutes=4))
    late = await auction.accept("bidder", 80_000_00)
    assert late.status_code == 409
    await auction.tick()
    await auction.tick()
    awards = (await auction.client.get(f"/api/v1/lots/{auction.lot_id}/awards")).json()
    assert [(a["rank"], a["price"]) for a in awards] == [(1, 85_000_00)]
    await auction.verify(tmp_path)


async def test_declined_award_passes_to_the_runner_up_and_expiry_lapses_it(
    auction: Auction, clock: FrozenClock, world: World, tmp_path: Path
) -> None:
    await auction.create()
    await auction.publish()
    await auction.admit("bidder", "bidder2")
    clock.set(auction.opens_at)
    await auction.tick()
    await auction.bid("bidder", 100_000_00)
    await auction.bid("bidder2", 110_000_00)
    await auction.live_until(timedelta(hours=3, seconds=30))
    declined = await auction.act("bidder2", "award/decline", "award.declined")
    assert declined.status_code == 200, declined.text
    assert declined.json()["passed_to"]["price"] == 100_000_00
    clock.advance(timedelta(days=DEFAULT_RULES.sign_days + 1))
    await auction.tick()
    awards = (await auction.client.get(f"/api/v1/lots/{auction.lot_id}/awards")).json()
    assert [a["status"] for a in awards] == ["declined", "expired"]
    kinds = [
        e["kind"]
        for e in (await auction.client.get(f"/api/v1/ledger/lots/{auction.lot_id}/entries")).json()["integrated"]
    ]
    # The protocol is issued with the award; the winner who walks away forfeits the deposit, the runner-up whose
    # passed award expires does not (it never promised to buy at its own price: awards.py).
    assert kinds[-7:] == [
        "award.made",
        "protocol.issued",
        "award.declined",
        "deposit.forfeited",
        "award.passed",
        "award.expired",
        "award.lapsed",
    ]
    await auction.verify(tmp_path)


async def test_no_bids_fails_the_lot(auction: Auction, clock: FrozenClock, tmp_path: Path) -> None:
    await auction.create()
    await auction.publish()
    clock.set(auction.opens_at)
    await auction.tick()
    await auction.live_until(timedelta(hours=3, seconds=30))
    assert (await auction.state())["state"] == "failed"
    await auction.verify(tmp_path)


async def test_an_outage_in_the_final_minutes_extends_the_close(
    auction: Auction, clock: FrozenClock, tmp_path: Path
) -> None:
    await auction.create(soft_close_minutes=5)
    await auction.publish()
    await auction.admit("bidder", "bidder2")
    clock.set(auction.opens_at)
    await auction.tick()
    await auction.bid("bidder", 100_000_00)
    await auction.live_until(timedelta(hours=3) - timedelta(minutes=4))
    # Nothing ran for three minutes (database unreachable, every process down), across the scheduled close.
    clock.advance(timedelta(minutes=3, seconds=30))
    await auction.tick()
    state = await auction.state()
    assert state["state"] == "bidding"
    assert state["closes_at"] == "2026-06-23T09:04:30.000000Z"
    chain = (await auction.client.get(f"/api/v1/ledger/lots/{auction.lot_id}/entries")).json()["integrated"]
    outage = [e for e in chain if e["kind"] == "auction.extended"]
    assert len(outage) == 1
    assert '"reason":"outage"' in outage[0]["leaf"]
    assert (await auction.bid("bidder2", 105_000_00)).status_code == 201
    await auction.live_until(timedelta(hours=3, minutes=10))
    assert (await auction.state())["state"] == "awarded"
    await auction.verify(tmp_path)


async def test_a_failed_lot_is_repeated_at_a_capped_reduction(auction: Auction, clock: FrozenClock) -> None:
    await auction.create(deposit=10_000_01)
    await auction.publish()
    clock.set(auction.opens_at)
    await auction.tick()
    await auction.live_until(timedelta(hours=3, seconds=30))
    assert (await auction.state())["state"] == "failed"
    terms = lot_terms(clock.now())
    schedule = {name: terms[name] for name in ("applications_close_at", "bidding_opens_at", "bidding_closes_at")}
    too_deep = await auction.client.post(
        f"/api/v1/lots/{auction.lot_id}/repeat", json={"reduction_percent": 60, **schedule}, headers=auction.officer
    )
    assert too_deep.status_code == 422
    assert "at most 25%" in too_deep.json()["message"]
    assert too_deep.json()["params"]["max_percent"] == 25
    repeat = await auction.client.post(
        f"/api/v1/lots/{auction.lot_id}/repeat", json={"reduction_percent": 25, **schedule}, headers=auction.officer
    )
    assert repeat.status_code == 201, repeat.text
    lot = repeat.json()
    assert (lot["state"], lot["repeat_of_lot_id"]) == ("draft", auction.lot_id)
    assert (lot["starting_price"], lot["bid_step"], lot["deposit"]) == (75_000_00, 3_750_00, 7_500_00)
    again = await auction.client.post(
        f"/api/v1/lots/{lot['id']}/repeat", json={"reduction_percent": 10, **schedule}, headers=auction.officer
    )
    assert again.status_code == 409
    published = await auction.client.post(f"/api/v1/lots/{lot['id']}/publish", headers=auction.officer)
    assert published.status_code == 200
    chain = (await auction.client.get(f"/api/v1/ledger/lots/{lot['id']}/entries")).json()["pending"]
    assert f'"repeat_of":{auction.lot_id}' in chain[0]["body"]


async def test_material_amendment_after_applications_requires_reopening(auction: Auction, clock: FrozenClock) -> None:
    await auction.create()
    await auction.publish()
    await auction.admit("bidder")
    cheaper = lot_terms(clock.now(), starting_price=90_000_00, reason="Valuation revised")
    refused = await auction.client.put(f"/api/v1/lots/{auction.lot_id}", json=cheaper, headers=auction.officer)
    assert refused.status_code == 409
    assert "reopening applications" in refused.json()["message"]
    short = {
        **cheaper,
        "reopen_applications": True,
        "applications_close_at": (clock.now() + timedelta(days=1)).isoformat(),
    }
    assert (
        await auction.client.put(f"/api/v1/lots/{auction.lot_id}", json=short, headers=auction.officer)
    ).status_code == 422
    reopened = {**cheaper, "reopen_applications": True}
    ok = await auction.client.put(f"/api/v1/lots/{auction.lot_id}", json=reopened, headers=auction.officer)
    assert ok.status_code == 200, ok.text
    sealed = {**lot_terms(clock.now(), format="sealed_bid"), "reason": "Make it sealed"}
    changed = await auction.client.put(f"/api/v1/lots/{auction.lot_id}", json=sealed, headers=auction.officer)
    assert changed.status_code == 409
    assert "format cannot change" in changed.json()["message"]


def check_action_receipt(bundle: Path, answer: dict[str, Any], kind: str, lot_id: int) -> None:
    """An API answer's receipt names its entry and passes the offline verifier against the exported ledger."""
    if isinstance(answer["receipt"], str):  # a bid's answer is its receipt, flat (BidReceiptOut)
        receipt = answer
        body = json.loads(receipt["body"])
    else:
        receipt = answer["receipt"]
        body = json.loads(receipt["body"])
        assert (receipt["kind"], receipt["lot_seq"]) == (kind, body["lot_seq"])
    assert (receipt["lot_id"], body["kind"], body["lot"]) == (lot_id, kind, lot_id)
    assert receipt["receipt"].startswith("achyk-receipt/v2\n")
    assert f"\n{receipt['body_hash']}\n" in receipt["receipt"]
    assert f"\n{lot_id}\n{body['lot_seq']}\n{kind}\n\n" in receipt["receipt"]
    report = verify_bundle(bundle, receipt=receipt["receipt"])
    assert report.ok, report.text()


async def test_every_bidder_action_answers_with_a_receipt_for_its_entry(
    auction: Auction, clock: FrozenClock, world: World, tmp_path: Path
) -> None:
    """Application, sealed bid, replacement, withdrawal, award refusal and signature: each answer has a receipt
    that names the entry it wrote and that the offline verifier accepts against the exported ledger."""
    await auction.create(format="sealed_bid")
    key = await auction.publish_sealed()
    answers: list[tuple[str, dict[str, Any]]] = []
    pseudonyms = {}
    for name in ("bidder", "bidder2", "bidder3"):
        applied = await auction.apply(name)
        assert applied.status_code == 201, applied.text
        answers.append(("application.submitted", applied.json()))
        pseudonyms[name] = applied.json()["pseudonym"]
        confirmed = await auction.client.post(
            f"/api/v1/applications/{applied.json()['id']}/confirm-deposit",
            json={"bank_reference": f"KICB-{name}"},
            headers=auction.officer,
        )
        assert confirmed.status_code == 200, confirmed.text
    await auction.drive.integrate()  # within the promised merge delay, before the clock jumps ahead
    clock.set(auction.opens_at)
    await auction.tick()

    async def seal(name: str, amount: int) -> dict[str, Any]:
        sent = await auction.seal(name, encrypt_bid(key, auction.lot_id, pseudonyms[name], amount))
        assert sent.status_code == 201, sent.text
        return dict(sent.json())

    await seal("bidder", 120_000_00)
    await seal("bidder2", 130_000_00)
    answers.append(("bid.sealed", await seal("bidder2", 140_000_00)))  # a replacement
    await seal("bidder3", 125_000_00)
    withdrawn = await auction.withdraw("bidder3")
    assert withdrawn.status_code == 200, withdrawn.text
    answers.append(("bid.withdrawn", withdrawn.json()))
    await auction.live_until(timedelta(hours=3, seconds=30))
    await auction.open_sealed()
    declined = await auction.act("bidder2", "award/decline", "award.declined")
    assert declined.status_code == 200, declined.text
    answers.append(("award.declined", declined.json()))
    signed = await auction.act("bidder", "award/sign", "award.signed", {"price": await auction.award_price()})
    assert signed.status_code == 200, signed.text
    answers.append(("award.signed", signed.json()))
    await auction.tick()
    bundle = await auction.drive.export(tmp_path)
    for kind, answer in answers:
        check_action_receipt(bundle, answer, kind, auction.lot_id)


async def test_a_refused_bid_answers_with_a_signed_refusal_the_verifier_accepts(
    auction: Auction, clock: FrozenClock, world: World, tmp_path: Path
) -> None:
    """Turned away, the bidder keeps the log's signed statement of lot, action, request, code and time."""
    await auction.create()
    await auction.publish()
    await auction.admit("bidder")
    await auction.drive.integrate()
    clock.set(auction.opens_at)
    await auction.tick()
    sent = b'{"amount": 100}'
    low = await auction.client.post(
        f"/api/v1/lots/{auction.lot_id}/bids",
        content=sent,
        headers={**world.auth("bidder"), "Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"},
    )
    assert low.status_code == 422, low.text
    note = low.json()["refusal"]
    refusal = Refusal.parse(split_note(note)[0])
    assert (refusal.lot, refusal.action, refusal.code) == (auction.lot_id, "bid.place", "bid.too_low")
    assert refusal.request_hash == hashlib.sha256(sent).hexdigest()
    assert refusal.refused_at == clock.now()
    report = verify_bundle(await auction.drive.export(tmp_path), refusal=note)
    assert report.ok, report.text()
    assert report.notes[-1].startswith(f"refusal: the log signed that it refused bid.place on lot {auction.lot_id}")
    # Nobody to prove anything to: an anonymous caller gets the refusal code but no signed statement.
    anonymous = await auction.client.post(f"/api/v1/lots/{auction.lot_id}/applications", json={})
    assert anonymous.status_code == 401
    assert "refusal" not in anonymous.json()
