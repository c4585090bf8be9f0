"""A lot's ledger chain as OCDS 1.1 releases: pure functions, no I/O (docs/ocds.md is the field-by-field mapping).

Every release comes from exactly one integrated ledger entry of the lot: its `id` is the ocid and the entry's global
index, its `date` the entry's admission time, and `achykLedger` names the entry and the first signed checkpoint that
covers it, so any reader can fetch an inclusion proof and check the release against the signed log.

What a release tells is what the platform shows the public at that moment (auction/bidding/disclosure.py): during
bidding only the current price of an open auction; how many applied or bid only after the close (sealed: after the
opening); who bid what (by per-lot pseudonym, never a name) only once the lot is decided. A sealed bid's amount is
never in a release before the commission opens the bids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

CURRENCY = "KGS"
# Bishkek is UTC+6 all year: the schedule's dates are days there.
BISHKEK_OFFSET = "+06:00"
# The Kind codelist of the platform (docs/ledger-entries.md), as an item classification scheme of our own.
KIND_SCHEME = "x_achykPropertyKind"
# CPV codes for the disposal of public property, as publishers of disposals use them (docs/ocds.md).
CPV_SALE = {"land_plot": ("70122100", "Land sale services")}
CPV_SALE_DEFAULT = ("70121000", "Building sale or purchase services")
CPV_LEASE = {"land_plot": ("70321000", "Land rental services")}
CPV_LEASE_DEFAULT = ("70220000", "Non-residential property renting or leasing services")
FORMAT_DETAILS = {
    "open_ascending": "Open ascending electronic auction with a soft close",
    "sealed_bid": "Sealed-bid first-price electronic auction, bids encrypted to the commission's joint key",
    "descending": "Descending (Dutch) electronic auction",
}
RENT_MONTHS = {"month": 1, "quarter": 3, "year": 12}
# A release's tags and the sections it carries.
Mapped = tuple[list[str], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class LedgerFact:
    """One integrated entry of a lot's chain, as the mapping reads it."""

    index: int
    body_hash: str
    checkpoint_size: int | None  # the first signed checkpoint covering it; None while none does
    lot: int
    lot_seq: int
    kind: str
    at: str
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Publication:
    """What a deployment adds to its ledger: the ocid prefix, its address, the municipalities' names."""

    ocid_prefix: str
    public_url: str
    municipalities: Mapping[int, Municipality] = field(default_factory=dict)

    def ocid(self, lot_id: int) -> str:
        return f"{self.ocid_prefix}-{lot_id}"


def som(tyiyn: int) -> int | float:
    """An amount in tyiyn as som, the unit OCDS values are in (KGS): whole som stay integers."""
    return tyiyn // 100 if tyiyn % 100 == 0 else tyiyn / 100


def value(tyiyn: int) -> dict[str, Any]:
    return {"amount": som(tyiyn), "currency": CURRENCY}


def money(tyiyn: int) -> dict[str, Any]:
    """A monetary bid statistic: its value in som and the currency beside it (the bids extension's shape)."""
    return {"value": som(tyiyn), "currency": CURRENCY}


def day(on: str) -> str:
    """A Bishkek calendar date as the start of that day, the date-time OCDS asks for."""
    return f"{on}T00:00:00{BISHKEK_OFFSET}"


def _add_months(start: date, months: int) -> date:
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    for day_of_month in range(start.day, 27, -1):
        try:
            return date(year, month, day_of_month)
        except ValueError:
            continue
    return date(year, month, min(start.day, 28))


def bidder_party(pseudonym: str, roles: list[str]) -> dict[str, Any]:
    """A bidder by its per-lot pseudonym only: no name, number or address ever enters open data."""
    return {"id": pseudonym, "name": f"Bidder {pseudonym}", "roles": roles}


@dataclass
class _Bid:
    id: str
    bidder: str
    amount: int | None
    at: str
    status: str = "valid"


@dataclass
class _Lot:
    """What the chain has said so far, folded entry by entry."""

    publication: Publication
    lot: int
    published_at: str = ""
    municipality: int = 0
    terms: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    status: str = "active"
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    amendments: list[dict[str, Any]] = field(default_factory=list)
    opened: bool = False
    closes_at: str | None = None
    closed: bool = False
    decided: bool = False
    applications: int = 0
    participants: int | None = None
    bids: list[_Bid] = field(default_factory=list)
    sealed_opened: bool = False
    awards: list[dict[str, Any]] = field(default_factory=list)
    contract: dict[str, Any] | None = None
    schedule: list[dict[str, Any]] = field(default_factory=list)
    paid: dict[int, int] = field(default_factory=dict)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    suppliers: list[str] = field(default_factory=list)

    @property
    def ocid(self) -> str:
        return self.publication.ocid(self.lot)

    @property
    def format(self) -> str:
        return str(self.terms.get("format", "open_ascending"))

    @property
    def municipality_party(self) -> dict[str, Any]:
        known = self.publication.municipalities.get(self.municipality)
        code = known.code if known else str(self.municipality)
        return {"id": f"municipality-{code}", "name": known.name if known else None}

    def counts_public(self) -> bool:
        """How many applied and bid is public after the close (sealed: after the opening), as on the site."""
        if self.format == "sealed_bid":
            return self.sealed_opened or self.decided
        return self.closed or self.decided


def _item(terms: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(terms.get("kind", "other"))
    lease = terms.get("deal") == "lease"
    cpv = (CPV_LEASE.get(kind, CPV_LEASE_DEFAULT)) if lease else CPV_SALE.get(kind, CPV_SALE_DEFAULT)
    item: dict[str, Any] = {
        "id": "1",
        "description": terms.get("title_en") or terms.get("title_ru") or terms.get("title_ky"),
        "classification": {"scheme": KIND_SCHEME, "id": kind},
        "additionalClassifications": [{"scheme": "CPV", "id": cpv[0], "description": cpv[1]}],
        "quantity": 1,
    }
    if terms.get("area_sqm"):
        item["achykAreaSqm"] = str(terms["area_sqm"])
    if terms.get("address"):
        item["achykAddress"] = {"streetAddress": terms["address"], "countryName": "Kyrgyzstan"}
    if terms.get("registration_number"):
        item["achykRegistrationNumber"] = terms["registration_number"]
    return item


def _tender(state: _Lot) -> dict[str, Any]:
    terms = state.terms
    lease = terms.get("deal") == "lease"
    tender: dict[str, Any] = {
        "id": f"{state.ocid}-tender",
        "title": terms.get("title_en") or terms.get("title_ru") or terms.get("title_ky"),
        "description": terms.get("description_en") or terms.get("description_ru") or terms.get("description_ky"),
        "status": state.status,
        "procuringEntity": state.municipality_party,
        "items": [_item(terms)],
        "value": value(int(terms.get("starting_price", 0))),
        "procurementMethod": "open",
        "procurementMethodDetails": FORMAT_DETAILS.get(state.format, state.format),
        "awardCriteria": "priceOnly",
        "awardCriteriaDetails": "Highest price wins; ties go to the earlier bid"
        if state.format != "descending"
        else "The first to accept the falling price wins; acceptances in one price tick go to a sealed run-off",
        "submissionMethod": ["electronicAuction"],
        "tenderPeriod": {"startDate": state.published_at, "endDate": terms.get("applications_close_at")},
        "achykDisposal": {
            "deal": terms.get("deal"),
            "format": state.format,
            "bidStep": value(int(terms.get("bid_step", 0))),
            "deposit": value(int(terms.get("deposit", 0))),
            "councilDecision": terms.get("council_decision"),
            "version": state.version,
        },
        "auctionPeriod": {
            "startDate": terms.get("bidding_opens_at"),
            "endDate": state.closes_at or terms.get("bidding_closes_at"),
        },
    }
    disposal = tender["achykDisposal"]
    if terms.get("floor_price") is not None:
        disposal["floorPrice"] = value(int(terms["floor_price"]))
    if terms.get("valuation") is not None:
        # The independent appraisal (a lease: the market rent per rentPeriod), what a result is measured against.
        disposal["valuation"] = value(int(terms["valuation"]))
    if lease:
        disposal.update(
            rentPeriod=terms.get("rent_period"),
            leaseTermMonths=terms.get("lease_term_months"),
            permittedUse=terms.get("permitted_use"),
            indexationPercent=terms.get("indexation_percent"),
        )
        tender["contractPeriod"] = {"durationInDays": int(terms.get("lease_term_months") or 0) * 30}
    if state.documents:
        tender["documents"] = list(state.documents.values())
    if state.amendments:
        tender["amendments"] = list(state.amendments)
    if state.counts_public():
        tender["numberOfTenderers"] = len({bid.bidder for bid in state.bids})
    return tender


def _statistics(state: _Lot, at: str) -> list[dict[str, Any]]:
    """Bid statistics as far as they are public now (see the module's docstring)."""
    stats: list[dict[str, Any]] = []
    valid = [bid for bid in state.bids if bid.status == "valid" and bid.amount is not None]
    amounts = [bid.amount for bid in valid if bid.amount is not None]
    if state.format == "open_ascending" and amounts and not state.counts_public():
        # The live panel shows the current price to anyone while bidding runs; nothing more.
        return [{"id": "highestValidBidValue", "measure": "highestValidBidValue", "date": at, **money(max(amounts))}]
    if not state.counts_public():
        return stats
    stats.append({"id": "requests", "measure": "requests", "date": at, "value": state.applications})
    if state.participants is not None:
        stats.append({"id": "qualifiedBidders", "measure": "qualifiedBidders", "date": at, "value": state.participants})
    stats.append({"id": "bids", "measure": "bids", "date": at, "value": len(state.bids)})
    stats.append({"id": "bidders", "measure": "bidders", "date": at, "value": len({b.bidder for b in state.bids})})
    stats.append({"id": "validBids", "measure": "validBids", "date": at, "value": len(valid)})
    if amounts:
        stats.append(
            {"id": "highestValidBidValue", "measure": "highestValidBidValue", "date": at, **money(max(amounts))}
        )
        stats.append({"id": "lowestValidBidValue", "measure": "lowestValidBidValue", "date": at, **money(min(amounts))})
    return stats


def _bids(state: _Lot, at: str) -> dict[str, Any] | None:
    bids: dict[str, Any] = {}
    stats = _statistics(state, at)
    if stats:
        bids["statistics"] = stats
    if state.decided and state.bids:
        # After the result every bid and pseudonym is public (README "Awards"), the amounts included.
        bids["details"] = [
            {
                "id": bid.id,
                "date": bid.at,
                "status": bid.status,
                "tenderers": [{"id": bid.bidder, "name": f"Bidder {bid.bidder}"}],
                **({"value": value(bid.amount)} if bid.amount is not None else {}),
            }
            for bid in state.bids
        ]
    return bids or None


def _parties(state: _Lot) -> list[dict[str, Any]]:
    municipality = {**state.municipality_party, "roles": ["procuringEntity"]}
    if state.contract is not None:
        municipality["roles"] = ["procuringEntity", "payee"]
    parties = [municipality]
    if state.decided:
        for pseudonym in dict.fromkeys(bid.bidder for bid in state.bids):
            roles = ["tenderer"]
            if pseudonym in state.suppliers:
                roles.append("supplier")
            if state.contract is not None and state.contract.get("achykBidder") == pseudonym:
                roles.append("payer")
            parties.append(bidder_party(pseudonym, roles))
    return parties


def _release(state: _Lot, fact: LedgerFact, tags: list[str], sections: Iterable[str]) -> dict[str, Any]:
    release: dict[str, Any] = {
        "ocid": state.ocid,
        "id": f"{state.ocid}-{fact.index}",
        "date": fact.at,
        "tag": tags,
        "initiationType": "tender",
        "language": "en",
        "parties": _parties(state),
    }
    for section in sections:
        if section == "tender":
            release["tender"] = _tender(state)
        elif section == "bids":
            bids = _bids(state, fact.at)
            if bids:
                release["bids"] = bids
        elif section == "awards" and state.awards:
            release["awards"] = [dict(award) for award in state.awards]
        elif section == "contracts" and state.contract is not None:
            release["contracts"] = [_contract(state)]
    release["achykLedger"] = {
        "index": fact.index,
        "bodyHash": fact.body_hash,
        "kind": fact.kind,
        "lotSeq": fact.lot_seq,
        "checkpointSize": fact.checkpoint_size,
        "proof": None
        if fact.checkpoint_size is None
        else f"{state.publication.public_url}/api/v1/ledger/proof/inclusion?index={fact.index}"
        f"&size={fact.checkpoint_size}",
    }
    return release


def _contract(state: _Lot) -> dict[str, Any]:
    assert state.contract is not None
    contract = {k: v for k, v in state.contract.items() if k != "achykBidder"}
    milestones = []
    for line in state.schedule:
        paid = state.paid.get(line["number"], 0)
        status = "met" if paid >= line["amount"] else "partiallyMet" if paid else "scheduled"
        milestones.append(
            {
                "id": f"payment-{line['number']}",
                "title": f"Payment {line['number']}",
                "type": "payment",
                "code": str(line["number"]),
                "dueDate": day(line["due_on"]),
                "status": status,
                "value": value(line["amount"]),
            }
        )
    implementation: dict[str, Any] = {}
    if milestones:
        implementation["milestones"] = milestones
    if state.transactions:
        implementation["transactions"] = list(state.transactions)
    if implementation:
        contract["implementation"] = implementation
    return contract


def _bidding_over(state: _Lot) -> None:
    state.decided = True


def _on_lot_published(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    state.published_at = fact.at
    state.municipality = int(payload.get("municipality", 0))
    state.terms = dict(payload.get("terms", {}))
    state.version = int(payload.get("version", 1))
    return ["tender"], ("tender",)


def _on_lot_amended(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    state.terms = dict(payload.get("terms", {}))
    state.version = int(payload.get("version", state.version + 1))
    state.amendments.append(
        {
            "id": f"amendment-{fact.index}",
            "date": fact.at,
            "rationale": payload.get("reason"),
            "description": "Changed: " + ", ".join(payload.get("changed", [])),
            "releaseID": f"{state.ocid}-{fact.index}",
        }
    )
    return ["tenderAmendment"], ("tender",)


def _on_lot_document(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    replaced = payload.get("replaces")
    if replaced in state.documents:
        state.documents[replaced]["achykReplacedBy"] = payload.get("sha256")
    state.documents[str(payload.get("sha256"))] = {
        "id": str(payload.get("sha256")),
        "documentType": "tenderNotice",
        "title": payload.get("filename"),
        "datePublished": fact.at,
        "format": payload.get("content_type"),
        "url": f"{state.publication.public_url}/lots/{state.lot}",
    }
    if payload.get("applications_close_at"):
        state.terms["applications_close_at"] = payload["applications_close_at"]
    return ["tenderUpdate"], ("tender",)


def _on_lot_cancelled(state: _Lot, fact: LedgerFact) -> Mapped | None:
    state.status = "cancelled"
    _bidding_over(state)
    return ["tenderCancellation"], ("tender", "bids")


def _on_application_submitted(state: _Lot, fact: LedgerFact) -> Mapped | None:
    state.applications += 1
    return None


def _on_auction_opened(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    state.opened = True
    state.closes_at = payload.get("closes_at")
    state.participants = payload.get("participants")
    return ["tenderUpdate"], ("tender",)


def _on_auction_extended(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    state.closes_at = payload.get("closes_at")
    return ["tenderUpdate"], ("tender",)


def _on_bid_placed(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    state.bids.append(_Bid(f"bid-{fact.lot_seq}", str(payload["bidder"]), int(payload["amount"]), fact.at))
    return ["tenderUpdate"], ("tender", "bids")


def _on_bid_sealed(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    # Only that a bid was sealed is known; its amount stays out until the opening (replaced bids drop out).
    if payload.get("replaces"):
        state.bids = [bid for bid in state.bids if bid.bidder != payload["bidder"]]
    state.bids.append(_Bid(str(payload["ciphertext_hash"]), str(payload["bidder"]), None, fact.at))
    return None


def _on_bid_withdrawn(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    state.bids = [bid for bid in state.bids if bid.bidder != payload["bidder"]]
    return None


def _on_bid_accepted(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    state.bids.append(_Bid(f"bid-{fact.lot_seq}", str(payload["bidder"]), int(payload["amount"]), fact.at))
    return None


def _on_runoff_revealed(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    for offer in payload.get("offers", []):
        state.bids.append(_Bid(f"offer-{offer['bidder']}", str(offer["bidder"]), int(offer["amount"]), fact.at))
    return None


def _on_auction_closed(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    state.closed = True
    state.closes_at = payload.get("closes_at", state.closes_at)
    state.status = "active"
    return ["tenderUpdate"], ("tender", "bids")


def _on_sealed_opened(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    state.sealed_opened = True
    opened = {str(o["ciphertext_hash"]): o for o in payload.get("opened", [])}
    out = set(payload.get("disqualified", [])) | set(payload.get("below_starting_price", []))
    for bid in state.bids:
        found = opened.get(bid.id)
        if found is not None:
            bid.amount = None if found.get("amount") is None else int(found["amount"])
            bid.id = f"bid-{bid.id[:16]}"
        if bid.bidder in out:
            bid.status = "disqualified"
    return ["tenderUpdate"], ("tender", "bids")


def _on_award_made(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    kind = fact.kind
    winner = str(payload["winner"] if kind == "award.made" else payload["to"])
    state.suppliers.append(winner)
    state.status = "complete"
    _bidding_over(state)
    state.awards.append(
        {
            "id": f"award-{len(state.awards) + 1}",
            "title": "Offer to the winner" if kind == "award.made" else "Offer passed to the runner-up",
            "description": payload.get("reason"),
            "status": "pending",
            "date": fact.at,
            "value": value(int(payload["price"])),
            "suppliers": [{"id": winner, "name": f"Bidder {winner}"}],
            "items": [_item(state.terms)],
            "achykSignDeadline": payload.get("sign_deadline"),
        }
    )
    return ["award"], ("tender", "bids", "awards")


def _on_award_failed(state: _Lot, fact: LedgerFact) -> Mapped | None:
    state.status = "unsuccessful"
    _bidding_over(state)
    return ["tenderUpdate"], ("tender", "bids")


def _on_award_declined(state: _Lot, fact: LedgerFact) -> Mapped | None:
    kind = fact.kind
    if not state.awards:
        return None
    state.awards[-1]["status"] = "cancelled"
    state.awards[-1]["achykOutcome"] = kind.removeprefix("award.")
    return ["awardUpdate"], ("awards",)


def _on_award_lapsed(state: _Lot, fact: LedgerFact) -> Mapped | None:
    state.status = "unsuccessful"
    return ["tenderUpdate"], ("tender",)


def _on_award_signed(state: _Lot, fact: LedgerFact) -> Mapped | None:
    if not state.awards:
        return None
    state.awards[-1]["status"] = "active"
    return ["awardUpdate"], ("awards",)


def _on_contract_concluded(state: _Lot, fact: LedgerFact) -> Mapped | None:
    return _conclude(state, fact)


def _on_payment_recorded(state: _Lot, fact: LedgerFact) -> Mapped | None:
    payload = fact.payload
    number, amount = int(payload["number"]), int(payload["amount"])
    state.paid[number] = state.paid.get(number, 0) + amount
    bidder = str(payload["bidder"])
    state.transactions.append(
        {
            "id": f"payment-{fact.index}",
            "source": f"{state.publication.public_url}/lots/{state.lot}",
            "date": day(str(payload["paid_on"])),
            "value": value(amount),
            "payer": {"id": bidder, "name": f"Bidder {bidder}"},
            "payee": state.municipality_party,
            "achykScheduleLine": number,
        }
    )
    return ["implementation"], ("contracts",)


# What each kind of entry does to a lot's open data; kinds not listed change nothing public.
_HANDLERS: dict[str, Callable[[_Lot, LedgerFact], Mapped | None]] = {
    "lot.published": _on_lot_published,
    "lot.amended": _on_lot_amended,
    "lot.document": _on_lot_document,
    "lot.cancelled": _on_lot_cancelled,
    "application.submitted": _on_application_submitted,
    "auction.opened": _on_auction_opened,
    "auction.extended": _on_auction_extended,
    "bid.placed": _on_bid_placed,
    "bid.sealed": _on_bid_sealed,
    "bid.withdrawn": _on_bid_withdrawn,
    "bid.accepted": _on_bid_accepted,
    "runoff.revealed": _on_runoff_revealed,
    "auction.closed": _on_auction_closed,
    "sealed.opened": _on_sealed_opened,
    "award.made": _on_award_made,
    "award.passed": _on_award_made,
    "award.failed": _on_award_failed,
    "award.declined": _on_award_declined,
    "award.expired": _on_award_declined,
    "award.lapsed": _on_award_lapsed,
    "award.signed": _on_award_signed,
    "contract.concluded": _on_contract_concluded,
    "payment.recorded": _on_payment_recorded,
}


def _fold(state: _Lot, fact: LedgerFact) -> Mapped | None:
    """Apply one entry to the state; the release's tags and sections, or None when it changes nothing public."""
    handler = _HANDLERS.get(fact.kind)
    return None if handler is None else handler(state, fact)


def _conclude(state: _Lot, fact: LedgerFact) -> Mapped:
    payload = fact.payload
    schedule = [dict(line) for line in payload.get("schedule", [])]
    credited = int(payload.get("deposit_credited", 0))
    total = credited + sum(int(line["amount"]) for line in schedule)
    signed_on = str(payload["signed_on"])
    contract: dict[str, Any] = {
        "id": f"contract-{fact.index}",
        "awardID": state.awards[-1]["id"] if state.awards else "award-1",
        "title": ("Lease of " if payload.get("deal") == "lease" else "Sale of ")
        + str(state.terms.get("title_en") or state.terms.get("title_ru") or "the lot"),
        "status": "active",
        "dateSigned": day(signed_on),
        "value": value(total),
        "items": [_item(state.terms)],
        "achykBidder": str(payload["bidder"]),
        "achykDepositCredited": value(credited),
        "achykPrice": value(int(payload["price"])),
    }
    if payload.get("deal") == "lease":
        months = int(state.terms.get("lease_term_months") or 0)
        start = date.fromisoformat(signed_on) + timedelta(days=1)
        end = _add_months(start, months) - timedelta(days=1)
        contract["period"] = {"startDate": day(start.isoformat()), "endDate": day(end.isoformat())}
        contract["achykRentPeriod"] = state.terms.get("rent_period")
    else:
        contract["achykInstalments"] = payload.get("instalments")
    state.contract = contract
    state.schedule = [
        {"number": int(x["number"]), "due_on": str(x["due_on"]), "amount": int(x["amount"])} for x in schedule
    ]
    return ["contract"], ("awards", "contracts")


def pruned(value: Any) -> Any:
    """Without null fields: OCDS asks publishers to omit what they do not know rather than publish null."""
    if isinstance(value, dict):
        return {key: pruned(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [pruned(item) for item in value]
    return value


def lot_releases(facts: Iterable[LedgerFact], publication: Publication) -> list[dict[str, Any]]:
    """Every release of one lot, oldest first, from its chain's integrated entries in lot_seq order."""
    state: _Lot | None = None
    releases = []
    for fact in facts:
        if state is None:
            state = _Lot(publication, fact.lot)
        mapped = _fold(state, fact)
        if mapped is not None and state.published_at:
            tags, sections = mapped
            releases.append(pruned(_release(state, fact, tags, sections)))
    return releases
