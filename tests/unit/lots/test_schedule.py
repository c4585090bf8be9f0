"""The deadline a bidder waits for: applications closing, then bidding opening, then bidding closing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auction.lots.models import AuctionFormat, Lot, LotState
from auction.lots.schedule import Closing, Deadline, DeadlineKind, closing, effective_close, next_deadline

APPLICATIONS_CLOSE = datetime(2026, 6, 8, 6, 0, tzinfo=UTC)
BIDDING_OPENS = datetime(2026, 6, 9, 6, 0, tzinfo=UTC)
BIDDING_CLOSES = datetime(2026, 6, 9, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
APPLYING = Deadline(DeadlineKind.APPLICATIONS_CLOSE, APPLICATIONS_CLOSE)


def lot(state: LotState) -> Lot:
    # Stored naive, as SQLite hands them back: the rule must read them as UTC.
    return Lot(
        state=state,
        applications_close_at=APPLICATIONS_CLOSE.replace(tzinfo=None),
        bidding_opens_at=BIDDING_OPENS.replace(tzinfo=None),
        bidding_closes_at=BIDDING_CLOSES.replace(tzinfo=None),
    )


@pytest.mark.parametrize(
    ("state", "now", "expected"),
    [
        (
            LotState.PUBLISHED,
            APPLICATIONS_CLOSE - SECOND,
            Deadline(DeadlineKind.APPLICATIONS_CLOSE, APPLICATIONS_CLOSE),
        ),
        (LotState.PUBLISHED, APPLICATIONS_CLOSE, Deadline(DeadlineKind.BIDDING_OPENS, BIDDING_OPENS)),
        (LotState.PUBLISHED, BIDDING_OPENS, None),
        (LotState.BIDDING, BIDDING_OPENS, Deadline(DeadlineKind.BIDDING_CLOSES, BIDDING_CLOSES)),
        (LotState.BIDDING, BIDDING_CLOSES, None),
    ],
)
def test_the_next_deadline_still_ahead(state: LotState, now: datetime, expected: Deadline | None) -> None:
    assert next_deadline(lot(state), now) == expected


@pytest.mark.parametrize("state", [LotState.DRAFT, LotState.CLOSED, LotState.AWARDED, LotState.CANCELLED])
def test_no_deadline_outside_applications_and_bidding(state: LotState) -> None:
    assert next_deadline(lot(state), APPLICATIONS_CLOSE - timedelta(days=1)) is None


# --- one closing time everywhere (auction.lots.schedule.effective_close) ------------------------------------------

EXTENDED = BIDDING_CLOSES + timedelta(minutes=5)


def descending_lot(state: LotState) -> Lot:
    # 1,000 som falling by 100 som a minute to a 500 som floor: the floor at 06:05, the end one minute later.
    return Lot(
        state=state,
        format=AuctionFormat.DESCENDING,
        starting_price=100_000,
        bid_step=10_000,
        floor_price=50_000,
        price_drop_interval_seconds=60,
        applications_close_at=APPLICATIONS_CLOSE.replace(tzinfo=None),
        bidding_opens_at=BIDDING_OPENS.replace(tzinfo=None),
        bidding_closes_at=BIDDING_CLOSES.replace(tzinfo=None),
    )


def test_before_bidding_opens_the_terms_decide_the_close() -> None:
    assert effective_close(lot(LotState.PUBLISHED)) == BIDDING_CLOSES
    assert not closing(lot(LotState.PUBLISHED)).extended


def test_a_soft_close_extension_moves_the_close_and_the_deadline_with_it() -> None:
    running = lot(LotState.BIDDING)
    assert effective_close(running, EXTENDED.replace(tzinfo=None)) == EXTENDED
    assert closing(running, EXTENDED) == Closing(EXTENDED, BIDDING_CLOSES)
    assert closing(running, EXTENDED).extended
    # After the terms' close but before the extended one, the bidder still waits for the extended close.
    assert next_deadline(running, BIDDING_CLOSES + SECOND, EXTENDED) == Deadline(DeadlineKind.BIDDING_CLOSES, EXTENDED)


def test_a_descending_lot_closes_by_its_price_clock_not_its_typed_close() -> None:
    dutch_end = BIDDING_OPENS + timedelta(minutes=6)
    assert effective_close(descending_lot(LotState.PUBLISHED)) == dutch_end
    assert next_deadline(descending_lot(LotState.BIDDING), BIDDING_OPENS) == Deadline(
        DeadlineKind.BIDDING_CLOSES, dutch_end
    )


def test_a_descending_lot_stopped_by_an_acceptance_closes_early_and_is_not_extended() -> None:
    tick_end = BIDDING_OPENS + timedelta(minutes=2)
    shown = closing(descending_lot(LotState.BIDDING), tick_end)
    assert shown.at == tick_end
    assert not shown.extended
