"""Money parsing and formatting; bidder identity numbers."""

from __future__ import annotations

from datetime import date

import pytest

from auction.accounts.models import BidderKind
from auction.accounts.rules import age_on, birth_date, identity_problem
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


REGISTERED_ON = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("kind", "number"),
    [
        (BidderKind.INDIVIDUAL, "21506198500001"),
        (BidderKind.INDIVIDUAL, "13112200012345"),
        (BidderKind.INDIVIDUAL, "12902200012345"),  # 29.02.2000: a leap year
        (BidderKind.INDIVIDUAL, "10106200800001"),  # 18 years old this very day
        (BidderKind.LEGAL_ENTITY, "01234567891234"),
    ],
)
def test_valid_identity_numbers(kind: BidderKind, number: str) -> None:
    assert identity_problem(kind, number, REGISTERED_ON) is None


@pytest.mark.parametrize(
    ("kind", "number", "code", "message"),
    [
        (BidderKind.INDIVIDUAL, "2150619850000", "account.personal_number_malformed", "has 14 digits"),
        (BidderKind.INDIVIDUAL, "2150619850000a", "account.personal_number_malformed", "has 14 digits"),
        (BidderKind.INDIVIDUAL, "31506198500001", "account.personal_number_gender", "this one starts with 3"),
        (BidderKind.INDIVIDUAL, "03102198500001", "account.personal_number_gender", "this one starts with 0"),
        (BidderKind.INDIVIDUAL, "23102198500001", "account.personal_number_no_such_date", "31.02.1985, does not"),
        (BidderKind.INDIVIDUAL, "21513198500001", "account.personal_number_no_such_date", "15.13.1985, does not"),
        (BidderKind.INDIVIDUAL, "10001198500001", "account.personal_number_no_such_date", "00.01.1985"),
        (BidderKind.INDIVIDUAL, "12902200100001", "account.personal_number_no_such_date", "29.02.2001"),
        (BidderKind.INDIVIDUAL, "10206202600001", "account.personal_number_future_date", "02.06.2026, is in the"),
        (BidderKind.INDIVIDUAL, "10206200800001", "account.bidder_under_age", "under 18"),
        (BidderKind.INDIVIDUAL, "21506198500000", "account.personal_number_serial", "never 00000"),
        (BidderKind.LEGAL_ENTITY, "21506198500001", "account.tax_number_malformed", "starts with 0"),
        (BidderKind.LEGAL_ENTITY, "0123456789123", "account.tax_number_malformed", "14 digits"),
    ],
)
def test_identity_numbers_refused_with_what_is_wrong(kind: BidderKind, number: str, code: str, message: str) -> None:
    problem = identity_problem(kind, number, REGISTERED_ON)
    assert problem is not None
    assert (problem.code, problem.field) == (code, "identity_number")
    assert message in problem.message


def test_age_counts_full_years_and_leap_birthdays() -> None:
    assert age_on(date(2008, 6, 1), date(2026, 6, 1)) == 18
    assert age_on(date(2008, 6, 2), date(2026, 6, 1)) == 17
    # Born on 29 February: of age on 1 March of a common year, not on 28 February.
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
    assert birth_date("23102198500001") is None
    assert birth_date("12902200012345") == date(2000, 2, 29)
