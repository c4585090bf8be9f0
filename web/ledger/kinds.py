"""The ledger's entry kinds (docs/ledger-entries.md) by their names in the reader's language.

The desk shows each name beside the kind's code, which stays as the ledger writes it: the code is what an inspector
searches the export for, the name is what a citizen reads.
"""

from __future__ import annotations

from collections.abc import Mapping

from web.lib.i18n.catalogs import N_, translate

KIND_NAMES: Mapping[str, str] = {
    "lot.published": N_("Lot published"),
    "lot.amended": N_("Lot terms amended"),
    "lot.document": N_("Lot document"),
    "lot.cancelled": N_("Lot cancelled"),
    "application.submitted": N_("Application submitted"),
    "application.approved": N_("Application approved"),
    "application.rejected": N_("Application rejected"),
    "deposit.confirmed": N_("Deposit confirmed"),
    "deposit.refunded": N_("Deposit refunded"),
    "deposit.forfeited": N_("Deposit forfeited"),
    "bidder.key.added": N_("Bidder's key added"),
    "bidder.key.replaced": N_("Bidder's key replaced"),
    "auction.opened": N_("Bidding opened"),
    "auction.extended": N_("Bidding extended"),
    "auction.closed": N_("Bidding closed"),
    "bid.placed": N_("Bid placed"),
    "bid.sealed": N_("Sealed bid submitted"),
    "bid.withdrawn": N_("Sealed bid withdrawn"),
    "bid.accepted": N_("Price accepted"),
    "sealed.share": N_("Commission member's key share"),
    "sealed.opened": N_("Sealed bids opened"),
    "runoff.opened": N_("Runoff opened"),
    "runoff.offer": N_("Runoff offer"),
    "runoff.revealed": N_("Runoff offers revealed"),
    "award.made": N_("Award made"),
    "award.failed": N_("Auction failed"),
    "award.signed": N_("Award signed by the winner"),
    "award.declined": N_("Award declined by the winner"),
    "award.expired": N_("Signing deadline passed"),
    "award.passed": N_("Award passed to the runner-up"),
    "award.lapsed": N_("Award lapsed"),
    "contract.concluded": N_("Contract concluded"),
    "payment.recorded": N_("Payment recorded"),
    "protocol.issued": N_("Results protocol issued"),
    "protocol.signed": N_("Results protocol signed"),
    "key.rotated": N_("Ledger key rotated"),
    "release.scripts": N_("Scripts of a release"),
    "witness.policy": N_("Witnesses and their quorum"),
    "municipality.rules": N_("Municipality's auction rules"),
    "ledger.incident": N_("Ledger outage recorded"),
    "verifier.published": N_("Offline verifier published"),
    "inspection.key": N_("Inspection key pinned"),
    "inspection.linked": N_("Inspectors linked bidders across lots"),
}


def kind_names(language: str) -> dict[str, str]:
    """Every entry kind's name in `language`, by kind code."""
    return {kind: translate(language, name) for kind, name in KIND_NAMES.items()}
