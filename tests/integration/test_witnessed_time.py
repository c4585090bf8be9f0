"""Time someone else vouches for (docs/witnesses.md §5), played through the real services on both backends.

The witnesses' side (the Cosigner filling `ledger_witnessed` and `ledger_witness_health`) is another part's; here
the test writes those rows itself, as that part's data contract says, and plays the operator who sets the clock back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from auction.bidding.auction import AuctionService
from auction.bidding.models import AuctionClock, Bid, BidStatus, SchedulerPulse
from auction.bidding.scheduler import PULSE_ID, AuctionScheduler
from auction.clock import as_utc
from auction.db.engine import transaction
from auction.errors import Conflict, Unavailable
from auction.ledger.admission import LedgerWriter
from auction.ledger.models import SignedCheckpoint, WitnessedCheckpoint, WitnessHealth
from auction.ledger.verifier.bundle import read_bundle
from auction.ledger.verifier.entry import Body, Leaf, parse_leaf
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.report import Finding
from auction.ledger.verifier.verify import verify_bundle
from auction.ledger.verifier.witnessing import PolicyWitness, Witnessing, WitnessKey
from auction.ledger.witness_config import WitnessConfig
from auction.ledger.witness_policy import record_witness_policy
from auction.ledger.witnessed_time import witness_clock
from tests.kit.drive import Drive
from tests.kit.ledger import forge_bundle, records_of
from tests.kit.world import World

GRACE = 10
WITNESSES = WitnessConfig(
    witnesses=(PolicyWitness(WitnessKey.of("witness.audit.test", Ed25519PrivateKey.generate())),),
    quorum=1,
    grace_seconds=GRACE,
    timeout_seconds=1.0,
)
SEC = timedelta(seconds=1)


@pytest.fixture(autouse=True)
async def witnesses_in_force(world: World) -> None:
    """The platform chain says these witnesses are in force before any lot opens, as start-up logs it."""
    assert await record_witness_policy(world.sessions, world.keys, world.clock, WITNESSES) is not None


async def witness_all(world: World, at: datetime | None = None) -> None:
    """The witnesses cosign every signed checkpoint not yet witnessed: at `at`, or when it was signed."""
    async with transaction(world.sessions) as session:
        done = set(await session.scalars(select(WitnessedCheckpoint.checkpoint_id)))
        checkpoints = [c for c in await session.scalars(select(SignedCheckpoint)) if c.id not in done]
        for checkpoint in checkpoints:
            when = at if at is not None else as_utc(checkpoint.signed_at)
            session.add(WitnessedCheckpoint(checkpoint_id=checkpoint.id, size=checkpoint.size, witnessed_at=when))
        health = await session.get(WitnessHealth, 1)
        assert health is not None, "migration 0005 creates the health row"
        if checkpoints:
            health.witnessed_size = max(health.witnessed_size, *(c.size for c in checkpoints))


async def set_health(world: World, **fields: datetime | None) -> None:
    async with transaction(world.sessions) as session:
        health = await session.get(WitnessHealth, 1)
        assert health is not None
        for name, value in fields.items():
            setattr(health, name, value)


async def alive(world: World) -> None:
    """The scheduler ran a moment ago (tests run no background jobs, so the test says when it was alive)."""
    async with transaction(world.sessions) as session:
        pulse = await session.get(SchedulerPulse, PULSE_ID)
        assert pulse is not None
        pulse.last_alive = world.clock.now()


async def tick(world: World, drive: Drive) -> None:
    await drive.integrate()
    await AuctionScheduler(world.sessions, world.keys, world.clock, witnesses=WITNESSES).tick()
    await drive.integrate()


async def bid(world: World, lot_id: int, who: str, amount: int) -> int:
    """An open bid through a service that judges time by the witnesses; the bid's id."""
    bidder = await world.user(who)
    async with transaction(world.sessions) as session:
        ledger = LedgerWriter(session, world.keys, world.clock, witnesses=WITNESSES)
        signed = await world.signed(who, lot_id, "bid.placed", {"amount": amount}, session=session)
        receipt = await AuctionService(session, world.clock, ledger).place_bid(
            bidder, lot_id, amount, uuid.uuid4().hex, signed
        )
        return receipt.bid_id


async def closes_at(world: World, lot_id: int) -> datetime:
    async with world.sessions() as session:
        clock = await session.get(AuctionClock, lot_id)
        assert clock is not None
        return as_utc(clock.closes_at)


def lot_bodies(path: Path, lot_id: int) -> list[Body]:
    with read_bundle(path) as bundle:
        return [body for body in (parse_leaf(raw).body for raw in bundle.entries()) if body.lot == lot_id]


async def witnessing_of(world: World) -> Witnessing:
    async with world.sessions() as session:
        return Witnessing(await witness_clock(session), GRACE)


def witnessed_replay(witnessing: Witnessing) -> object:
    def run(leaves: Iterable[Leaf], _: Witnessing | None) -> list[Finding]:
        return replay(leaves, witnessing)

    return run


async def test_a_bid_back_dated_by_a_clock_set_back_is_late_and_wins_nothing(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    await world.bidder("bidder3")
    lot_id = await world.lot(stage="bidding", bidders=("bidder", "bidder2", "bidder3"))
    close = await closes_at(world, lot_id)
    await bid(world, lot_id, "bidder", 100_000_00)
    world.clock.set(close - timedelta(minutes=20))
    await bid(world, lot_id, "bidder3", 105_000_00)
    await drive.integrate()
    await witness_all(world)

    # The honest late bid is refused: the close has passed.
    world.clock.set(close + SEC)
    with pytest.raises(Conflict) as refused:
        await bid(world, lot_id, "bidder", 115_000_00)
    assert refused.value.code == "bid.too_late"

    # The operator sets the server's clock back 31 s; the colluder's bid goes in "before" the close.
    world.clock.set(close + SEC - timedelta(seconds=31))
    colluder = await bid(world, lot_id, "bidder2", 110_000_00)
    await drive.integrate()
    # ... but the witnesses cosigned the tree holding it only 31 s after the close.
    await witness_all(world, at=close + timedelta(seconds=31))

    extended = await closes_at(world, lot_id)  # the back-dated bid fell in the soft-close window
    world.clock.set(extended + SEC)
    await alive(world)
    await tick(world, drive)

    path = await drive.export(tmp_path)
    bodies = lot_bodies(path, lot_id)
    colluder_body = next(b for b in bodies if b.kind == "bid.placed" and b.payload["amount"] == 110_000_00)
    assert colluder_body.at_datetime < close
    closed = next(b for b in bodies if b.kind == "auction.closed")
    assert closed.payload["late"] == [colluder_body.lot_seq]
    award = next(b for b in bodies if b.kind == "award.made")
    async with world.sessions() as session:
        row = await session.get(Bid, colluder)
        assert row is not None
        assert row.status == BidStatus.LATE
        third = await drive.pseudonym(lot_id, "bidder3")
    assert (award.payload["winner"], award.payload["price"]) == (third, 105_000_00)
    assert award.payload["bid_count"] == 2

    witnessing = await witnessing_of(world)
    report = verify_bundle(path, replay=witnessed_replay(witnessing))  # type: ignore[arg-type]
    assert report.ok, report.text()

    # The operator's version: the late bid counts (dropped from `late`), re-signed with the log key.
    records = records_of(path)
    for record in records:
        if record["lot"] == lot_id and record["kind"] == "auction.closed":
            record["payload"] = {k: v for k, v in record["payload"].items() if k != "late"}
    forged = forge_bundle(records, world.keys, tmp_path / "forged.zip")
    report = verify_bundle(forged, replay=witnessed_replay(witnessing))  # type: ignore[arg-type]
    assert not report.ok
    assert report.failure is not None
    assert "was first witnessed at" in report.failure.reason
    assert "after the close" in report.failure.reason


async def test_binding_actions_are_refused_while_time_cannot_be_witnessed(world: World, drive: Drive) -> None:
    lot_id = await world.lot(stage="bidding")
    now = world.clock.now()

    await set_health(world, unwitnessed_since=now - timedelta(seconds=GRACE + 1))
    with pytest.raises(Unavailable) as refused:
        await bid(world, lot_id, "bidder", 100_000_00)
    assert (refused.value.code, refused.value.retry_after) == ("ledger.unwitnessed", 60)

    await set_health(world, unwitnessed_since=now - timedelta(seconds=GRACE))  # within the grace: still fine
    await bid(world, lot_id, "bidder", 100_000_00)

    await set_health(world, unwitnessed_since=None, witnessed_until=now + timedelta(seconds=GRACE + 1))
    with pytest.raises(Unavailable) as refused:
        await bid(world, lot_id, "bidder2", 105_000_00)
    assert (refused.value.code, refused.value.retry_after) == ("ledger.clock_behind", 60)


async def test_a_witness_outage_in_the_final_window_extends_the_close(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    lot_id = await world.lot(stage="bidding")
    await bid(world, lot_id, "bidder", 100_000_00)
    close = await closes_at(world, lot_id)
    world.clock.set(close - timedelta(minutes=2))
    await drive.integrate()
    await witness_all(world)
    await alive(world)
    await set_health(world, unwitnessed_since=close - timedelta(minutes=2))

    world.clock.set(close + timedelta(minutes=1))  # past the close, while the witnesses are unreachable
    await tick(world, drive)
    assert (await drive.lot(lot_id)).state.value == "bidding", "no close while time cannot be witnessed"

    await set_health(world, unwitnessed_since=None)  # the witnesses are back
    await witness_all(world)
    back = close + timedelta(minutes=2)
    world.clock.set(back)
    await tick(world, drive)

    lot = await drive.lot(lot_id)
    assert lot.state.value == "bidding"
    assert await closes_at(world, lot_id) == back + timedelta(minutes=lot.soft_close_minutes)
    extension = [b for b in lot_bodies(await drive.export(tmp_path), lot_id) if b.kind == "auction.extended"][-1]
    assert extension.payload["reason"] == "outage"
    assert extension.payload["outage_from"] == (close - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
