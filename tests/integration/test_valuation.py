"""A lot's appraised value through the service and the ledger: recorded in the terms of `lot.published` and
`lot.amended`, corrected after applications without reopening them (it binds no bid), carried uncut to a repeat
auction, and the whole chain still verifies."""

from __future__ import annotations

from pathlib import Path

from auction.db.engine import transaction
from auction.lots.models import LotState
from auction.lots.schemas import LotAmend
from tests.integration.test_publication_rules import bodies, current_terms, relist, service
from tests.kit.drive import Drive
from tests.kit.world import World


async def test_a_valuation_is_recorded_and_corrected_after_applications_without_reopening(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    lot_id = await world.lot(stage="applications", valuation=120_000_00)
    before = await drive.lot(lot_id)
    corrected = LotAmend.model_validate(
        {**current_terms(before), "valuation": 125_000_00, "reason": "The appraisal report was corrected."}
    )
    officer = await world.user("officer_tokmok")
    async with transaction(world.sessions) as session:
        await service(world, session).amend(officer, lot_id, corrected)

    after = await drive.lot(lot_id)
    assert (after.version, after.valuation) == (2, 125_000_00)
    assert after.applications_close_at == before.applications_close_at  # not reopened
    chain = {b.kind: b.payload for b in await bodies(drive, tmp_path, lot_id)}
    assert chain["lot.published"]["terms"]["valuation"] == 120_000_00
    amended = chain["lot.amended"]
    assert (amended["terms"]["valuation"], amended["changed"], amended["reopened_applications"]) == (
        125_000_00,
        ["valuation"],
        False,
    )
    (tmp_path / "verify").mkdir()
    await drive.verify(tmp_path / "verify")


async def test_a_repeat_auction_keeps_the_valuation_while_its_price_is_cut(world: World, drive: Drive) -> None:
    """The property is worth what it was appraised at; only the prices fall (a red flag compares the two)."""
    failed = await world.lot(stage="published", valuation=130_000_00)
    await drive.open(failed)
    await drive.close(failed)
    assert (await drive.lot(failed)).state == LotState.FAILED
    repeat = await relist(world, failed, reduction_percent=25)
    assert (repeat.starting_price, repeat.valuation) == (75_000_00, 130_000_00)
