"""The deadline a bidder waits for: applications closing, then bidding opening, then bidding closing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auction.lots.models import Lot, LotState
from auction.lots.schedule import Deadline, DeadlineKind, next_deadline

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
