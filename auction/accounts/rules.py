"""Pure checks of a bidder's identity numbers.

A Kyrgyz personal number (PIN) has 14 digits: the gender digit (1 female, 2 male), the birth date as DDMMYYYY,
then a 5-digit serial the civil registry assigns. What can be verified without the registry is verified here:
a real calendar date, not in the future, of an adult on the registration day, and a serial other than 00000.

ASSUMPTION (to be checked, see docs/rules.md): no public description of a check digit for the PIN or the INN
was found (searched: the registry's page on the PIN, grs.gov.kg; the Government resolution No. 619 of
28.09.2017 on assigning and changing the PIN; public validators). No check-digit algorithm is invented here: a
number is confirmed as a person's only by the municipality that sees the passport.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from auction.accounts.models import BidderKind
from auction.refusals import Problem

# Full civil capacity comes at 18 in Kyrgyz civil law, and a bidder signs a contract. ASSUMPTION: the article
# is to be cited in docs/rules.md.
ADULT_AGE: Final = 18
FIELD: Final = "identity_number"

# ASCII digits only: a number in another script's digits would be another string for the unique index.
_PERSONAL_NUMBER = re.compile(
    r"^(?P<gender>\d)(?P<day>\d{2})(?P<month>\d{2})(?P<year>\d{4})(?P<serial>\d{5})$", re.ASCII
)
_GENDER_DIGITS = frozenset("12")
_NO_SERIAL = "00000"
# Taxpayer number (INN) of a legal entity: 14 digits, starting 0 (organisations).
_TAX_NUMBER = re.compile(r"^0\d{13}$", re.ASCII)


def identity_problem(kind: BidderKind, number: str, today: date) -> Problem | None:
    """Why the number is not a valid identity number for this kind of bidder on the day ``today``, or None."""
    if kind == BidderKind.LEGAL_ENTITY:
        return None if _TAX_NUMBER.match(number) else Problem("account.tax_number_malformed", field=FIELD)
    return personal_number_problem(number, today)


def personal_number_problem(number: str, today: date) -> Problem | None:
    """The first thing wrong with a personal number registered on ``today`` (Bishkek's date), or None."""
    parts = _PERSONAL_NUMBER.match(number)
    if parts is None:
        return Problem("account.personal_number_malformed", field=FIELD)
    if parts["gender"] not in _GENDER_DIGITS:
        return Problem("account.personal_number_gender", field=FIELD, digit=parts["gender"])
    written = f"{parts['day']}.{parts['month']}.{parts['year']}"
    problem = _birth_problem(birth_date(number), written, today)
    if problem is None and parts["serial"] == _NO_SERIAL:
        return Problem("account.personal_number_serial", field=FIELD)
    return problem


def _birth_problem(born: date | None, written: str, today: date) -> Problem | None:
    if born is None:
        return Problem("account.personal_number_no_such_date", field=FIELD, date=written)
    if born > today:
        return Problem("account.personal_number_future_date", field=FIELD, date=written)
    if age_on(born, today) < ADULT_AGE:
        return Problem("account.bidder_under_age", field=FIELD, date=written, minimum=ADULT_AGE)
    return None


def birth_date(number: str) -> date | None:
    """The birth date a 14-digit personal number carries, or None if that date does not exist (31.02)."""
    parts = _PERSONAL_NUMBER.match(number)
    if parts is None:
        return None
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None


def age_on(born: date, today: date) -> int:
    """Full years on ``today``; someone born on 29 February comes of age on 1 March in a common year."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
