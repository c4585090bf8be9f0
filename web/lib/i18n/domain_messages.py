"""The domain's refusals in the reader's language.

auction/ speaks English and knows nothing of the web, so the site translates its messages here. A message
that is not listed is shown as the domain wrote it: a reworded message degrades to English, never to
nonsense, and tests/web/test_translations.py fails until the list catches up.
"""

from __future__ import annotations

import re

from web.lib.formatting import format_som
from web.lib.i18n.catalogs import N_, translate

# Messages the domain raises word for word; listed so the extractor puts them in the catalogs.
STATIC: tuple[str, ...] = (
    N_("Give the lot a title in at least one of Kyrgyz, Russian or English."),
    N_("The starting price must be more than zero."),
    N_("The bid step must be more than zero."),
    N_("The bid step cannot be larger than the starting price."),
    N_("The deposit cannot be larger than the starting price."),
    N_("The applications deadline must be in the future."),
    N_("Bidding cannot open before the applications deadline has passed."),
    N_("Bidding must close after it opens."),
    N_("A lease needs its term in months."),
    N_("A lease needs the rent period (month, quarter or year)."),
    N_("A sale has no lease term or rent period."),
    N_("A descending auction needs a floor below the starting price."),
    N_("The price must drop every 10 seconds to 24 hours."),
    N_("Only a descending auction has a floor price and a drop interval."),
    N_("The soft-close window must be 1 to 60 minutes."),
    N_("The total extension cap must be 0 to 1440 minutes."),
    N_("Land and buildings need a cadastral number shaped like 1-02-03-0004-0005."),
    N_("A vehicle needs its 17-character VIN or a plate shaped like 01KG123ABC."),
    N_("Use letters, digits, '/', '-' or '.' (at most 64)."),
    N_("Say which municipality the lot belongs to."),
    N_("Say why a published lot is amended; the reason is published."),
    N_(
        "Bidders have applied under the current terms; changing price, step, deposit or "
        "schedule requires reopening applications (set reopen_applications)."
    ),
    N_("A reopened applications window must stay open at least 3 days."),
    N_("The amendment changes nothing."),
    N_("The file is empty."),
    N_("The page cursor is not one this catalog gave out."),
    N_("An account with this e-mail already exists; log in instead."),
    N_("The e-mail or password is wrong."),
    N_("Log in as an officer of the lot's municipality to do this."),
    N_("Officers can only manage lots of their own municipality."),
    N_("Log in to do this."),
    N_("A personal number has 14 digits: 1 or 2, the birth date as DDMMYYYY, then 5 digits."),
    N_("A legal entity's tax number (INN) has 14 digits and starts with 0."),
    # Taking part and bidding.
    N_("Complete your personal or tax number before applying."),
    N_("The applications deadline has passed."),
    N_("Give the bank's payment reference (3 to 100 characters)."),
    N_("Say why the application is rejected; the bidder sees the reason."),
    N_("Only registered bidders bid; officials of a lot may never bid on it."),
    N_("Apply to this lot and have your deposit confirmed before bidding."),
    N_("Send an Idempotency-Key of 8 to 100 characters with every bid."),
    N_("You have no standing sealed bid on this lot."),
    N_("Another bidder has already accepted the price; the auction is over."),
    N_("A bid must be a positive amount."),
    N_("That amount is beyond any lot on this platform; check the number of digits."),
    # Awards.
    N_("Only the bidder the lot is awarded to can sign for it."),
    N_("Only the bidder the lot is awarded to can decline it."),
    N_("The signing deadline has passed; the award has lapsed."),
    N_("This lot has no award waiting for a signature."),
    N_("The commission has not opened the sealed bids yet."),
    # The sealed-bid commission.
    N_("Only a sealed-bid lot has a commission; publish this lot normally."),
    N_("At least two members must be needed to open the bids, and no more than the commission has."),
    N_("This lot has no sealed-bid key."),
    N_("The sealed bids of this lot were already opened."),
)

# Messages with values in them: the domain's wording as a pattern, and the translatable template.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"There is no lot number (?P<number>\d+)\."),
        N_("There is no lot number %(number)s."),
    ),
    (
        re.compile(r"The lease term must be 1 to (?P<months>\d+) months here\."),
        N_("The lease term must be 1 to %(months)s months here."),
    ),
    (
        re.compile(r"The file is (?P<size>\d+) bytes; the limit is (?P<limit>\d+) bytes\."),
        N_("The file is %(size)s bytes; the limit is %(limit)s bytes."),
    ),
    (
        re.compile(r"A \w+ must be one of: (?P<allowed>[^;]+); this file is (?P<actual>.*)\."),
        N_("This file is %(actual)s; only %(allowed)s are accepted here."),
    ),
    (
        re.compile(r"The file's contents are not a valid (?P<kind>.+)\."),
        N_("The file's contents are not a valid %(kind)s."),
    ),
    (
        re.compile(
            r"The lot is \w+; (it cannot become \w+|its terms can no longer change|its documents"
            r"|applications can no longer be reviewed|only a closed auction is decided|it cannot be published again"
            r"|sealed bids are opened only after bidding has closed).*"
        ),
        N_("The lot has moved on since this page was loaded; reload it to see what can still be done."),
    ),
    (
        re.compile(r"The lot is \w+; applications are taken only while it is published\."),
        N_("Applications are taken only while the lot is published and its deadline has not passed."),
    ),
    (
        re.compile(r"The lot is \w+; bids are taken only while bidding is open\."),
        N_("Bids are taken only while bidding is open."),
    ),
    (
        re.compile(r"You have already applied to this lot; your application is \w+\."),
        N_("You have already applied to this lot."),
    ),
    (
        re.compile(r"The application is already \w+\."),
        N_("This application has already been reviewed."),
    ),
    (
        re.compile(r"Your application is \w+; only approved bidders may bid\."),
        N_("Only approved bidders may bid, and your application has not been approved."),
    ),
    (
        re.compile(r"There is no application number (?P<number>\d+)\."),
        N_("There is no application number %(number)s."),
    ),
    (
        re.compile(r"There is no bid number (?P<number>\d+) of yours\."),
        N_("There is no bid number %(number)s of yours."),
    ),
    (
        # Amounts travel in tyiyn; a group named *_tyiyn is shown in som.
        re.compile(r"The minimum bid now is (?P<minimum_tyiyn>\d+) tyiyn\."),
        N_("The minimum bid now is %(minimum_tyiyn)s."),
    ),
    (
        re.compile(r"Bidding closed at (?P<moment>\S+); this bid came too late\."),
        N_("Bidding has closed; this bid came too late."),
    ),
    (
        re.compile(r"This lot is an? [\w ()-]+; [\w ]+ do not apply to it\."),
        N_("This kind of bid does not fit this lot's auction format."),
    ),
    (
        re.compile(r"Bidding on lot \d+ has not opened\."),
        N_("Bidding on this lot has not opened."),
    ),
    (
        re.compile(r"This Idempotency-Key was already used for a different bid; .*"),
        N_("This form was already used for a different bid; reload the page and bid again."),
    ),
    (
        re.compile(r"This needs a bidder account; you are logged in as an? \w+\."),
        N_("These pages are for bidders; log in with a bidder account."),
    ),
    (
        re.compile(r"Commission member \d+ must be an officer of the lot's municipality\."),
        N_("Every commission member must be an officer of the lot's municipality."),
    ),
    (
        re.compile(r"User \d+ is not on this lot's commission\."),
        N_("Only members of this lot's commission can open its bids."),
    ),
    (
        re.compile(r"(?P<needed>\d+) commission members must release their shares; (?P<given>\d+) did\."),
        N_("%(needed)s commission members must enter their passphrases; %(given)s did."),
    ),
    (
        re.compile(r"the passphrase of member '\d+' is shorter than (?P<length>\d+) characters; .*"),
        N_("This passphrase is shorter than %(length)s characters; choose a longer one (several words are easiest)."),
    ),
    (
        re.compile(r"the passphrase entered for member '\d+' does not open their share of lot \d+; .*"),
        N_(
            "This passphrase does not open this member's share. "
            "Passphrases are case-sensitive; check the keyboard layout."
        ),
    ),
    (
        re.compile(r"the passphrase of member '\d+' is right but their stored share of lot \d+ has been altered; .*"),
        N_("This passphrase is right, but the stored share has been altered; open the bids with other members."),
    ),
    (
        re.compile(r"the sealed bid .*"),
        N_("The sealed bid did not arrive intact; seal it again."),
    ),
)

# The commission's refusals name the member (by user id) whose passphrase failed; forms show them at that field.
MEMBER_IN_MESSAGE = re.compile(r"member '(?P<member>\d+)'")


def translate_domain_message(message: str, language: str) -> str:
    """The domain's message in ``language``, or as written when there is no translation for it."""
    for pattern, template in PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            values = {
                name: format_som(int(value), language) if name.endswith("_tyiyn") else value
                for name, value in found.groupdict().items()
            }
            return translate(language, template) % values
    return translate(language, message)
