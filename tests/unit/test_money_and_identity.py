"""Money parsing and formatting; bidder identity numbers."""

from __future__ import annotations

import pytest

from auction.accounts.models import BidderKind
from auction.accounts.rules import identity_problem
from auction.lots.service import decode_cursor, encode_cursor
from auction.money import format_som, parse_som


@pytest.mark.parametrize(("text", "tyiyn"), [("1250.50", 125050), ("1 250,5", 125050), ("7", 700), ("0.01", 1)])
def test_parse_som(text: str, tyiyn: int) -> None:
    assert parse_som(text) == tyiyn


@pytest.mark.parametrize("text", ["", "1.234", "-5", "1e3", "abc", "1.2.3"])
def test_parse_som_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_som(text)


def test_format_som_groups_and_keeps_tyiyn() -> None:
    assert format_som(125_000_050) == "1\u00a0250\u00a0000.50"
    assert format_som(-5) == "-0.05"


@pytest.mark.parametrize(
    ("kind", "number", "ok"),
    [
        (BidderKind.INDIVIDUAL, "21506198500001", True),
        (BidderKind.INDIVIDUAL, "13112200012345", True),
        (BidderKind.INDIVIDUAL, "31506198500001", False),
        (BidderKind.INDIVIDUAL, "21513198500001", False),
        (BidderKind.INDIVIDUAL, "2150619850000", False),
        (BidderKind.LEGAL_ENTITY, "01234567891234", True),
        (BidderKind.LEGAL_ENTITY, "21506198500001", False),
    ],
)
def test_identity_numbers(kind: BidderKind, number: str, ok: bool) -> None:
    assert (identity_problem(kind, number) is None) is ok


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor(42)) == 42
