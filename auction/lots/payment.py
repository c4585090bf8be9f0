"""A lot's deposit payment details: where a bidder pays the deposit, as a Kyrgyz treasury payment order needs it.

Pure rules, no I/O. A draft may lack them; a lot that takes a deposit is published only with all five, because a
bidder who cannot pay the deposit cannot take part. Their form is checked whenever they are given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from auction.refusals import Problem

# Recipient (the municipality or its treasury), bank, account, the bank's code and the payment's purpose.
PAYMENT_FIELDS = ("payment_recipient", "payment_bank", "payment_account", "payment_bank_code", "payment_purpose")
# A Kyrgyz settlement account is 16 digits (the bank's 3-digit code first); an international one is an IBAN.
KYRGYZ_ACCOUNT = re.compile(r"^\d{16}$")
IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
# The bank identification code (BIK) of a Kyrgyz bank: 6 digits, the first 3 being the bank's code.
BANK_CODE = re.compile(r"^\d{6}$")


def normal_account(text: str) -> str:
    """An account number as typed ("1280 0160 0000 0001") without the spaces and dashes people group it with."""
    return re.sub(r"[\s-]", "", text).upper()


def account_input(value: object) -> object:
    """`normal_account` for a schema's validator: text is normalised, anything else left to the type check."""
    return normal_account(value) if isinstance(value, str) else value


def payment_problems(terms: Mapping[str, Any], *, publishing: bool) -> list[Problem]:
    """What is wrong with the payment details given; when ``publishing``, also which are missing for a deposit."""
    problems: list[Problem] = []
    account = terms.get("payment_account")
    if account and not (KYRGYZ_ACCOUNT.match(account) or IBAN.match(account)):
        problems.append(Problem("terms.payment_account_malformed", field="payment_account"))
    code = terms.get("payment_bank_code")
    if code and not BANK_CODE.match(code):
        problems.append(Problem("terms.payment_bank_code_malformed", field="payment_bank_code"))
    if code and account and KYRGYZ_ACCOUNT.match(account) and BANK_CODE.match(code) and account[:3] != code[:3]:
        problems.append(Problem("terms.payment_account_not_of_bank", field="payment_account"))
    if publishing and terms.get("deposit", 0) > 0:
        missing = [name for name in PAYMENT_FIELDS if not (terms.get(name) or "").strip()]
        if missing:
            problems.append(Problem("terms.payment_details_missing", field=missing[0], count=len(missing)))
    return problems
