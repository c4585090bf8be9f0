"""Pure checks of a bidder's identity numbers."""

from __future__ import annotations

import re

from auction.accounts.models import BidderKind
from auction.refusals import Problem

# Kyrgyz personal number (PIN): 14 digits, starting 1 (female) or 2 (male), then the birth date DDMMYYYY.
_PERSONAL_NUMBER = re.compile(r"^[12](0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])(19|20)\d{2}\d{5}$")
# Taxpayer number (INN) of a legal entity: 14 digits, starting 0 (organisations).
_TAX_NUMBER = re.compile(r"^0\d{13}$")


def identity_problem(kind: BidderKind, number: str) -> Problem | None:
    """Why the number is not a valid identity number for this kind of bidder, or None."""
    if kind == BidderKind.INDIVIDUAL and not _PERSONAL_NUMBER.match(number):
        return Problem("account.personal_number_malformed", field="identity_number")
    if kind == BidderKind.LEGAL_ENTITY and not _TAX_NUMBER.match(number):
        return Problem("account.tax_number_malformed", field="identity_number")
    return None
