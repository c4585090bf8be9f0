"""Hosts' clocks differ: a host whose clock lags integrates bodies another host admitted "in its future"."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from auction.clock import FrozenClock, as_utc
from auction.db.engine import transaction
from auction.ledger.admission import LedgerWriter
from auction.ledger.integrator import Integrator
from auction.ledger.models import LedgerEntry
from auction.ledger.verifier.entry import parse_leaf
from auction.lots.schemas import LotCreate
from auction.lots.service import LotService
from tests.kit.drive import Drive
from tests.kit.world import World, lot_terms


async def test_a_lagging_integrator_never_stamps_a_leaf_before_its_body(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    admitting = world.clock  # the host that takes the requests
    lagging = FrozenClock(admitting.now() - timedelta(seconds=7))  # the host that integrates, 7 s behind
    officer = await world.user("officer_tokmok")
    for number in range(3):
        async with transaction(world.sessions) as session:
            lots = LotService(session, admitting, LedgerWriter(session, world.keys, admitting))
            lot = await lots.create(officer, LotCreate(**lot_terms(admitting.now(), title_en=f"Plot {number}")))
            await lots.publish(officer, lot.id)
        admitting.advance(timedelta(seconds=1))

    assert await Integrator(world.sessions, world.keys, lagging).integrate_all() == 3

    async with world.sessions() as session:
        leaves = [parse_leaf(raw) for raw in await session.scalars(select(LedgerEntry.leaf).order_by(LedgerEntry.idx))]
    assert leaves, "the bodies were integrated"
    for leaf in leaves:
        assert leaf.body.at_datetime <= leaf.integrated_at_datetime, leaf
    assert all(a.integrated_at_datetime <= b.integrated_at_datetime for a, b in itertools.pairwise(leaves))
    assert max(leaf.integrated_at_datetime for leaf in leaves) > as_utc(lagging.now())
    await drive.verify(tmp_path)
