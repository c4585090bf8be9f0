"""Equal amounts go to the earlier bid: in the award the platform makes, and in the replay that re-derives it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from auction.bidding.models import Award
from tests.kit.drive import Drive
from tests.kit.world import World


@pytest.mark.parametrize("gap", [timedelta(0), timedelta(minutes=10)], ids=["same-instant", "ten-minutes-apart"])
async def test_a_sealed_tie_is_won_by_the_earlier_bid(
    world: World, drive: Drive, gap: timedelta, tmp_path: Path
) -> None:
    """bidder applied first but seals after bidder2; with equal amounts bidder2, who sealed first, wins.

    At the same instant only the order of admission tells the bids apart; ten minutes apart, the times do.
    """
    lot_id = await world.lot(stage="bidding", format="sealed", bidders=("bidder", "bidder2"))
    await drive.seal(lot_id, "bidder2", 150_000_00)
    world.clock.advance(gap)
    await drive.seal(lot_id, "bidder", 150_000_00)
    await drive.close(lot_id)

    outcome = await drive.open_sealed(lot_id)

    earlier, later = await drive.pseudonym(lot_id, "bidder2"), await drive.pseudonym(lot_id, "bidder")
    assert (outcome.winner, outcome.runner_up) == (earlier, later)
    async with world.sessions() as session:
        awards = list(await session.scalars(select(Award).where(Award.lot_id == lot_id).order_by(Award.rank)))
    assert [(a.rank, a.bidder_id, a.price) for a in awards] == [
        (1, world.user_ids["bidder2"], 150_000_00),
        (2, world.user_ids["bidder"], 150_000_00),
    ]
    # The offline replay re-derives the same winner from the ledger alone.
    await drive.verify(tmp_path)


async def test_a_sealed_bid_replaced_after_a_rivals_equal_bid_loses_the_tie(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    lot_id = await world.lot(stage="bidding", format="sealed", bidders=("bidder", "bidder2"))
    await drive.seal(lot_id, "bidder", 150_000_00)
    world.clock.advance(timedelta(minutes=1))
    await drive.seal(lot_id, "bidder2", 150_000_00)
    world.clock.advance(timedelta(minutes=1))
    await drive.seal(lot_id, "bidder", 150_000_00)  # the replacement is bidder's standing bid now
    await drive.close(lot_id)

    outcome = await drive.open_sealed(lot_id)

    assert outcome.winner == await drive.pseudonym(lot_id, "bidder2")
    await drive.verify(tmp_path)
