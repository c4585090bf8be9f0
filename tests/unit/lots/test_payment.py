"""The pure rules of a lot's deposit payment details."""

from __future__ import annotations

from typing import Any

from auction.lots.payment import normal_account, payment_problems

GOOD = {
    "deposit": 10_000_00,
    "payment_recipient": "Naryn city hall",
    "payment_bank": "Central Treasury",
    "payment_account": "4402011101000001",
    "payment_bank_code": "440001",
    "payment_purpose": "Deposit, lot 12",
}


def codes(terms: dict[str, Any], *, publishing: bool = True) -> list[tuple[str, str | None]]:
    return [(problem.code, problem.field) for problem in payment_problems(terms, publishing=publishing)]


def test_complete_details_pass_and_an_iban_is_an_account_too() -> None:
    assert codes(GOOD) == []
    assert codes({**GOOD, "payment_account": "KG21KICB1280016000000001"}) == []


def test_missing_details_block_only_the_publication_of_a_lot_that_takes_a_deposit() -> None:
    blank = {**GOOD, "payment_bank": None, "payment_purpose": " "}
    assert codes(blank) == [("terms.payment_details_missing", "payment_bank")]
    assert payment_problems(blank, publishing=True)[0].params == {"count": 2}
    assert codes(blank, publishing=False) == []
    assert codes({"deposit": 0}) == []


def test_malformed_numbers_are_named_even_in_a_draft() -> None:
    assert codes({**GOOD, "payment_account": "12345"}, publishing=False) == [
        ("terms.payment_account_malformed", "payment_account")
    ]
    assert codes({**GOOD, "payment_bank_code": "44000A"}, publishing=False) == [
        ("terms.payment_bank_code_malformed", "payment_bank_code")
    ]
    assert codes({**GOOD, "payment_bank_code": "128001"}) == [("terms.payment_account_not_of_bank", "payment_account")]


def test_an_account_typed_in_groups_is_read_as_its_digits() -> None:
    assert normal_account(" 4402 0111-0100 0001 ") == "4402011101000001"
    assert normal_account("kg21 kicb 1280 0160 0000 0001") == "KG21KICB1280016000000001"
