"""A lot's ledger chain folded into what statistics and red flags are computed from: pure, no I/O.

A story holds only what the chain says (docs/ledger-entries.md), each fact with the entry that says it, so every
figure and every flag can point an inspector at the ledger indexes behind it. Bidders appear by their per-lot
pseudonyms only; nothing here can tell whether two lots' pseudonyms are one person (see auction/redflags/linking.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from auction.bidding.disclosure import competition_public
from auction.lots.models import AuctionFormat, LotState
from auction.opendata.release import LedgerFact


class Outcome(StrEnum):
    """Where a lot's chain stands."""

    OPEN = "open"  # published, bidding or closed and not yet decided
    AWARDED = "awarded"  # a winner is offered the lot (or has signed) and no contract is concluded yet
    CONTRACTED = "contracted"  # sold or leased: a contract is concluded
    FAILED = "failed"  # no winner, or every offer lapsed
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One ledger entry a figure or a flag rests on: anyone can fetch its inclusion proof by `index`."""

    index: int
    kind: str
    at: str  # the entry's ledger time string
    lot: int  # the lot whose chain holds it: a cross-lot flag's evidence spans lots


@dataclass(frozen=True, slots=True)
class Bid:
    """An accepted bid of any format, by per-lot pseudonym. A sealed bid's amount is known only once opened."""

    bidder: str
    amount: int | None
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class Payment:
    number: int
    amount: int
    paid_on: date
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    number: int
    due_on: date
    amount: int


@dataclass(frozen=True, slots=True)
class Offer:
    """An offer of the lot: to the winner (`award.made`) or passed to the runner-up (`award.passed`)."""

    bidder: str
    price: int
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class Walkaway:
    """A bidder offered the lot who declined it or let the deadline pass (`award.declined` / `award.expired`)."""

    bidder: str
    evidence: Evidence


@dataclass(slots=True)
class LotStory:
    lot: int
    municipality: int
    published: Evidence
    deal: str  # sale | lease, as the last terms say
    kind: str
    format: str  # open_ascending | sealed_bid | descending
    titles: Mapping[str, str]  # language -> title, the languages the terms have
    starting_price: int  # the last terms' (tyiyn; a lease: the rent per period)
    valuation: int | None  # the last terms' appraised value (tyiyn; a lease: the market rent per period), if recorded
    repeat_of: int | None
    rent_period: str | None = None
    lease_term_months: int | None = None
    applicants: list[str] = field(default_factory=list)  # pseudonyms, in the order they applied
    admitted: list[str] = field(default_factory=list)  # approved before the opening
    opened: Evidence | None = None
    participants: int | None = None  # `auction.opened` `participants`: the admitted count
    closes_at: str | None = None  # the close as last set (opened, extended, closed)
    closed: Evidence | None = None
    bids: list[Bid] = field(default_factory=list)  # in chain order; sealed amounts filled in at the opening
    withdrawals: list[tuple[str, Evidence]] = field(default_factory=list)  # (pseudonym, `bid.withdrawn`)
    offers: list[Offer] = field(default_factory=list)  # award.made, then any award.passed
    runner_up: str | None = None
    runner_up_price: int | None = None
    walkaways: list[Walkaway] = field(default_factory=list)
    decided: Evidence | None = None  # award.made or award.failed: the result
    failed: Evidence | None = None  # award.failed or award.lapsed
    cancelled: Evidence | None = None
    contract: Evidence | None = None
    contract_bidder: str | None = None
    contract_price: int | None = None
    signed_on: date | None = None
    schedule: list[ScheduleLine] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    terms_entry: Evidence | None = None  # the entry whose terms are the last: lot.published or the latest lot.amended
    applied: dict[str, Evidence] = field(default_factory=dict)  # pseudonym -> its `application.submitted`
    approved: dict[str, Evidence] = field(default_factory=dict)  # pseudonym -> its `application.approved`

    @property
    def outcome(self) -> Outcome:
        if self.cancelled is not None:
            return Outcome.CANCELLED
        if self.contract is not None:
            return Outcome.CONTRACTED
        if self.failed is not None:
            return Outcome.FAILED
        if self.offers:
            return Outcome.AWARDED
        return Outcome.OPEN

    @property
    def state(self) -> LotState:
        """The lot's state as far as its chain goes (a signed checkpoint may lag the lot page, never lead it)."""
        outcome = self.outcome
        if outcome is Outcome.CANCELLED:
            return LotState.CANCELLED
        if outcome is Outcome.FAILED:
            return LotState.FAILED
        if outcome is not Outcome.OPEN:
            return LotState.AWARDED
        if self.closed is not None:
            return LotState.CLOSED
        return LotState.BIDDING if self.opened is not None else LotState.PUBLISHED

    @property
    def competition_public(self) -> bool:
        """Whether the lot page shows how many competed: statistics tell no more (auction/bidding/disclosure.py)."""
        return competition_public(AuctionFormat(self.format), self.state)

    @property
    def winner(self) -> str | None:
        """Who holds the lot now: the contract's bidder, else the bidder last offered it (None when failed)."""
        if self.contract_bidder is not None:
            return self.contract_bidder
        if self.failed is not None or not self.offers:
            return None
        return self.offers[-1].bidder

    @property
    def price(self) -> int | None:
        """The price the lot went for: the contract's, else the standing offer's."""
        if self.contract_price is not None:
            return self.contract_price
        if self.failed is not None or not self.offers:
            return None
        return self.offers[-1].price

    def title(self, language: str) -> str:
        return (
            self.titles.get(language)
            or self.titles.get("en")
            or self.titles.get("ru")
            or next(iter(self.titles.values()), f"#{self.lot}")
        )


def _evidence(fact: LedgerFact) -> Evidence:
    return Evidence(fact.index, fact.kind, fact.at, fact.lot)


def _titles(terms: Mapping[str, Any]) -> dict[str, str]:
    languages = ("ky", "ru", "en")
    return {language: str(terms[f"title_{language}"]) for language in languages if terms.get(f"title_{language}")}


def lot_story(facts: Iterable[LedgerFact]) -> LotStory | None:
    """Fold one lot's chain (its entries in `lot_seq` order) into its story; None for a chain without a publication."""
    story: LotStory | None = None
    for fact in facts:
        payload = fact.payload
        if fact.kind == "lot.published":
            terms = payload["terms"]
            story = LotStory(
                lot=fact.lot,
                municipality=int(payload["municipality"]),
                published=_evidence(fact),
                deal=str(terms.get("deal")),
                kind=str(terms.get("kind")),
                format=str(terms.get("format")),
                titles=_titles(terms),
                starting_price=int(terms["starting_price"]),
                valuation=_valuation(terms),
                repeat_of=payload.get("repeat_of"),
                rent_period=terms.get("rent_period"),
                lease_term_months=terms.get("lease_term_months"),
                terms_entry=_evidence(fact),
            )
            continue
        if story is None:
            continue
        _apply(story, fact, payload)
    return story


def _valuation(terms: Mapping[str, Any]) -> int | None:
    found = terms.get("valuation")
    return int(found) if found is not None else None


def _apply(story: LotStory, fact: LedgerFact, payload: Mapping[str, Any]) -> None:  # noqa: PLR0912
    kind = fact.kind
    if kind == "lot.amended":
        terms = payload["terms"]
        # Any term but the format may change before bidding opens (auction/lots/service.py), the deal too.
        story.deal = str(terms.get("deal"))
        story.kind = str(terms.get("kind"))
        story.starting_price = int(terms["starting_price"])
        story.valuation = _valuation(terms)
        story.titles = _titles(terms)
        story.rent_period = terms.get("rent_period")
        story.lease_term_months = terms.get("lease_term_months")
        story.terms_entry = _evidence(fact)
    elif kind == "application.submitted":
        story.applicants.append(str(payload["bidder"]))
        story.applied.setdefault(str(payload["bidder"]), _evidence(fact))
    elif kind == "application.approved":
        story.admitted.append(str(payload["bidder"]))
        story.approved.setdefault(str(payload["bidder"]), _evidence(fact))
    elif kind == "auction.opened":
        story.opened = _evidence(fact)
        story.participants = int(payload["participants"])
        story.closes_at = str(payload["closes_at"])
    elif kind == "auction.extended":
        story.closes_at = str(payload["closes_at"])
    elif kind in {"bid.placed", "bid.accepted"}:
        story.bids.append(Bid(str(payload["bidder"]), int(payload["amount"]), _evidence(fact)))
    elif kind == "bid.sealed":
        story.bids.append(Bid(str(payload["bidder"]), None, _evidence(fact)))
    elif kind == "bid.withdrawn":
        story.withdrawals.append((str(payload["bidder"]), _evidence(fact)))
    elif kind == "auction.closed":
        story.closed = _evidence(fact)
        story.closes_at = str(payload["closes_at"])
    elif kind == "sealed.opened":
        amounts = {str(row["bidder"]): row["amount"] for row in payload["opened"]}
        # A bidder's latest sealed bid is the one that stands and the one the commission opened.
        latest = {bid.bidder: position for position, bid in enumerate(story.bids)}
        for bidder, position in latest.items():
            amount = amounts.get(bidder)
            if amount is not None:
                story.bids[position] = Bid(bidder, int(amount), story.bids[position].evidence)
    else:
        _apply_result(story, fact, payload)


def _apply_result(story: LotStory, fact: LedgerFact, payload: Mapping[str, Any]) -> None:
    """The result and what follows it: offers, walk-aways, the contract and its payments."""
    kind = fact.kind
    if kind == "award.made":
        story.decided = _evidence(fact)
        story.offers.append(Offer(str(payload["winner"]), int(payload["price"]), _evidence(fact)))
        story.runner_up = payload.get("runner_up")
        runner_up_price = payload.get("runner_up_price")
        story.runner_up_price = int(runner_up_price) if runner_up_price is not None else None
    elif kind == "award.passed":
        story.offers.append(Offer(str(payload["to"]), int(payload["price"]), _evidence(fact)))
    elif kind in {"award.declined", "award.expired"}:
        story.walkaways.append(Walkaway(str(payload["bidder"]), _evidence(fact)))
    elif kind in {"award.failed", "award.lapsed"}:
        story.failed = _evidence(fact)
        if kind == "award.failed":
            story.decided = _evidence(fact)
    elif kind == "lot.cancelled":
        story.cancelled = _evidence(fact)
    elif kind == "contract.concluded":
        story.contract = _evidence(fact)
        story.contract_bidder = str(payload["bidder"])
        story.contract_price = int(payload["price"])
        story.signed_on = date.fromisoformat(str(payload["signed_on"]))
        story.schedule = [
            ScheduleLine(int(line["number"]), date.fromisoformat(str(line["due_on"])), int(line["amount"]))
            for line in payload["schedule"]
        ]
    elif kind == "payment.recorded":
        story.payments.append(
            Payment(
                int(payload["number"]),
                int(payload["amount"]),
                date.fromisoformat(str(payload["paid_on"])),
                _evidence(fact),
            )
        )
