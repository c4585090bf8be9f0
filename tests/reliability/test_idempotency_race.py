"""One Idempotency-Key on two lots at once, on real PostgreSQL: one bid is taken, the other refused with 409.

Each lot's row lock lets its own bid through, so both requests see the key unused; the key's uniqueness per bidder
then stops the second at its insert, which must be a refusal a person can act on, not a 500.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from auction.bidding.auction import AuctionService, BidReceipt
from auction.errors import Conflict
from tests.kit.drive import Drive
from tests.kit.world import World
from web.lib.errors import status_of

pytestmark = [pytest.mark.postgres, pytest.mark.own_database]


async def test_one_key_on_two_lots_at_once_gets_one_bid_and_one_409(
    backend: str, world: World, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgres":
        pytest.skip("row-lock races are PostgreSQL's; SQLite serialises every transaction")
    first, second = await world.lot("bidding"), await world.lot("bidding")
    both_checked = asyncio.Barrier(2)
    replayed = AuctionService._replayed

    async def check_then_wait(self: AuctionService, *args: Any) -> BidReceipt | None:
        # Both requests have looked the key up, and found it unused, before either goes on.
        found = await replayed(self, *args)
        await asyncio.wait_for(both_checked.wait(), timeout=30)
        return found

    monkeypatch.setattr(AuctionService, "_replayed", check_then_wait)
    outcomes = await asyncio.gather(
        drive.bid(first, "bidder", 100_000_00, key="one-key-two-lots"),
        drive.bid(second, "bidder", 100_000_00, key="one-key-two-lots"),
        return_exceptions=True,
    )
    receipts = [o for o in outcomes if isinstance(o, BidReceipt)]
    refusals = [o for o in outcomes if isinstance(o, Conflict)]
    assert (len(receipts), len(refusals)) == (1, 1), outcomes
    assert refusals[0].code == "bid.idempotency_key_reused"
    assert status_of(refusals[0]) == (409, "conflict")
