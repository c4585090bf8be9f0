"""A database outage longer than the merge delay: the log records an incident, and honest receipts stay honest.

The integrator meets an unreachable database (a real connection refused), the clock moves past the receipts'
promised deadline, the database is back: the batch that integrates the late bid carries a signed ledger.incident,
and the verifier reports the receipt as integrated late under that incident, not as tampering. A late
integration without an incident, or with one added afterwards, still fails with exit 1.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from auction.clock import FrozenClock
from auction.db.engine import make_engine, make_sessionmaker
from auction.db.outage import is_outage
from auction.ledger.integrator import Integrator
from auction.ledger.models import SignedCheckpoint
from auction.ledger.queries import LedgerReader
from auction.ledger.verifier.bundle import read_bundle
from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.incident import DELAYED, INCIDENT_KIND
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.report import EXIT_OK, EXIT_TAMPERED
from auction.ledger.verifier.verify import verify_bundle
from tests.kit.drive import Drive
from tests.kit.ledger import forge_bundle, records_of
from tests.kit.world import World

OUTAGE = timedelta(seconds=90)  # beyond the 60 s the receipts promise
UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:9/achyk_nowhere"


async def outage_passes(world: World, clock: FrozenClock) -> None:
    """The integrator's database is unreachable for longer than the merge delay."""
    engine = make_engine(UNREACHABLE)
    try:
        with pytest.raises(Exception) as failed:
            await Integrator(make_sessionmaker(engine), world.keys, clock).integrate_batch()
        assert is_outage(failed.value), repr(failed.value)
    finally:
        await engine.dispose()
    clock.advance(OUTAGE)


async def export(world: World, path: Path) -> Path:
    async with world.sessions() as session:
        await LedgerReader(session, world.keys).export(path)
    return path


async def test_an_outage_is_recorded_and_the_receipt_is_reported_as_covered(
    world: World, drive: Drive, clock: FrozenClock, tmp_path: Path
) -> None:
    lot_id = await world.lot("bidding")
    await drive.integrate()
    receipt = await drive.bid(lot_id, "bidder", 100_000_00)
    await outage_passes(world, clock)

    assert await Integrator(world.sessions, world.keys, clock).integrate_all() == 2  # the bid and the incident
    bundle = await export(world, tmp_path / "bundle.zip")

    with read_bundle(bundle) as opened:
        *_, bid, incident = [parse_leaf(raw) for raw in opened.entries()]
    assert (bid.body.kind, incident.body.kind, incident.body.lot) == ("bid.placed", INCIDENT_KIND, None)
    assert incident.body.payload == {
        "from": format_time(receipt.placed_at),
        "to": incident.integrated_at,
        "reason": DELAYED,
        "first": bid.index,
        "last": bid.index,
    }
    assert incident.integrated_at == bid.integrated_at == format_time(clock.now())
    report = verify_bundle(bundle, receipt=receipt.receipt, replay=replay)
    assert report.exit_code == EXIT_OK, report.text()
    assert report.warnings == [
        f"receipt: body {receipt.body_hash} is entry {bid.index}, integrated late at {bid.integrated_at}, 90 s after "
        f"its admission at {bid.body.at} (the receipt promised integration within 60 s, by "
        f"{format_time(receipt.placed_at + timedelta(seconds=60))}), covered by recorded incident at index "
        f"{incident.index} (integration delayed: outage from {bid.body.at} to {incident.integrated_at})"
    ]
    assert "\nWARNING: receipt: " in report.text()


async def test_a_late_integration_without_an_incident_is_still_a_failure(
    world: World, drive: Drive, clock: FrozenClock, tmp_path: Path
) -> None:
    lot_id = await world.lot("bidding")
    await drive.integrate()
    receipt = await drive.bid(lot_id, "bidder", 100_000_00)
    await outage_passes(world, clock)
    # An integrator that keeps no record of its delay, as before incidents existed.
    silent = Integrator(world.sessions, world.keys, clock, max_merge_delay_seconds=10**6)
    assert await silent.integrate_all() == 1
    bundle = await export(world, tmp_path / "bundle.zip")

    report = verify_bundle(bundle, receipt=receipt.receipt, replay=replay)
    assert report.exit_code == EXIT_TAMPERED
    assert report.failure is not None
    assert "90 s after its admission" in report.failure.reason

    # The operator adds the excuse afterwards and re-signs the whole log with the log key. The checkpoint the
    # inspector verified before (--since) holds the late bid without the incident: no cover, still exit 1.
    async with world.sessions() as session:
        seen_before = await session.scalar(select(SignedCheckpoint.note).order_by(SignedCheckpoint.id.desc()))
    assert seen_before is not None
    records = records_of(bundle)
    late = len(records) - 1
    stamp = records[late]["integrated_at"]
    excuse = {"from": records[late]["at"], "to": stamp, "reason": DELAYED, "first": late, "last": late}
    records.append(
        {"kind": INCIDENT_KIND, "lot": None, "at": stamp, "actor": "system", "payload": excuse, "integrated_at": stamp}
    )
    forged = forge_bundle(records, world.keys, tmp_path / "forged.zip")
    report = verify_bundle(forged, receipt=receipt.receipt, since=seen_before, replay=replay)
    assert report.exit_code == EXIT_TAMPERED, report.text()
    assert report.failure is not None
    assert "90 s after its admission" in report.failure.reason
    # An excuse that names entries further back than the batch it ends is malformed on its own.
    records[-1]["payload"] = {**excuse, "first": late - 1, "last": late - 1}
    replayed = verify_bundle(forge_bundle(records, world.keys, tmp_path / "forged2.zip"), replay=replay)
    assert replayed.failure is not None
    assert "must end right before the incident itself" in replayed.failure.reason
