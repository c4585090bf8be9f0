"""The test kit itself: a lot asked for at a stage is at that stage, in every auction format."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from auction.bidding.models import Application, ApplicationStatus
from tests.kit.drive import Drive
from tests.kit.world import STAGES, Format, World

EXPECTED = {
    "open": ["draft", "published", "published", "bidding", "awarded", "awarded"],
    "sealed": ["draft", "published", "published", "bidding", "closed", "awarded"],
    "descending": ["draft", "published", "published", "bidding", "awarded", "awarded"],
}


@pytest.mark.parametrize("format", ["open", "sealed", "descending"])
async def test_a_lot_at_every_stage(world: World, drive: Drive, format: Format, tmp_path: Path) -> None:  # noqa: A002
    states = []
    for stage in STAGES:
        lot_id = await world.lot(stage=stage, format=format)
        states.append((await drive.lot(lot_id)).state)
        async with world.sessions() as session:
            approved = await session.scalar(
                select(func.count())
                .select_from(Application)
                .where(Application.lot_id == lot_id, Application.status == ApplicationStatus.APPROVED)
            )
        assert approved == (2 if STAGES.index(stage) >= STAGES.index("applications") else 0), stage
    assert states == EXPECTED[format]
    await drive.verify(tmp_path)
