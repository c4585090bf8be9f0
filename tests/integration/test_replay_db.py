"""The auction replay over bundles the real platform exported: honest auctions of every format replay clean."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from auction.clock import FrozenClock
from auction.ledger.queries import LedgerReader
from auction.ledger.verifier.bundle import read_bundle
from auction.ledger.verifier.cli import main as verifier_main
from auction.ledger.verifier.entry import Leaf, parse_leaf
from auction.ledger.verifier.note import format_vkey
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.sealed import encrypt_bid
from auction.ledger.verifier.verify import verify_bundle
from tests.integration import test_bidding_api as api
from tests.kit.ledger import integrate
from tests.kit.policy import write_policy
from tests.kit.world import World

# The API flows' fixtures, re-exported so that pytest finds them here.
world = api.world
auction = api.auction


async def exported(drive: api.Auction, tmp_path: Path) -> tuple[Path, list[Leaf]]:
    await integrate(drive.sessions, drive.keys, drive.clock)
    path = tmp_path / "bundle.zip"
    async with drive.sessions() as session:
        await LedgerReader(session, drive.keys).export(path)
    with read_bundle(path) as bundle:
        leaves = [parse_leaf(raw) for raw in bundle.entries()]
    # The inspector's policy pins the platform's log key (no witnesses in these flows).
    write_policy(policy_beside(path), [format_vkey(drive.keys.key_name, drive.keys.public_key)])
    return path, leaves


def policy_beside(bundle: Path) -> Path:
    return bundle.with_name(bundle.name + ".policy")


def kinds_of(leaves: list[Leaf], lot_id: int) -> list[str]:
    return [leaf.body.kind for leaf in leaves if leaf.body.lot == lot_id]


def assert_replays_clean(path: Path, leaves: list[Leaf]) -> None:
    assert replay(leaves) == []
    report = verify_bundle(path, replay=replay)
    assert report.ok, report.text()
    assert "auction replay found nothing wrong" in report.notes
    assert verifier_main([str(path), "--policy", str(policy_beside(path))], replay=replay) == 0


async def test_open_auction_with_soft_close_and_runner_up_replays_clean(
    auction: api.Auction, clock: FrozenClock, world: World, tmp_path: Path
) -> None:
    await auction.create(soft_close_minutes=5, max_extension_minutes=30)
    await auction.publish()
    await auction.admit("bidder", "bidder2", "bidder3")
    clock.set(auction.opens_at)
    await auction.tick()
    for who, amount in (("bidder", 100_000_00), ("bidder2", 105_000_00), ("bidder3", 120_000_00)):
        assert (await auction.bid(who, amount)).status_code == 201
    await auction.live_until(timedelta(hours=3) - timedelta(minutes=2))
    assert (await auction.bid("bidder", 125_000_00)).status_code == 201
    await auction.live_until(timedelta(hours=3, minutes=2))
    assert (await auction.bid("bidder2", 130_000_00)).status_code == 201
    await auction.live_until(timedelta(hours=3, minutes=10))
    assert (await auction.state())["state"] == "awarded"
    assert (await auction.act("bidder2", "award/decline", "award.declined")).status_code == 200
    price = await auction.award_price()
    assert (await auction.act("bidder", "award/sign", "award.signed", {"price": price})).status_code == 200

    path, leaves = await exported(auction, tmp_path)
    kinds = kinds_of(leaves, auction.lot_id)
    assert kinds.count("auction.extended") == 2
    assert kinds[-7:] == [
        "award.made",
        "protocol.issued",
        "award.declined",
        "deposit.forfeited",
        "award.passed",
        "award.signed",
        "contract.concluded",
    ]
    assert_replays_clean(path, leaves)


async def test_sealed_auction_replays_clean(
    auction: api.Auction, clock: FrozenClock, world: World, tmp_path: Path
) -> None:
    await auction.create(format="sealed_bid")
    key = await auction.publish_sealed()
    await auction.admit("bidder", "bidder2", "bidder3")
    clock.set(auction.opens_at)
    await auction.tick()
    pseudonyms = {}
    for name in ("bidder", "bidder2", "bidder3"):
        apps = (await auction.client.get("/api/v1/me/applications", headers=world.auth(name))).json()
        pseudonyms[name] = apps[0]["pseudonym"]

    async def seal(name: str, amount: int) -> None:
        sent = await auction.seal(name, encrypt_bid(key, auction.lot_id, pseudonyms[name], amount))
        assert sent.status_code == 201, sent.text

    await seal("bidder", 1)
    await seal("bidder2", 150_000_00)
    await seal("bidder3", 150_000_00)
    await seal("bidder", 130_000_00)  # replaces the first
    await auction.live_until(timedelta(hours=3, seconds=30))
    outcome = await auction.open_sealed()
    assert outcome["winner"] == pseudonyms["bidder2"]

    path, leaves = await exported(auction, tmp_path)
    assert kinds_of(leaves, auction.lot_id)[-6:] == [
        "auction.closed",
        "sealed.share",
        "sealed.share",
        "sealed.opened",
        "award.made",
        "protocol.issued",
    ]
    assert_replays_clean(path, leaves)


async def test_descending_outage_and_failed_lots_replay_clean(
    auction: api.Auction, clock: FrozenClock, world: World, tmp_path: Path
) -> None:
    # A Dutch auction taken by the second bidder.
    await auction.create(format="descending", floor_price=50_000_00, price_drop_interval_seconds=60)
    await auction.publish()
    await auction.admit("bidder", "bidder2")
    dutch = auction.lot_id
    # An open auction with an outage across its close, and one with no bids, on the same schedule.
    await auction.create(soft_close_minutes=5)
    await auction.publish()
    await auction.admit("bidder", "bidder2")
    outage = auction.lot_id
    await auction.create()
    await auction.publish()
    failed = auction.lot_id

    clock.set(auction.opens_at)
    await auction.tick()
    await auction.live_until(timedelta(minutes=3, seconds=10))
    auction.lot_id = dutch
    accepted = await auction.accept("bidder2", 85_000_00)
    assert accepted.status_code == 201, accepted.text
    auction.lot_id = outage
    assert (await auction.bid("bidder", 100_000_00)).status_code == 201
    await auction.live_until(timedelta(hours=3) - timedelta(minutes=4))
    clock.advance(timedelta(minutes=3, seconds=30))  # nothing ran across the scheduled close
    await auction.tick()
    assert (await auction.bid("bidder2", 105_000_00)).status_code == 201
    await auction.live_until(timedelta(hours=3, minutes=10))

    path, leaves = await exported(auction, tmp_path)
    assert kinds_of(leaves, dutch)[-4:] == ["bid.accepted", "auction.closed", "award.made", "protocol.issued"]
    outage_kinds = kinds_of(leaves, outage)
    assert "auction.extended" in outage_kinds
    assert outage_kinds[-2:] == ["award.made", "protocol.issued"]
    assert kinds_of(leaves, failed)[-2:] == ["award.failed", "protocol.issued"]
    assert_replays_clean(path, leaves)
