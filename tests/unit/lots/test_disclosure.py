"""When bid amounts may be shown: as they come in open formats, and in a sealed auction only once it is decided."""

from __future__ import annotations

import pytest

from auction.lots.models import AuctionFormat, LotState
from auction.lots.rules import amounts_public

OPEN_FORMATS = [f for f in AuctionFormat if f != AuctionFormat.SEALED_BID]


@pytest.mark.parametrize("fmt", OPEN_FORMATS)
@pytest.mark.parametrize("state", list(LotState))
def test_open_formats_show_amounts_in_every_state(fmt: AuctionFormat, state: LotState) -> None:
    assert amounts_public(fmt, state)


@pytest.mark.parametrize("state", list(LotState))
def test_sealed_amounts_appear_only_with_the_result(state: LotState) -> None:
    assert amounts_public(AuctionFormat.SEALED_BID, state) == (state in {LotState.AWARDED, LotState.FAILED})
