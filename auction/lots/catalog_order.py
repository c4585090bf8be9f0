"""How the catalog is ordered, and where one page of it ends: pure rules, no database.

Every order is a keyset: a page ends at the last lot's position (its sort value and id), and the next page starts
strictly after it, so pages stay stable while lots are published. "Closing soon" lists the lots whose close is still
ahead first (soonest first), then those already closed (most recent first); the moment that splits them is fixed
by the first page and carried in the cursor, so paging on does not reshuffle the lots.
"""

from __future__ import annotations

import base64
import binascii
import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auction.clock import as_utc
from auction.errors import InvalidInput
from auction.lots.models import Lot

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BIGINT_MAX = 2**63 - 1


class LotSort(enum.StrEnum):
    NEWEST = "newest"
    CLOSING_SOON = "closing_soon"
    PRICE_LOW = "price_low"
    PRICE_HIGH = "price_high"


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the last lot's sort value (a price in tyiyn, or a closing time in microseconds since
    the epoch; unused for the newest first) and id; for "closing soon", whether that lot's close was still ahead
    of ``as_of``, the moment (microseconds) the first page split the coming closes from the past ones."""

    sort: LotSort
    key: int
    id: int
    as_of: int = 0
    ahead: bool = True


def microseconds(moment: datetime) -> int:
    """A UTC moment as whole microseconds since the epoch (exact, unlike a float timestamp)."""
    return (as_utc(moment) - EPOCH) // timedelta(microseconds=1)


def moment_of(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def position_of(lot: Lot, sort: LotSort, as_of: datetime) -> Position:
    """The position of ``lot`` in the order ``sort`` (as of the moment the listing split coming and past closes)."""
    if sort == LotSort.CLOSING_SOON:
        closes = as_utc(lot.bidding_closes_at)
        return Position(sort, microseconds(closes), lot.id, microseconds(as_of), closes > as_utc(as_of))
    if sort in (LotSort.PRICE_LOW, LotSort.PRICE_HIGH):
        return Position(sort, lot.starting_price, lot.id)
    return Position(sort, lot.id, lot.id)


def encode_position(position: Position) -> str:
    """The cursor of the next page: opaque to the visitor, read back by :func:`decode_position`."""
    if position.sort == LotSort.NEWEST:
        text = f"id:{position.id}"  # the catalog's original cursor, still valid
    else:
        ahead = int(position.ahead)
        text = f"{position.sort.value}:{position.key}:{position.id}:{position.as_of}:{ahead}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _number(text: str, *, signed: bool = False) -> int:
    digits = text[1:] if signed and text.startswith("-") else text
    # ASCII digits only (int() also reads superscripts and other scripts' digits), and no more than a bigint holds.
    if not (digits.isascii() and digits.isdigit()) or int(digits) > BIGINT_MAX:
        raise InvalidInput("catalog.cursor_invalid", field="cursor")
    return int(text)


def decode_position(cursor: str, sort: LotSort) -> Position:
    """Read a cursor made for ``sort``; a cursor of another order (the visitor changed the sort) or a hand-edited
    one is refused with ``catalog.cursor_invalid``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raw = ""
    parts = raw.split(":")
    if sort == LotSort.NEWEST and len(parts) == 2 and parts[0] == "id":
        last = _number(parts[1])
        return Position(sort, last, last)
    if sort != LotSort.NEWEST and len(parts) == 5 and parts[0] == sort.value and parts[4] in ("0", "1"):
        return Position(
            sort, _number(parts[1], signed=True), _number(parts[2]), _number(parts[3], signed=True), parts[4] == "1"
        )
    raise InvalidInput("catalog.cursor_invalid", field="cursor")
