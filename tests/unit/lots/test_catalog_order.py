"""The catalog's keyset cursors and the calendar's days in Bishkek: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auction.errors import InvalidInput
from auction.lots.calendar import calendar_of
from auction.lots.catalog_order import LotSort, Position, decode_position, encode_position, moment_of, position_of
from auction.lots.models import Lot, LotState

NOW = datetime(2026, 6, 8, 6, 0, tzinfo=UTC)


def lot(lot_id: int, state: LotState, opens: datetime, closes: datetime, price: int = 100_00) -> Lot:
    return Lot(id=lot_id, state=state, bidding_opens_at=opens, bidding_closes_at=closes, starting_price=price)


@pytest.mark.parametrize(
    "position",
    [
        Position(LotSort.NEWEST, 42, 42),
        Position(LotSort.PRICE_LOW, 5_000_00, 7),
        Position(LotSort.PRICE_HIGH, 0, 1),
        Position(LotSort.CLOSING_SOON, 1_781_000_000_000_000, 9, 1_780_000_000_000_000, ahead=False),
    ],
)
def test_a_cursor_reads_back_as_the_position_it_was_made_from(position: Position) -> None:
    assert decode_position(encode_position(position), position.sort) == position


def test_a_cursor_of_another_order_or_a_forged_one_is_refused() -> None:
    cursor = encode_position(Position(LotSort.PRICE_LOW, 5_000_00, 7))
    for sort, text in ((LotSort.CLOSING_SOON, cursor), (LotSort.NEWEST, cursor), (LotSort.PRICE_LOW, "bm9wZQ")):
        with pytest.raises(InvalidInput) as refused:
            decode_position(text, sort)
        assert refused.value.code == "catalog.cursor_invalid"


def test_closing_soon_positions_keep_the_moment_that_split_coming_from_past_closes() -> None:
    coming = lot(1, LotState.BIDDING, NOW, datetime(2026, 6, 8, 9, 0, tzinfo=UTC))
    past = lot(2, LotState.CLOSED, NOW, datetime(2026, 6, 8, 5, 0, tzinfo=UTC))
    assert position_of(coming, LotSort.CLOSING_SOON, NOW).ahead
    assert not position_of(past, LotSort.CLOSING_SOON, NOW).ahead
    assert moment_of(position_of(past, LotSort.CLOSING_SOON, NOW).as_of) == NOW
    assert moment_of(position_of(past, LotSort.CLOSING_SOON, NOW).key) == datetime(2026, 6, 8, 5, 0, tzinfo=UTC)


def test_the_calendar_groups_by_the_day_in_bishkek_not_in_utc() -> None:
    # 19:00 UTC on 9 June is 01:00 on 10 June in Bishkek (UTC+6).
    evening_utc = lot(
        1, LotState.PUBLISHED, datetime(2026, 6, 9, 19, 0, tzinfo=UTC), datetime(2026, 6, 9, 21, 0, tzinfo=UTC)
    )
    morning = lot(2, LotState.PUBLISHED, datetime(2026, 6, 9, 3, 0, tzinfo=UTC), datetime(2026, 6, 9, 9, 0, tzinfo=UTC))
    running = lot(3, LotState.BIDDING, datetime(2026, 6, 8, 3, 0, tzinfo=UTC), datetime(2026, 6, 8, 9, 0, tzinfo=UTC))
    calendar = calendar_of([evening_utc, running, morning], NOW)
    assert calendar.running == [running]
    assert [(day.starts.date().isoformat(), [x.id for x in day.lots]) for day in calendar.days] == [
        ("2026-06-09", [2]),
        ("2026-06-10", [1]),
    ]
