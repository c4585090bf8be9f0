"""The domain's refusals in the reader's language.

A refusal arrives as a code and its values (auction/refusals.py keeps each code's English template). The site
looks the template up in the reader's catalog and fills in the values written the reader's way: money in som
with the locale's grouping, moments in Bishkek time, the domain's states and roles by their labels.

A few refusals read differently on a page than through the API (``PAGE_WORDING``): a page's reader acts through
its forms, so they are told what to do there (reload, seal again) rather than which header or state was wrong.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

from auction.accounts.models import Role
from auction.bidding.models import ApplicationStatus
from auction.errors import DomainError
from auction.lots.models import AuctionFormat, FileKind, LotState
from auction.refusals import MOMENT_SUFFIX, MONEY_SUFFIX, REFUSALS, Param, Problem
from web.lib.formatting import format_moment, format_som
from web.lib.i18n.catalogs import N_, translate
from web.lib.i18n.labels import enum_label

Refusal = DomainError | Problem

_MOVED_ON = N_("The lot has moved on since this page was loaded; reload it to see what can still be done.")

# Codes a page words in its own way; every other code is shown as its template in auction/refusals.py says.
PAGE_WORDING: Mapping[str, str] = {
    # A lot in another state than the page showed: the page is stale, whatever the state now is.
    "lot.transition_refused": _MOVED_ON,
    "lot.terms_frozen": _MOVED_ON,
    "lot.documents_frozen": _MOVED_ON,
    "lot.repeat_not_failed": _MOVED_ON,
    "application.review_closed": _MOVED_ON,
    "award.lot_not_closed": _MOVED_ON,
    "commission.already_published": _MOVED_ON,
    "commission.lot_not_closed": _MOVED_ON,
    "application.lot_not_published": N_(
        "Applications are taken only while the lot is published and its deadline has not passed."
    ),
    "application.duplicate": N_("You have already applied to this lot."),
    "application.already_reviewed": N_("This application has already been reviewed."),
    "bid.lot_not_bidding": N_("Bids are taken only while bidding is open."),
    "bid.application_not_approved": N_("Only approved bidders may bid, and your application has not been approved."),
    "bid.too_late": N_("Bidding has closed; this bid came too late."),
    "bid.format_mismatch": N_("This kind of bid does not fit this lot's auction format."),
    "bid.not_opened": N_("Bidding on this lot has not opened."),
    # The page's form carries the Idempotency-Key; its reader never saw one.
    "bid.idempotency_key_reused": N_("This form was already used for a different bid; reload the page and bid again."),
    "auth.bidder_required": N_("These pages are for bidders; log in with a bidder account."),
    "file.type_refused": N_("This file is %(content_type)s; only %(allowed)s are accepted here."),
    "sealed_bid.malformed": N_("The sealed bid did not arrive intact; seal it again."),
    "commission.member_not_officer": N_("Every commission member must be an officer of the lot's municipality."),
    "commission.not_member": N_("Only members of this lot's commission can open its bids."),
}

# Parameters that hold a value of one of the domain's enums: shown by the enum's label.
ENUM_PARAMS: Mapping[str, type[enum.Enum]] = {
    "state": LotState,
    "target": LotState,
    "status": ApplicationStatus,
    "role": Role,
    "lot_format": AuctionFormat,
    "bid_format": AuctionFormat,
    "kind": FileKind,
}


def local_value(name: str, value: Param, language: str) -> str:
    """One value of a refusal as the reader's language writes it; the parameter's name says what it holds."""
    if name.endswith(MONEY_SUFFIX) and isinstance(value, int):
        return format_som(value, language)
    if name.endswith(MOMENT_SUFFIX) and isinstance(value, str):
        return format_moment(datetime.fromisoformat(value), language)
    kind = ENUM_PARAMS.get(name)
    if kind is not None:
        try:
            return translate(language, enum_label(kind(value)))
        except ValueError:
            return str(value)
    return str(value)


def page_template(code: str) -> str:
    """The English template a page shows for ``code``, before translation."""
    return PAGE_WORDING.get(code) or REFUSALS[code]


def explain(code: str, params: Mapping[str, Param], language: str) -> str:
    """A refusal in ``language``: its template translated, its values written for the reader."""
    values = {name: local_value(name, value, language) for name, value in params.items()}
    return translate(language, page_template(code)) % values


def explain_refusal(refusal: Refusal, language: str) -> str:
    return explain(refusal.code, refusal.params, language)
