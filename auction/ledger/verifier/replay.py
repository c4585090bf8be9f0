"""The inspector's auction replay: re-derive every lot's history, and every award, from its ledger chain.

``replay(leaves)`` is the `Replay` extension point of ``auction.ledger.verifier.verify``. It groups bodies by lot
(the platform chain, ``lot`` null, is passed over) and runs each lot's chain, in ``lot_seq`` order, through
the state machine of docs/ledger-entries.md::

    lot.published -> (lot.amended | lot.document)*
      -> application.submitted / deposit.confirmed / application.approved|rejected
      -> auction.opened -> bid.placed + auction.extended | bid.sealed / bid.withdrawn | bid.accepted
      -> auction.closed -> (sealed.share* -> sealed.opened) -> award.made | award.failed
      -> award.signed -> contract.concluded -> payment.recorded*
       | (award.declined | award.expired -> deposit.forfeited? -> award.passed -> ... | award.lapsed)
    lot.cancelled at any point before the award; nothing after it but deposit refunds.
    deposit.refunded from the result on (award.made, award.failed, lot.cancelled), once per non-winner.
    protocol.issued once after award.made | award.failed, then protocol.signed by commission members (also
    after the chain is otherwise complete).

Every rule is checked with the functions the platform itself uses (``auction.ledger.verifier.auction_rules`` for minimum
bids, the soft close, the Dutch clock and the winner; ``auction.ledger.verifier.dkg`` and ``sealed`` to check the
commission's key ceremony and every decryption share, and to open every sealed bid itself), so an award the replay
recomputes comes from the code that made it.

Every body's payload must hold exactly the fields docs/ledger-entries.md defines for its kind (`PAYLOAD_FIELDS`);
an unknown kind or field is a violation, on the platform chain too, which holds only the platform's own records:
key rotations, release script and verifier hashes, witnesses, municipal rules, incidents, and the inspectors' link key
and its uses. The starting
price is a floor in every format, and admission closes when bidding opens.

A lot's replay stops at its first violation, reported as a `Finding` at that body's global leaf index; the
other lots go on. A lot whose chain is still open (no award yet) passes as long as every body so far obeys
the rules. Standard library, `cryptography`, PyNaCl and the verifier's own modules only: an inspector runs it offline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from auction.ledger.verifier import auction_rules as rules
from auction.ledger.verifier import dkg, dutch_clock, settlement
from auction.ledger.verifier import protocol as pr
from auction.ledger.verifier import runoff as tie
from auction.ledger.verifier import statements as st
from auction.ledger.verifier.auction_rules import AuctionFormat, Deal, SingleParticipantRule
from auction.ledger.verifier.canonical import format_time, parse_time
from auction.ledger.verifier.commitments import is_commitment
from auction.ledger.verifier.entry import ZERO_HASH, Body, Leaf
from auction.ledger.verifier.incident import INCIDENT_FIELDS, INCIDENT_KIND, incident_problem
from auction.ledger.verifier.inspection import (
    INSPECTION_KEY_FIELDS,
    INSPECTION_KEY_KIND,
    INSPECTION_LINKED_FIELDS,
    INSPECTION_LINKED_KIND,
    inspection_key_problem,
    inspection_linked_problem,
)
from auction.ledger.verifier.late_bids import LATE_FIELD, LotBidTimes, counted_standing
from auction.ledger.verifier.lease_terms import LEASE_OPTIONAL_FIELDS, lease_terms_problem
from auction.ledger.verifier.municipal_rules import (
    DEFAULT_RULES,
    MUNICIPALITY_RULES_FIELDS,
    MUNICIPALITY_RULES_KIND,
    MunicipalRules,
    municipality_rules_problem,
    parse_rules,
)
from auction.ledger.verifier.publication_rules import (
    MATERIAL_TERMS,
    ScheduleTerms,
    publication_breaches,
    reopened_window_breach,
    repeat_breaches,
)
from auction.ledger.verifier.published import VERIFIER_FIELDS, VERIFIER_KIND, verifier_problem
from auction.ledger.verifier.release import RELEASE_FIELDS, RELEASE_KIND, release_problem
from auction.ledger.verifier.report import Finding
from auction.ledger.verifier.running_rules import (
    UNREVIEWED_REASON,
    cancellation_breach,
    is_official,
    order_problem,
    undecided,
)
from auction.ledger.verifier.sealed import SealedBidError, ciphertext_hash, decrypt_bid, ephemeral_of
from auction.ledger.verifier.witness_policy import WITNESS_POLICY_FIELDS, WITNESS_POLICY_KIND, witness_policy_problem
from auction.ledger.verifier.witnessing import Witnessing

__all__ = ["Finding", "replay"]

# Plain strings, as payloads hold them (and as messages print them).
OPEN = AuctionFormat.OPEN_ASCENDING.value
SEALED = AuctionFormat.SEALED_BID.value
DESCENDING = AuctionFormat.DESCENDING.value
FORMATS = frozenset(f.value for f in AuctionFormat)
SINGLE_PARTICIPANT_RULES = frozenset(r.value for r in SingleParticipantRule)
DEALS = frozenset(d.value for d in Deal)
SYSTEM = "system"

PSEUDONYM_RE = re.compile(r"b-[0-9a-f]{16}")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
# A repeat auction may follow a lot whose chain ended with no contract: nobody won, or every winner walked away.
FAILED_ENDINGS = frozenset({"award.failed", "award.lapsed"})
OFFICIAL_RE = re.compile(r"(officer|admin):[0-9]+")

OFFICIAL_KINDS = frozenset(
    {
        "lot.published",
        "lot.amended",
        "lot.document",
        "lot.cancelled",
        "deposit.confirmed",
        "application.approved",
        "application.rejected",
        "sealed.share",
        "sealed.opened",
        "bidder.key.replaced",
        pr.SIGNED,
    }
    | settlement.SETTLEMENT_OFFICIAL_KINDS
)
SYSTEM_KINDS = frozenset(
    {
        "auction.opened",
        "auction.extended",
        "auction.closed",
        "award.made",
        "award.failed",
        "award.expired",
        "award.passed",
        "award.lapsed",
        pr.ISSUED,
        "runoff.opened",
        "runoff.revealed",
    }
    | settlement.SETTLEMENT_SYSTEM_KINDS
)
BIDDER_KINDS = frozenset(
    {
        "application.submitted",
        "bid.placed",
        "bid.sealed",
        "bid.withdrawn",
        "bid.accepted",
        "award.signed",
        "award.declined",
        "bidder.key.added",
        "runoff.offer",
    }
)

# The exact payload of every entry kind (docs/ledger-entries.md): (required fields, optional fields). A field
# outside both sets is refused, as is a kind not listed here: an entry the rules cannot read is not certified.
_LEASE = frozenset({"rent_period", "lease_term_months"})
_DECISION = frozenset({"chain_head", "chain_length", "bid_count", "reason"})
Fields = tuple[frozenset[str], frozenset[str]]
PAYLOAD_FIELDS: dict[str, Fields] = {
    "lot.published": (
        frozenset({"version", "municipality", "rules", "terms"}),
        frozenset({"sealed", "repeat_of", "commission"}),
    ),
    "lot.amended": (frozenset({"version", "terms", "changed", "reason", "reopened_applications"}), frozenset()),
    "lot.document": (
        frozenset(
            {
                "version",
                "filename",
                "sha256",
                "size",
                "content_type",
                "replaces",
                "reason",
                "applications_close_at",
            }
        ),
        frozenset(),
    ),
    "lot.cancelled": (frozenset({"reason", "was", "requested_by", "confirmed_by", "order"}), frozenset()),
    "application.submitted": (frozenset({"bidder", "keys", "signed"}), frozenset()),
    "bidder.key.added": (frozenset({"bidder", "key", "signed"}), frozenset()),
    "bidder.key.replaced": (frozenset({"bidder", "key", "reason", "signed"}), frozenset()),
    # The bank reference itself stays in the database: the ledger holds its salted commitment (.commitments).
    "deposit.confirmed": (frozenset({"bidder", "bank_reference_commitment"}), frozenset()),
    "application.approved": (frozenset({"bidder"}), frozenset()),
    "application.rejected": (frozenset({"bidder", "reason"}), frozenset()),
    "auction.opened": (
        frozenset({"closes_at", "latest_close", "participants", "outage_rule"}),
        frozenset({"tie_rule"}),
    ),
    "bid.placed": (frozenset({"bidder", "amount", "signed"}), frozenset()),
    "auction.extended": (frozenset({"closes_at", "reason"}), frozenset({"outage_from", "outage_to"})),
    "bid.sealed": (frozenset({"bidder", "ciphertext", "ciphertext_hash", "replaces", "signed"}), frozenset()),
    "bid.withdrawn": (frozenset({"bidder", "signed"}), frozenset()),
    "bid.accepted": (frozenset({"bidder", "amount", "limit", "signed"}), frozenset()),
    "auction.closed": (frozenset({"chain_head", "chain_length", "bid_count", "closes_at"}), frozenset({LATE_FIELD})),
    "sealed.share": (frozenset({"member", "shares", "sig"}), frozenset()),
    "sealed.opened": (
        frozenset({"released_by", "opened", "disqualified", "below_starting_price"}),
        frozenset(),
    ),
    "award.made": (
        _DECISION | {"winner", "price", "runner_up", "runner_up_price", "sign_deadline", "deal"},
        _LEASE,
    ),
    "award.failed": (_DECISION, frozenset()),
    "runoff.opened": (frozenset({"contenders", "price", "closes_at"}), frozenset()),
    "runoff.offer": (frozenset({"bidder", "offer_hash", "signed"}), frozenset()),
    "runoff.revealed": (frozenset({"offers"}), frozenset()),
    "award.signed": (frozenset({"bidder", "price", "signed"}), frozenset()),
    "award.declined": (frozenset({"bidder", "deposit", "signed"}), frozenset()),
    "award.expired": (frozenset({"bidder", "deposit"}), frozenset()),
    "award.passed": (frozenset({"to", "price", "sign_deadline", "deal"}), _LEASE),
    "award.lapsed": (frozenset({"reason"}), frozenset()),
    # After the award: the contract, payments and deposits (auction.ledger.verifier.settlement).
    **settlement.SETTLEMENT_FIELDS,
    pr.ISSUED: (pr.ISSUED_FIELDS, frozenset()),
    pr.SIGNED: (pr.SIGNED_FIELDS, frozenset()),
}
# The results protocol is issued and signed after the award, also once the lot's chain is otherwise complete.
AFTER_COMPLETION_KINDS = frozenset({pr.ISSUED, pr.SIGNED})
# The platform chain (lot null) holds key rotations, whose keys the verifier's merge checks, the hashes of the
# scripts each release serves (auction.ledger.verifier.release), the offline verifier the site serves
# (.published), the witnesses (.witness_policy), and the inspectors' link key in force and each use of it
# (.inspection).
PLATFORM_PAYLOAD_FIELDS: dict[str, Fields] = {
    "key.rotated": (frozenset({"old_vkey", "new_vkey"}), frozenset()),
    RELEASE_KIND: (RELEASE_FIELDS, frozenset()),
    WITNESS_POLICY_KIND: (WITNESS_POLICY_FIELDS, frozenset()),
    MUNICIPALITY_RULES_KIND: (MUNICIPALITY_RULES_FIELDS, frozenset()),
    INCIDENT_KIND: (INCIDENT_FIELDS, frozenset()),
    VERIFIER_KIND: (VERIFIER_FIELDS, frozenset()),
    INSPECTION_KEY_KIND: (INSPECTION_KEY_FIELDS, frozenset()),
    INSPECTION_LINKED_KIND: (INSPECTION_LINKED_FIELDS, frozenset()),
}
TERMS_FIELDS = frozenset(
    {
        "deal",
        "kind",
        "format",
        "title_ky",
        "title_ru",
        "title_en",
        "description_ky",
        "description_ru",
        "description_en",
        "address",
        "area_sqm",
        "registration_number",
        "starting_price",
        "bid_step",
        "deposit",
        "lease_term_months",
        "rent_period",
        "applications_close_at",
        "bidding_opens_at",
        "bidding_closes_at",
        "soft_close_minutes",
        "max_extension_minutes",
        "floor_price",
        "price_drop_interval_seconds",
        "single_participant_rule",
    }
)
# Terms added after the first chains were written: present (possibly null) in every new lot's terms.
# Deposit payment details (issue 13): where bidders pay; recorded so that a changed account is a public amendment.
PAYMENT_TERMS = frozenset(
    {"payment_recipient", "payment_bank", "payment_account", "payment_bank_code", "payment_purpose"}
)
# The appraised value (issue 15): what the statistics and red flags compare a result with; it binds no bid.
VALUATION_TERMS = frozenset({"valuation"})
TERMS_OPTIONAL_FIELDS = (
    frozenset({"council_decision", "indexation_percent"}) | LEASE_OPTIONAL_FIELDS | PAYMENT_TERMS | VALUATION_TERMS
)
OUTAGE_RULE_FIELDS = frozenset({"threshold_seconds", "extension_minutes"})

# Phases of a lot's chain. The first four are also the lot states `lot.cancelled` records in `was`.
NEW, PUBLISHED, BIDDING, CLOSED, OFFERED, LAPSING, DONE, CANCELLED = (
    "new",
    "published",
    "bidding",
    "closed",
    "offered",
    "lapsing",
    "done",
    "cancelled",
)


class _Violation(Exception):
    """A body breaks a rule; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _t(moment: datetime) -> str:
    return format_time(moment)


# --- payload fields ---------------------------------------------------------------------------------------


def _get(obj: dict[str, Any], name: str, where: str) -> Any:
    if name not in obj:
        raise _Violation(f"{where} has no {name}")
    return obj[name]


def _int(obj: dict[str, Any], name: str, where: str = "payload", *, low: int | None = None) -> int:
    value = _get(obj, name, where)
    if type(value) is not int:
        raise _Violation(f"{where} {name} must be an integer, got {value!r}")
    if low is not None and value < low:
        raise _Violation(f"{where} {name} must be at least {low}, got {value}")
    return value


def _opt_int(obj: dict[str, Any], name: str, where: str, *, low: int) -> int | None:
    if obj.get(name) is None:
        return None
    return _int(obj, name, where, low=low)


def _opt_str(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    return None if value is None else str(value)


def _str(obj: dict[str, Any], name: str, where: str = "payload") -> str:
    value = _get(obj, name, where)
    if type(value) is not str:
        raise _Violation(f"{where} {name} must be a string, got {value!r}")
    return value


def _bool(obj: dict[str, Any], name: str, where: str = "payload") -> bool:
    value = _get(obj, name, where)
    if type(value) is not bool:
        raise _Violation(f"{where} {name} must be true or false, got {value!r}")
    return value


def _time(obj: dict[str, Any], name: str, where: str = "payload") -> datetime:
    text = _str(obj, name, where)
    try:
        return parse_time(text)
    except ValueError:
        raise _Violation(f"{where} {name} is not a ledger time string: {text!r}") from None


def _dict(obj: dict[str, Any], name: str, where: str = "payload") -> dict[str, Any]:
    value = _get(obj, name, where)
    if type(value) is not dict:
        raise _Violation(f"{where} {name} must be an object")
    return value


def _list(obj: dict[str, Any], name: str, where: str = "payload") -> list[Any]:
    value = _get(obj, name, where)
    if type(value) is not list:
        raise _Violation(f"{where} {name} must be a list")
    return value


def _pseudonym(obj: dict[str, Any], name: str = "bidder") -> str:
    value = _str(obj, name)
    if PSEUDONYM_RE.fullmatch(value) is None:
        raise _Violation(f"payload {name} {value!r} is not a bidder pseudonym (b- and 16 hex digits)")
    return value


def _exact_fields(
    obj: dict[str, Any], required: frozenset[str], optional: frozenset[str] = frozenset(), where: str = "payload"
) -> None:
    """The object holds every required field and nothing outside required + optional."""
    unknown = sorted(set(obj) - required - optional)
    if unknown:
        raise _Violation(f"{where} has unknown fields {unknown}")
    missing = sorted(required - set(obj))
    if missing:
        raise _Violation(f"{where} misses fields {missing}")


def _payload_fields(kind: str, payload: dict[str, Any], table: dict[str, Fields]) -> None:
    """The payload is exactly what docs/ledger-entries.md defines for its kind."""
    required, optional = table[kind]
    _exact_fields(payload, required, optional)


# --- terms ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Terms:
    """The terms a lot's rules need, parsed from `lot.published` / `lot.amended`."""

    raw: dict[str, Any]
    format: str
    deal: str
    starting_price: int
    bid_step: int
    applications_close_at: datetime
    bidding_opens_at: datetime
    bidding_closes_at: datetime
    soft_close: timedelta
    max_extension: timedelta
    floor_price: int | None
    price_interval: timedelta | None
    sell_single_at_start: bool
    rent_period: object
    lease_term_months: object


def _terms(payload: dict[str, Any]) -> _Terms:
    raw = _dict(payload, "terms")
    where = "terms"
    _exact_fields(raw, TERMS_FIELDS, TERMS_OPTIONAL_FIELDS, where=where)
    fmt = _str(raw, "format", where)
    if fmt not in FORMATS:
        raise _Violation(f"terms format {fmt!r} is not one of {sorted(FORMATS)}")
    deal = _str(raw, "deal", where)
    if deal not in DEALS:
        raise _Violation(f"terms deal {deal!r} is not one of {sorted(DEALS)}")
    rule = _str(raw, "single_participant_rule", where)
    if rule not in SINGLE_PARTICIPANT_RULES:
        raise _Violation(f"terms single_participant_rule {rule!r} is not one of {sorted(SINGLE_PARTICIPANT_RULES)}")
    floor = _opt_int(raw, "floor_price", where, low=1)
    interval = _opt_int(raw, "price_drop_interval_seconds", where, low=1)
    starting_price = _int(raw, "starting_price", where, low=1)
    # Read only to be checked: the statistics compare results with it, so what they read must be an amount.
    _opt_int(raw, "valuation", where, low=1)
    if fmt == DESCENDING and (floor is None or interval is None):
        raise _Violation("a descending lot's terms need floor_price and price_drop_interval_seconds")
    if fmt == DESCENDING and floor is not None and floor >= starting_price:
        raise _Violation(f"terms floor_price {floor} is not below the starting_price {starting_price}")
    return _Terms(
        raw=raw,
        format=fmt,
        deal=deal,
        starting_price=starting_price,
        bid_step=_int(raw, "bid_step", where, low=1),
        applications_close_at=_time(raw, "applications_close_at", where),
        bidding_opens_at=_time(raw, "bidding_opens_at", where),
        bidding_closes_at=_time(raw, "bidding_closes_at", where),
        soft_close=timedelta(minutes=_int(raw, "soft_close_minutes", where, low=0)),
        max_extension=timedelta(minutes=_int(raw, "max_extension_minutes", where, low=0)),
        floor_price=floor,
        price_interval=None if interval is None else timedelta(seconds=interval),
        sell_single_at_start=rule == "sell_at_start",
        rent_period=raw.get("rent_period"),
        lease_term_months=raw.get("lease_term_months"),
    )


# --- one lot ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _SealedBid:
    ciphertext: str
    at: datetime
    seq: int
    index: int


@dataclass(slots=True)
class _Lot:
    """The replayed state of one lot's chain."""

    lot: int
    next_seq: int = 1
    head: str = ZERO_HASH
    phase: str = NEW
    ended_by: str = ""
    previous: Body | None = None
    # publication
    version: int = 0
    terms: _Terms | None = None
    ceremony: dkg.Ceremony | None = None
    shares: dict[int, dict[str, bytes]] = field(default_factory=dict)  # member -> ciphertext_hash -> D
    # participation
    applied: set[str] = field(default_factory=set)
    deposited: set[str] = field(default_factory=set)
    approved: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)
    # the running auction
    opened_at: datetime | None = None
    closes_at: datetime | None = None
    latest_close: datetime | None = None
    outage_threshold: timedelta = timedelta(0)
    outage_extension: timedelta = timedelta(0)
    pending_extension: tuple[datetime, int] | None = None  # (close the soft-close rule gives, bid's index)
    bid_bodies: int = 0
    current_price: int | None = None
    placed: list[rules.Placed] = field(default_factory=list)
    standing: dict[str, _SealedBid] = field(default_factory=dict)
    amounts: dict[str, int] | None = None  # decrypted standing sealed bids, once sealed.opened
    acceptance: rules.Placed | None = None
    acceptance_index: int = -1
    # descending lots opened with the published tie rule (runoff.py): recorded outages, the tick's contenders,
    # and their run-off (tick price, deadline, committed offer hashes, revealed amounts)
    tie_rule: bool = False
    pauses: list[dutch_clock.Pause] = field(default_factory=list)
    contenders: list[rules.Placed] = field(default_factory=list)
    runoff_price: int | None = None
    runoff_closes: datetime | None = None
    runoff_hashes: dict[str, str] = field(default_factory=dict)
    runoff_offers: dict[str, int] | None = None
    # witnessed time (docs/witnesses.md §5): each bid's close in force, sealed bids by lot_seq, and the late ones
    witnessing: Witnessing | None = None
    # Whether the platform chain had a witness.policy with a quorum in force when bidding opened: a lot that ran
    # before the platform had witnesses cannot have been judged by them, and is judged by its entries alone.
    witnessed_run: bool = False
    bid_times: LotBidTimes = field(default_factory=LotBidTimes)
    sealed_events: list[tuple[int, str, str]] = field(default_factory=list)
    sealed_by_seq: dict[int, _SealedBid] = field(default_factory=dict)
    late_acceptance: bool = False
    # bidder keys (docs/keys.md 1.3): each bidder's registered keys by key id, and their last signed seq
    bidder_keys: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    bidder_seq: dict[str, int] = field(default_factory=dict)
    # the award
    offered: str | None = None
    offer_price: int | None = None
    deadline: datetime | None = None
    runner_up: tuple[str, int] | None = None
    offer_passed: bool = False  # the current offer came by award.passed: the runner-up may decline at no cost
    # the results protocol (docs/keys.md 3): the bodies it is built from, the commission, its hash and signers
    protocol_sources: list[Body] = field(default_factory=list)
    commission: list[int] = field(default_factory=list)
    protocol_hash: str | None = None
    protocol_signers: set[int] = field(default_factory=set)
    # Every municipality's rules as last recorded on the platform chain (shared by all lots, in index order).
    municipal_rules: dict[int, MunicipalRules] = field(default_factory=dict)
    municipality: int = 0
    # The system rejects unreviewed applications only at the opening: once it starts, auction.opened must follow.
    rejecting_unreviewed: bool = False
    # after the award: the contract and the deposits (auction.ledger.verifier.settlement)
    book: settlement.SettlementBook = field(default_factory=settlement.SettlementBook)
    lapsed: str | None = None  # the bidder whose offer was just declined or expired
    signed_at: datetime | None = None
    # The rules this lot was published by (its lot.published `rules`), and when, for whom.
    in_force: MunicipalRules = DEFAULT_RULES
    published_at: datetime | None = None
    # Repeat auctions: every lot replayed so far (shared, never forgotten), failed lot -> its repeat (shared), and
    # this lot's place in its property's chain of auctions.
    all_lots: dict[int, _Lot] = field(default_factory=dict)
    repeats: dict[int, int] = field(default_factory=dict)
    attempt: int = 1
    repeat_previous: dict[str, Any] | None = None  # the failed lot's last terms, when this lot repeats it
    replaced_documents: set[str] = field(default_factory=set)

    # -- driver --

    def step(self, index: int, body: Body) -> None:
        """Check one body against the rules and advance; raises _Violation."""
        if body.lot_seq != self.next_seq:
            raise _Violation(f"lot_seq {body.lot_seq} where {self.next_seq} comes next")
        if body.prev_body != self.head:
            raise _Violation(f"prev_body {body.prev_body} is not the previous body's hash {self.head}")
        kind = body.kind
        if kind not in PAYLOAD_FIELDS:
            raise _Violation(f"{kind} is not a lot entry kind of docs/ledger-entries.md")
        _payload_fields(kind, body.payload, PAYLOAD_FIELDS)
        if self.phase == NEW and kind != "lot.published":
            raise _Violation(f"the chain's first body is {kind}, not lot.published")
        after_result = kind in settlement.AFTER_RESULT_KINDS
        if self.phase == CANCELLED and not after_result:
            raise _Violation(f"{kind} after lot.cancelled")
        if self.phase == DONE and not (after_result or kind in AFTER_COMPLETION_KINDS):
            raise _Violation(f"{kind} after {self.ended_by}: the lot's chain is complete")
        if self.ended_by == "award.signed" and not self.book.concluded and kind != settlement.CONTRACT_CONCLUDED:
            raise _Violation(f"{kind} after award.signed, which contract.concluded must follow at once")
        if self.pending_extension is not None and not (
            kind == "auction.extended" and body.payload.get("reason") == "soft_close"
        ):
            close, bid_index = self.pending_extension
            raise _Violation(
                f"the bid.placed at index {bid_index} moves the close to {_t(close)} by the soft-close rule, "
                f"but it is followed by {kind}, not auction.extended"
            )
        if self.rejecting_unreviewed and not (
            kind == "auction.opened" or (kind == "application.rejected" and body.actor == SYSTEM)
        ):
            raise _Violation(
                f"{kind} after the system rejected unreviewed applications: auction.opened must follow them"
            )
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise _Violation(f"{kind} is not a lot entry kind of docs/ledger-entries.md")
        self._check_actor(body)
        if kind in st.SIGNED_KINDS:
            self._check_statement(body)
        handler(self, index, body)
        if kind in pr.SOURCE_KINDS:
            self.protocol_sources.append(body)
        self.bid_times.see(index, body)
        self.next_seq += 1
        self.head = body.hash
        self.previous = body

    def _check_actor(self, body: Body) -> None:
        actor, kind = body.actor, body.kind
        # The scheduler opens a sealed lot by itself once k shares are in; anyone could, the shares being public.
        opened_by_system = kind == "sealed.opened" and actor == SYSTEM
        # ... and rejects, at the opening, every application nobody reviewed (running_rules.py).
        rejected_by_system = kind == "application.rejected" and actor == SYSTEM
        by_system = opened_by_system or rejected_by_system
        if kind in OFFICIAL_KINDS and OFFICIAL_RE.fullmatch(actor) is None and not by_system:
            raise _Violation(f"actor {actor!r} is not an officer or admin")
        if kind in SYSTEM_KINDS and actor != SYSTEM:
            raise _Violation(f"actor {actor!r} is not {SYSTEM}")
        if kind in BIDDER_KINDS:
            bidder = _pseudonym(body.payload)
            if actor != f"bidder:{bidder}":
                raise _Violation(f"actor {actor!r} is not the payload's bidder:{bidder}")

    def _check_statement(self, body: Body) -> None:
        """The entry is signed by a key registered for its bidder on this lot, with the next seq, in time."""
        kind, payload = body.kind, body.payload
        bidder = _pseudonym(payload)
        try:
            if kind == "application.submitted":
                registry = {st.key_id(key): key for key in st.check_keys(payload["keys"])}
                last = 0
            elif kind == "bidder.key.replaced":
                if bidder not in self.bidder_keys:
                    raise _Violation(f"bidder.key.replaced for {bidder}, who did not apply")
                new = st.check_key(payload["key"])
                registry, last = {st.key_id(new): new}, self.bidder_seq[bidder]
            else:
                if bidder not in self.bidder_keys:
                    raise _Violation(f"{kind} by {bidder}, who has no keys on this lot (no application.submitted)")
                registry, last = self.bidder_keys[bidder], self.bidder_seq[bidder]
            signed = st.check_signed(self.lot, kind, payload, body.at_datetime, registry, last + 1)
            if kind == "bidder.key.added":
                new = st.check_key(payload["key"])
                if st.key_id(new) in registry:
                    raise _Violation(f"bidder.key.added adds {st.key_id(new)}, which {bidder} already has")
                if len(registry) >= st.MAX_KEYS:
                    raise _Violation(f"bidder.key.added: {bidder} already has {st.MAX_KEYS} keys on this lot")
                registry = {**registry, st.key_id(new): new}
        except st.StatementError as exc:
            raise _Violation(f"signed: {exc.reason} ({exc.code})") from None
        if kind == "application.submitted" and bidder in self.bidder_keys:
            return  # applied twice: the handler names it
        self.bidder_keys[bidder] = registry
        self.bidder_seq[bidder] = signed["seq"]

    def _require(self, body: Body, *phases: str) -> None:
        if self.phase in phases:
            return
        where = {
            PUBLISHED: "before auction.opened",
            BIDDING: "while bidding is open (before auction.closed)",
            CLOSED: "after auction.closed",
            OFFERED: f"while the award is offered to {self.offered}",
            LAPSING: "after the award was declined or expired (award.passed or award.lapsed comes next)",
            NEW: "before lot.published",
            DONE: f"after {self.ended_by}",
        }[self.phase]
        raise _Violation(f"{body.kind} is not allowed {where}")

    def _need_terms(self) -> _Terms:
        assert self.terms is not None  # lot.published comes first, so every later body has terms
        return self.terms

    def _chain_fields(self, body: Body) -> None:
        payload = body.payload
        head = _str(payload, "chain_head")
        if head != self.head:
            raise _Violation(f"chain_head {head} is not the previous body's hash {self.head}")
        length = _int(payload, "chain_length")
        if length != body.lot_seq - 1:
            raise _Violation(f"chain_length {length} is not the previous body's lot_seq {body.lot_seq - 1}")

    # -- publication --

    def published(self, index: int, body: Body) -> None:
        if self.phase != NEW:
            raise _Violation("lot.published again: it must be the chain's first body only")
        payload = body.payload
        self.version = _int(payload, "version", low=1)
        municipality = self.municipality = _int(payload, "municipality", low=1)
        in_force = self.municipal_rules.get(municipality, DEFAULT_RULES)
        if _dict(payload, "rules") != in_force.payload():
            raise _Violation(
                f"lot.published rules are not municipality {municipality}'s rules in force "
                f"(the last municipality.rules, or the defaults): {in_force.payload()}"
            )
        self.in_force, self.published_at = in_force, body.at_datetime
        self.terms = _terms(payload)
        self._lease_terms(self.terms)
        self._publication_rules(self.terms)
        if payload.get("repeat_of") is not None:
            self._repeat_of(payload["repeat_of"])
        sealed = payload.get("sealed")
        if self.terms.format == SEALED:
            if type(sealed) is not dict:
                raise _Violation("a sealed-bid lot is published without its commission's sealed key ceremony")
            try:
                self.ceremony = dkg.check_ceremony(self.lot, sealed)
            except dkg.CeremonyError as exc:
                raise _Violation(str(exc)) from None
        elif sealed is not None:
            raise _Violation(f"a {self.terms.format} lot is published with a sealed-bid key")
        if sealed is not None and "commission" in payload:
            raise _Violation("a sealed-bid lot's commission is its key ceremony's members, not a commission field")
        try:
            self.commission = pr.commission_of(payload)
        except pr.ProtocolError as exc:
            raise _Violation(exc.reason) from None
        self.phase = PUBLISHED

    def amended(self, index: int, body: Body) -> None:
        self._require(body, PUBLISHED)
        payload = body.payload
        version = _int(payload, "version")
        if version != self.version + 1:
            raise _Violation(f"lot.amended version {version} does not follow version {self.version}")
        old, new = self._need_terms(), _terms(payload)
        self._lease_terms(new)
        if new.format == SEALED and self.ceremony is None:
            raise _Violation("the amendment makes the lot sealed-bid, but no sealed key was published")
        if new.format != SEALED and self.ceremony is not None:
            raise _Violation(f"the amendment makes a sealed-bid lot {new.format}")
        changed = _list(payload, "changed")
        if not all(type(name) is str for name in changed):
            raise _Violation("payload changed must list term names")
        differ = {key for key in old.raw.keys() | new.raw.keys() if old.raw.get(key) != new.raw.get(key)}
        missing = sorted(differ - set(changed))
        if missing:
            raise _Violation(f"lot.amended changes {missing} but its `changed` does not name them")
        _str(payload, "reason")
        reopened = _bool(payload, "reopened_applications")
        material = sorted(differ & MATERIAL_TERMS)
        if material and self.applied and not reopened:
            raise _Violation(
                f"lot.amended changes material terms {material} after applications without reopening applications"
            )
        if reopened:
            self._reopened_window(new.applications_close_at, body)
        self._publication_rules(new)
        self.version, self.terms = version, new
        if self.repeat_previous is not None:
            self._repeat_rules()

    def document(self, index: int, body: Body) -> None:
        """A document added or replaced while applications run; once bidders applied, it reopens applications."""
        self._require(body, PUBLISHED)
        payload, terms = body.payload, self._need_terms()
        filename = _str(payload, "filename")
        if not 1 <= len(filename) <= 200:
            raise _Violation("lot.document filename must be 1 to 200 characters")
        for name in ("sha256", "replaces"):
            value = payload[name]
            if (name == "sha256" or value is not None) and (type(value) is not str or not SHA256_RE.fullmatch(value)):
                raise _Violation(f"lot.document {name} must be a hex SHA-256, got {value!r}")
        _int(payload, "size", low=1)
        _str(payload, "content_type")
        replaces = payload["replaces"]
        if replaces is not None:
            if replaces in self.replaced_documents:
                raise _Violation(f"lot.document replaces {replaces}, which was already replaced")
            self.replaced_documents.add(replaces)
        version, reason, until = _int(payload, "version"), payload["reason"], payload["applications_close_at"]
        if until is None:
            if self.applied:
                raise _Violation("lot.document after applications without reopening applications")
            if version != self.version:
                raise _Violation(f"lot.document version {version} but the lot is at version {self.version}")
            if reason is not None:
                _str(payload, "reason")
            return
        if type(reason) is not str or not reason.strip():
            raise _Violation("lot.document reopens applications without a reason")
        if version != self.version + 1:
            raise _Violation(f"lot.document version {version} does not follow version {self.version}")
        deadline = _time(payload, "applications_close_at")
        self._reopened_window(deadline, body)
        if deadline > terms.bidding_opens_at:
            raise _Violation(
                f"lot.document reopens applications until {_t(deadline)}, after bidding opens at "
                f"{_t(terms.bidding_opens_at)}"
            )
        raw = {**terms.raw, "applications_close_at": until}
        self.version, self.terms = version, replace(terms, raw=raw, applications_close_at=deadline)

    def _reopened_window(self, deadline: datetime, body: Body) -> None:
        breach = reopened_window_breach(deadline, body.at_datetime, self.in_force)
        if breach is not None:
            raise _Violation(
                f"{body.kind} reopens applications until {_t(deadline)}, less than reopen_days "
                f"{self.in_force.reopen_days} after its at {body.at}"
            )

    def _publication_rules(self, terms: _Terms) -> None:
        """The municipality's rules of publication: notice, working hours, lease cap, council decision."""
        schedule = ScheduleTerms.of(
            {
                **terms.raw,
                "applications_close_at": terms.applications_close_at,
                "bidding_opens_at": terms.bidding_opens_at,
                "bidding_closes_at": terms.bidding_closes_at,
            }
        )
        breaches = publication_breaches(schedule, self.in_force, published_at=self.published_at)
        if breaches:
            raise _Violation(f"terms break the municipality's rules: {_describe(breaches)}")

    def _repeat_of(self, repeat_of: object) -> None:
        """A repeat auction: of a lot of the same municipality whose chain failed, repeated once, within the caps."""
        if type(repeat_of) is not int:
            raise _Violation(f"repeat_of must be a lot id, got {repeat_of!r}")
        previous = self.all_lots.get(repeat_of)
        if previous is None or previous.terms is None:
            raise _Violation(f"repeat_of {repeat_of} is not a lot published earlier in the ledger")
        if previous.municipality != self.municipality:
            raise _Violation(f"repeat_of {repeat_of} is a lot of municipality {previous.municipality}")
        if previous.ended_by not in FAILED_ENDINGS:
            ended = previous.ended_by or f"still {previous.phase}"
            raise _Violation(
                f"repeat_of {repeat_of}: that lot's chain did not end in award.failed or award.lapsed ({ended})"
            )
        if repeat_of in self.repeats:
            raise _Violation(f"lot {repeat_of} was already repeated by lot {self.repeats[repeat_of]}")
        self.repeats[repeat_of] = self.lot
        self.attempt = previous.attempt + 1
        self.repeat_previous = previous.terms.raw
        self._repeat_rules()

    def _repeat_rules(self) -> None:
        assert self.repeat_previous is not None
        breaches = repeat_breaches(self.repeat_previous, self._need_terms().raw, self.in_force, attempt=self.attempt)
        if breaches:
            raise _Violation(f"the repeat auction breaks the municipality's rules: {_describe(breaches)}")

    def _lease_terms(self, terms: _Terms) -> None:
        """A sale carries no lease terms; a lease's term keeps within its municipality's cap (lease_terms)."""
        rules_in_force = self.municipal_rules.get(self.municipality, DEFAULT_RULES)
        problem = lease_terms_problem(terms.raw, rules_in_force.max_lease_months)
        if problem is not None:
            raise _Violation(problem)

    def cancelled(self, index: int, body: Body) -> None:
        if self.phase in (OFFERED, LAPSING):
            raise _Violation("lot.cancelled after award.made: a lot is cancelled only before its award")
        self._require(body, PUBLISHED, BIDDING, CLOSED)
        payload = body.payload
        _str(payload, "reason")
        was = _str(payload, "was")
        if was != self.phase:
            raise _Violation(f"lot.cancelled says the lot was {was!r}, but the chain shows it {self.phase!r}")
        requested_by, confirmed_by = payload["requested_by"], payload["confirmed_by"]
        for name, actor in (("requested_by", requested_by), ("confirmed_by", confirmed_by)):
            if not is_official(actor):
                raise _Violation(f"lot.cancelled {name} {actor!r} is not an officer or admin")
        if body.actor != confirmed_by:
            raise _Violation(f"lot.cancelled actor {body.actor!r} is not its confirmed_by {confirmed_by!r}")
        order = payload["order"]
        if order is not None and (problem := order_problem(order)) is not None:
            raise _Violation(f"lot.cancelled {problem}")
        lockout = self._rules().cancel_lockout_hours
        closes_at = self._close_for_cancel()
        breach = cancellation_breach(
            requested_by=requested_by,
            confirmed_by=confirmed_by,
            has_order=order is not None,
            at=body.at_datetime,
            closes_at=closes_at,
            lockout_hours=lockout,
        )
        if breach is not None and breach.code == "cancel.same_official":
            raise _Violation(f"lot.cancelled requested and confirmed by the same {confirmed_by}: two officials must")
        if breach is not None:
            raise _Violation(
                f"lot.cancelled at {body.at} without an order, within {lockout} h of the close {_t(closes_at)}"
            )
        self.phase = CANCELLED

    def _rules(self) -> MunicipalRules:
        """The lot's municipality's rules in force (last recorded on the platform chain; else the defaults)."""
        return self.municipal_rules.get(self.municipality, DEFAULT_RULES)

    def _close_for_cancel(self) -> datetime:
        """The close the cancellation lockout counts back from: the running close once bidding opened (after any
        extension), else the one the terms give."""
        if self.closes_at is not None:
            return self.closes_at
        terms = self._need_terms()
        if terms.format == DESCENDING:
            assert terms.floor_price is not None
            assert terms.price_interval is not None
            return rules.dutch_closes_at(
                terms.starting_price, terms.bid_step, terms.floor_price, terms.bidding_opens_at, terms.price_interval
            )
        return terms.bidding_closes_at

    # -- participation --

    def submitted(self, index: int, body: Body) -> None:
        if self.phase == BIDDING:
            raise _Violation("application.submitted after auction.opened")
        self._require(body, PUBLISHED)
        bidder = _pseudonym(body.payload)
        deadline = self._need_terms().applications_close_at
        if body.at_datetime >= deadline:
            raise _Violation(f"application after the deadline: at {body.at} ≥ applications_close_at {_t(deadline)}")
        if bidder in self.applied:
            raise _Violation(f"{bidder} applied twice")
        self.applied.add(bidder)

    def _reviewable(self, body: Body) -> str:
        self._require(body, PUBLISHED, BIDDING)
        bidder = _pseudonym(body.payload)
        if bidder not in self.applied:
            raise _Violation(f"{body.kind} for {bidder}, who did not apply")
        if bidder in self.approved or bidder in self.rejected:
            state = "approved" if bidder in self.approved else "rejected"
            raise _Violation(f"{body.kind} for {bidder}, whose application was already {state}")
        return bidder

    def _admission_open(self, body: Body) -> None:
        """Admission closes when bidding opens: nobody joins a contest whose field auction.opened announced."""
        if self.phase == BIDDING:
            raise _Violation(f"{body.kind} after auction.opened: admission closes when bidding opens")
        opens = self._need_terms().bidding_opens_at
        if body.at_datetime >= opens:
            raise _Violation(
                f"{body.kind} at {body.at}, not before terms.bidding_opens_at {_t(opens)}: "
                "admission closes when bidding opens"
            )

    def deposit(self, index: int, body: Body) -> None:
        self._admission_open(body)
        bidder = self._reviewable(body)
        if bidder in self.deposited:
            raise _Violation(f"a second deposit.confirmed for {bidder}")
        commitment = _str(body.payload, "bank_reference_commitment")
        if not is_commitment(commitment):
            raise _Violation(
                f"deposit.confirmed bank_reference_commitment must be 64 lowercase hex digits (a SHA-256), "
                f"got {commitment!r}"
            )
        self.deposited.add(bidder)

    def approved_(self, index: int, body: Body) -> None:
        self._admission_open(body)
        bidder = self._reviewable(body)
        if bidder not in self.deposited:
            raise _Violation(f"application.approved for {bidder} before their deposit.confirmed")
        self.approved.add(bidder)

    def rejected_(self, index: int, body: Body) -> None:
        bidder = self._reviewable(body)
        reason = _str(body.payload, "reason")
        if body.actor == SYSTEM:
            # The system decides only what nobody reviewed, only at the opening, and says so.
            if self.phase != PUBLISHED:
                raise _Violation("application.rejected by the system after auction.opened")
            opens = self._need_terms().bidding_opens_at
            if body.at_datetime < opens:
                raise _Violation(
                    f"application.rejected by the system at {body.at}, before terms.bidding_opens_at {_t(opens)}"
                )
            if reason != UNREVIEWED_REASON:
                raise _Violation(f"application.rejected by the system gives {reason!r}, not {UNREVIEWED_REASON!r}")
            self.rejecting_unreviewed = True
        self.rejected.add(bidder)

    # -- the auction --

    def opened(self, index: int, body: Body) -> None:
        self._require(body, PUBLISHED)
        left = undecided(self.applied, self.approved, self.rejected)
        if left:
            raise _Violation(f"auction.opened with undecided applications of {left}: each must be decided first")
        self.rejecting_unreviewed = False
        terms, payload, at = self._need_terms(), body.payload, body.at_datetime
        if at < terms.bidding_opens_at:
            raise _Violation(f"auction.opened at {body.at} before terms.bidding_opens_at {_t(terms.bidding_opens_at)}")
        if terms.format == DESCENDING:
            assert terms.floor_price is not None
            assert terms.price_interval is not None
            expected = rules.dutch_closes_at(
                terms.starting_price, terms.bid_step, terms.floor_price, terms.bidding_opens_at, terms.price_interval
            )
        else:
            expected = terms.bidding_closes_at
        closes_at = _time(payload, "closes_at")
        if closes_at != expected:
            raise _Violation(f"auction.opened closes_at {_t(closes_at)} but the terms give {_t(expected)}")
        latest_expected = closes_at + terms.max_extension if terms.format == OPEN else closes_at
        latest = _time(payload, "latest_close")
        if latest != latest_expected:
            raise _Violation(f"auction.opened latest_close {_t(latest)} but the terms give {_t(latest_expected)}")
        participants = _int(payload, "participants")
        if participants != len(self.approved):
            raise _Violation(f"auction.opened participants {participants} but {len(self.approved)} were approved")
        outage = _dict(payload, "outage_rule")
        _exact_fields(outage, OUTAGE_RULE_FIELDS, where="outage_rule")
        self.outage_threshold = timedelta(seconds=_int(outage, "threshold_seconds", "outage_rule", low=0))
        self.outage_extension = timedelta(minutes=_int(outage, "extension_minutes", "outage_rule", low=0))
        tie_rule = payload.get("tie_rule")
        if tie_rule is not None:
            if terms.format != DESCENDING:
                raise _Violation(f"auction.opened of a {terms.format} lot has a tie_rule")
            if tie_rule != tie.TIE_RULE:
                raise _Violation(f"auction.opened tie_rule {tie_rule!r} is not the published rule {tie.TIE_RULE!r}")
            self.tie_rule = True
        self.opened_at, self.closes_at, self.latest_close = at, closes_at, latest
        self.phase = BIDDING

    def _bid(self, body: Body, fmt: str) -> str:
        """Checks shared by every kind of bid; returns the bidder."""
        self._require(body, BIDDING)
        terms = self._need_terms()
        if terms.format != fmt:
            raise _Violation(f"{body.kind} on a {terms.format} lot")
        bidder = _pseudonym(body.payload)
        if bidder not in self.approved:
            raise _Violation(f"bid by {bidder} who was not approved")
        assert self.opened_at is not None
        assert self.closes_at is not None
        at = body.at_datetime
        if not rules.is_open(self.opened_at, self.closes_at, at):
            if at < self.opened_at:
                raise _Violation(f"bid before the opening: at {body.at} < opened {_t(self.opened_at)}")
            raise _Violation(f"bid after the close: at {body.at} ≥ closes_at {_t(self.closes_at)}")
        return bidder

    def bid_placed(self, index: int, body: Body) -> None:
        bidder = self._bid(body, OPEN)
        terms, at = self._need_terms(), body.at_datetime
        amount = _int(body.payload, "amount")
        minimum = rules.minimum_next_bid(terms.starting_price, terms.bid_step, self.current_price)
        problem = rules.bid_problem(amount, minimum)
        if problem is not None:
            if amount < minimum:
                raise _Violation(f"bid below the minimum next bid {minimum}: amount {amount}")
            raise _Violation(f"bid amount {amount} refused by the rules: {problem.code}")
        self.current_price = amount
        self.placed.append(rules.Placed(bidder, amount, at, body.lot_seq))
        self.bid_bodies += 1
        assert self.closes_at is not None
        assert self.latest_close is not None
        new_close = rules.soft_close(self.closes_at, at, terms.soft_close, self.latest_close)
        if new_close != self.closes_at:
            self.pending_extension = (new_close, index)

    def extended(self, index: int, body: Body) -> None:
        self._require(body, BIDDING)
        payload, at = body.payload, body.at_datetime
        closes_at = _time(payload, "closes_at")
        reason = _str(payload, "reason")
        assert self.closes_at is not None
        if reason == "soft_close":
            extra = sorted({"outage_from", "outage_to"} & set(payload))
            if extra:
                raise _Violation(f"auction.extended (soft_close) has outage fields {extra}")
            previous = self.previous
            if previous is None or previous.kind != "bid.placed" or previous.at != body.at:
                raise _Violation("auction.extended (soft_close) does not follow a bid.placed at the same at")
            if self.pending_extension is None:
                raise _Violation(
                    f"auction.extended closes_at {_t(closes_at)} but the soft-close rule gives "
                    f"{_t(self.closes_at)} (the bid does not extend the close)"
                )
            expected = self.pending_extension[0]
            if closes_at != expected:
                raise _Violation(
                    f"auction.extended closes_at {_t(closes_at)} but the soft-close rule gives {_t(expected)}"
                )
            self.pending_extension = None
        elif reason == "outage" and self._need_terms().format == DESCENDING:
            self._dutch_outage(body, closes_at, at)
        elif reason == "outage":
            self._outage(body, closes_at, at)
        else:
            raise _Violation(f"auction.extended reason {reason!r} is neither soft_close nor outage")
        self.closes_at = closes_at

    def _outage(self, body: Body, closes_at: datetime, at: datetime) -> None:
        assert self.closes_at is not None
        payload, window = body.payload, self._need_terms().soft_close
        down, back = _time(payload, "outage_from"), _time(payload, "outage_to")
        if back - down <= self.outage_threshold:
            raise _Violation(
                f"an outage of {(back - down).total_seconds():g} s is not longer than the published "
                f"threshold_seconds {self.outage_threshold.total_seconds():g}"
            )
        if not (down < self.closes_at and self.closes_at - window < back):
            raise _Violation(
                f"the outage {_t(down)} – {_t(back)} did not overlap the final window "
                f"{_t(self.closes_at - window)} – {_t(self.closes_at)}"
            )
        if at < back:
            raise _Violation(f"auction.extended (outage) at {body.at} before the outage ended at {_t(back)}")
        expected = back + self.outage_extension
        if closes_at != expected:
            raise _Violation(f"auction.extended closes_at {_t(closes_at)} but the outage rule gives {_t(expected)}")

    def _dutch_outage(self, body: Body, closes_at: datetime, at: datetime) -> None:
        """A descending lot's outage: the price stood still for it, so its close moves by the same length."""
        assert self.closes_at is not None
        payload, opens = body.payload, self._need_terms().bidding_opens_at
        down, back = _time(payload, "outage_from"), _time(payload, "outage_to")
        if back - down <= self.outage_threshold:
            raise _Violation(
                f"an outage of {(back - down).total_seconds():g} s is not longer than the published "
                f"threshold_seconds {self.outage_threshold.total_seconds():g}"
            )
        if self.pauses and down < self.pauses[-1][1]:
            before = _t(self.pauses[-1][1])
            raise _Violation(f"the outage from {_t(down)} overlaps the one recorded before it (to {before})")
        if at < back:
            raise _Violation(f"auction.extended (outage) at {body.at} before the outage ended at {_t(back)}")
        inside = [c for c in self.contenders if down < c.at < back]
        if inside:
            raise _Violation(f"the outage {_t(down)} – {_t(back)} holds the acceptance at {_t(inside[0].at)}")
        shift = dutch_clock.outage_shift(opens, self.closes_at, (down, back))
        if not shift:
            raise _Violation(f"the outage {_t(down)} – {_t(back)} began after the close {_t(self.closes_at)}")
        expected = self.closes_at + shift
        if closes_at != expected:
            raise _Violation(
                f"auction.extended closes_at {_t(closes_at)} but the Dutch clock, paused for the outage, "
                f"ends at {_t(expected)}"
            )
        self.pauses.append((down, back))

    def bid_sealed(self, index: int, body: Body) -> None:
        bidder = self._bid(body, SEALED)
        payload = body.payload
        ciphertext = _str(payload, "ciphertext")
        try:
            actual = ciphertext_hash(ciphertext)  # the platform's own definition of what the ledger commits to
        except SealedBidError as exc:
            raise _Violation(f"bid.sealed ciphertext is malformed: {exc}") from None
        digest = _str(payload, "ciphertext_hash")
        if digest != actual:
            raise _Violation(f"bid.sealed ciphertext_hash {digest} is not the SHA-256 of its ciphertext, {actual}")
        replaces = _bool(payload, "replaces")
        if replaces != (bidder in self.standing):
            has = "has" if bidder in self.standing else "has no"
            raise _Violation(f"bid.sealed replaces is {str(replaces).lower()} but {bidder} {has} standing bid")
        self.standing[bidder] = _SealedBid(ciphertext, body.at_datetime, body.lot_seq, index)
        self.sealed_by_seq[body.lot_seq] = self.standing[bidder]
        self.sealed_events.append((body.lot_seq, body.kind, bidder))
        self.bid_bodies += 1

    def bid_withdrawn(self, index: int, body: Body) -> None:
        bidder = self._bid(body, SEALED)
        if bidder not in self.standing:
            raise _Violation(f"bid.withdrawn by {bidder}, who has no standing sealed bid")
        del self.standing[bidder]
        self.sealed_events.append((body.lot_seq, body.kind, bidder))

    def bid_accepted(self, index: int, body: Body) -> None:
        if self.tie_rule:
            self._contender(index, body)
            return
        if self.acceptance is not None and self.phase == BIDDING:
            raise _Violation(
                f"a second bid.accepted: the auction ended with the acceptance at index {self.acceptance_index}"
            )
        bidder = self._bid(body, DESCENDING)
        terms, at = self._need_terms(), body.at_datetime
        assert terms.floor_price is not None
        assert terms.price_interval is not None
        price = rules.dutch_price(
            terms.starting_price, terms.bid_step, terms.floor_price, terms.bidding_opens_at, terms.price_interval, at
        )
        amount = _int(body.payload, "amount")
        if amount != price:
            raise _Violation(f"bid.accepted amount {amount} but the Dutch price at {body.at} is {price}")
        limit = _int(body.payload, "limit")
        if amount > limit:
            raise _Violation(f"bid.accepted amount {amount} is above the limit {limit} the bidder signed for")
        self.acceptance = rules.Placed(bidder, amount, at, body.lot_seq)
        self.acceptance_index = index
        self.bid_bodies += 1
        self.closes_at = at

    def _contender(self, index: int, body: Body) -> None:
        """The tie rule: the first acceptance opens a window to the end of its tick; each acceptance within it
        (checked by `_bid` against the close it set) is a contender at the tick's price, once per bidder."""
        bidder = self._bid(body, DESCENDING)
        terms, at = self._need_terms(), body.at_datetime
        assert terms.floor_price is not None
        assert terms.price_interval is not None
        if any(c.bidder == bidder for c in self.contenders):
            raise _Violation(f"a second bid.accepted by {bidder}")
        price = rules.dutch_price(
            terms.starting_price,
            terms.bid_step,
            terms.floor_price,
            terms.bidding_opens_at,
            terms.price_interval,
            at,
            self.pauses,
        )
        amount = _int(body.payload, "amount")
        if amount != price:
            raise _Violation(
                f"bid.accepted amount {amount} but the Dutch price at {body.at} is {price} "
                f"(the clock stood still for {len(self.pauses)} recorded outage(s))"
            )
        limit = _int(body.payload, "limit")
        if amount > limit:
            raise _Violation(f"bid.accepted amount {amount} is above the limit {limit} the bidder signed for")
        if not self.contenders:
            assert self.closes_at is not None
            window_end = dutch_clock.tick_end(terms.bidding_opens_at, terms.price_interval, at, self.pauses)
            self.closes_at = min(self.closes_at, window_end)
        self.contenders.append(rules.Placed(bidder, amount, at, body.lot_seq))
        self.bid_bodies += 1

    def _runoff_running(self, body: Body) -> None:
        self._require(body, CLOSED)
        if self.runoff_closes is None:
            raise _Violation(f"{body.kind} without runoff.opened")
        if self.runoff_offers is not None:
            raise _Violation(f"{body.kind} after runoff.revealed")

    def runoff_opened(self, index: int, body: Body) -> None:
        self._require(body, CLOSED)
        if not self.tie_rule:
            raise _Violation("runoff.opened on a lot opened without the tie rule")
        if self.runoff_closes is not None:
            raise _Violation("runoff.opened again")
        if len(self.contenders) < 2:
            raise _Violation(f"runoff.opened with {len(self.contenders)} contender(s): only a tie has a run-off")
        payload = body.payload
        contenders = _list(payload, "contenders")
        expected = [c.bidder for c in self.contenders]
        if contenders != expected:
            raise _Violation(f"runoff.opened contenders {contenders} but the tick's acceptances are {expected}")
        price = _int(payload, "price")
        if price != self.contenders[0].amount:
            raise _Violation(f"runoff.opened price {price} but the tick's price is {self.contenders[0].amount}")
        closes = _time(payload, "closes_at")
        if closes != body.at_datetime + tie.RUNOFF:
            raise _Violation(
                f"runoff.opened closes_at {_t(closes)} is not {tie.RUNOFF_MINUTES} minutes after its at {body.at}"
            )
        self.runoff_price, self.runoff_closes = price, closes

    def runoff_offer(self, index: int, body: Body) -> None:
        self._runoff_running(body)
        assert self.runoff_closes is not None
        bidder = _pseudonym(body.payload)
        if bidder not in {c.bidder for c in self.contenders}:
            raise _Violation(f"runoff.offer by {bidder}, who is not a contender")
        if bidder in self.runoff_hashes:
            raise _Violation(f"a second runoff.offer by {bidder}")
        if body.at_datetime >= self.runoff_closes:
            raise _Violation(f"runoff.offer at {body.at}, not before the run-off's deadline {_t(self.runoff_closes)}")
        digest = _str(body.payload, "offer_hash")
        if tie.HASH_RE.fullmatch(digest) is None:
            raise _Violation(f"runoff.offer offer_hash {digest!r} is not 64 lower-case hex digits")
        self.runoff_hashes[bidder] = digest

    def runoff_revealed(self, index: int, body: Body) -> None:
        self._runoff_running(body)
        assert self.runoff_closes is not None
        assert self.runoff_price is not None
        if body.at_datetime < self.runoff_closes:
            raise _Violation(f"runoff.revealed at {body.at}, before the run-off's deadline {_t(self.runoff_closes)}")
        offers = _list(body.payload, "offers")
        revealed: dict[str, int] = {}
        for offer in offers:
            if type(offer) is not dict:
                raise _Violation("runoff.revealed offers must be objects")
            _exact_fields(offer, frozenset({"bidder", "amount", "nonce"}), where="runoff.revealed offer")
            bidder, amount, nonce = _pseudonym(offer), _int(offer, "amount"), _str(offer, "nonce")
            if bidder not in self.runoff_hashes or bidder in revealed:
                raise _Violation(f"runoff.revealed reveals {bidder}, who has no (other) runoff.offer")
            if tie.offer_hash(self.lot, bidder, amount, nonce) != self.runoff_hashes[bidder]:
                raise _Violation(f"runoff.revealed offer of {bidder} does not match the offer_hash they signed")
            problem = tie.offer_problem(amount, self.runoff_price, nonce)
            if problem is not None:
                raise _Violation(f"runoff.revealed offer of {bidder} ({amount}) is refused by the rule: {problem.code}")
            revealed[bidder] = amount
        order = list(self.runoff_hashes)
        if list(revealed) != order:
            raise _Violation(f"runoff.revealed reveals {list(revealed)} but the offers made were {order} in this order")
        self.runoff_offers = revealed

    def closed(self, index: int, body: Body) -> None:
        self._require(body, BIDDING)
        assert self.closes_at is not None
        payload = body.payload
        if body.at_datetime < self.closes_at:
            raise _Violation(f"auction.closed at {body.at} before the closing instant {_t(self.closes_at)}")
        closes_at = _time(payload, "closes_at")
        if closes_at != self.closes_at:
            raise _Violation(f"auction.closed closes_at {_t(closes_at)} but the chain gives {_t(self.closes_at)}")
        self._chain_fields(body)
        count = _int(payload, "bid_count")
        if count != self.bid_bodies:
            raise _Violation(f"auction.closed bid_count {count} but the chain holds {self.bid_bodies} bids")
        self._leave_out(self._late(body))
        self.phase = CLOSED

    def _late(self, body: Body) -> frozenset[int]:
        """The bids `late` lists: only bids of this lot, ascending; with witnesses, exactly those seen too late."""
        payload = body.payload
        if LATE_FIELD not in payload:
            listed: list[int] = []
        else:
            raw = _list(payload, LATE_FIELD)
            if not all(type(seq) is int for seq in raw) or raw != sorted(set(raw)):
                raise _Violation(f"auction.closed late {raw} is not an ascending list of distinct lot_seq numbers")
            listed = raw
        bids = self.bid_times.bid_seqs
        for seq in listed:
            if seq not in bids:
                raise _Violation(f"auction.closed late lists lot_seq {seq}, which is not a bid of this lot")
        if self.witnessing is None or not self.witnessed_run:
            return frozenset(listed)  # unwitnessed: the platform's word, since nothing here can check the time
        witnessing = self.witnessing
        for judged in self.bid_times.judge(witnessing.clock.witnessed_at, witnessing.grace_seconds):
            is_listed = judged.bid.lot_seq in listed
            if not judged.in_time and not is_listed:
                raise _Violation(f"{judged.describe()}, yet it counted (auction.closed late does not list it)")
            if judged.in_time and is_listed:
                raise _Violation(f"auction.closed late lists lot_seq {judged.bid.lot_seq}, but the {judged.describe()}")
        return frozenset(listed)

    def _leave_out(self, late: frozenset[int]) -> None:
        """Late bids take no part in the result: not placed, not standing, not accepted."""
        if not late:
            return
        self.placed = [bid for bid in self.placed if bid.seq not in late]
        if self.acceptance is not None and self.acceptance.seq in late:
            self.acceptance, self.late_acceptance = None, True
        if any(c.seq in late for c in self.contenders):
            self.contenders = [c for c in self.contenders if c.seq not in late]
            self.late_acceptance = True
        if self.sealed_events:
            standing = counted_standing(self.sealed_events, late)
            self.standing = {bidder: self.sealed_by_seq[seq] for bidder, seq in standing.items()}

    def _standing_ephemerals(self) -> dict[str, bytes]:
        return {ciphertext_hash(bid.ciphertext): ephemeral_of(bid.ciphertext) for bid in self.standing.values()}

    def sealed_share(self, index: int, body: Body) -> None:
        terms = self._need_terms()
        if terms.format != SEALED or self.ceremony is None:
            raise _Violation(f"sealed.share on a {terms.format} lot")
        self._require(body, CLOSED)
        if self.amounts is not None:
            raise _Violation("sealed.share after sealed.opened")
        member = body.payload.get("member")
        if body.actor != f"officer:{member}":
            raise _Violation(f"actor {body.actor!r} is not the payload's member officer:{member}")
        if type(member) is int and member in self.shares:
            raise _Violation(f"a second sealed.share by member {member}")
        try:
            checked = dkg.check_share_message(self.ceremony, self._standing_ephemerals(), body.payload)
        except dkg.CeremonyError as exc:
            raise _Violation(f"sealed.share: {exc}") from None
        self.shares[body.payload["member"]] = checked

    def _decrypt_standing(
        self, ceremony: dkg.Ceremony, released: list[int]
    ) -> tuple[list[dict[str, Any]], dict[str, int | None]]:
        """Recombine the released members' shares and decrypt every standing bid: `opened` and bidder -> amount."""
        index_of = {m.member: m.index for m in ceremony.members}
        opened: list[dict[str, Any]] = []
        decrypted: dict[str, int | None] = {}
        for bidder, bid in self.standing.items():
            digest = ciphertext_hash(bid.ciphertext)
            combined = dkg.combine({index_of[m]: self.shares[m][digest] for m in released})
            amount: int | None
            try:
                amount = decrypt_bid(combined, ceremony.public_key, self.lot, bidder, bid.ciphertext)
            except SealedBidError:
                amount = None
            decrypted[bidder] = amount
            opened.append({"bidder": bidder, "ciphertext_hash": digest, "amount": amount})
        return sorted(opened, key=lambda o: str(o["ciphertext_hash"])), decrypted

    def sealed_opened(self, index: int, body: Body) -> None:
        terms = self._need_terms()
        if terms.format != SEALED or self.ceremony is None:
            raise _Violation(f"sealed.opened on a {terms.format} lot")
        self._require(body, CLOSED)
        if self.amounts is not None:
            raise _Violation("sealed.opened again")
        payload = body.payload
        ceremony = self.ceremony
        released = _list(payload, "released_by")
        if released != sorted(set(released)) or not all(type(m) is int and m in self.shares for m in released):
            raise _Violation(f"sealed.opened released_by {released} are not distinct members who posted sealed.share")
        if len(released) != ceremony.threshold:
            raise _Violation(
                f"sealed.opened released_by {len(released)} members, the threshold is {ceremony.threshold}"
            )
        opened_expected, decrypted = self._decrypt_standing(ceremony, released)
        if _list(payload, "opened") != opened_expected:
            raise _Violation(f"sealed.opened opened is not what the shares decrypt to: {opened_expected}")
        # Bids that do not open under their own lot and bidder (a copied or corrupt ciphertext) are
        # disqualified, and so are bids below the starting price (a floor in every format, which nobody could
        # check before the opening); the opening must name exactly those, and they take no part in the award.
        starting_price = self._need_terms().starting_price
        amounts: dict[str, int] = {}
        unopenable: list[str] = []
        below: list[str] = []
        for bidder, _bid in sorted(self.standing.items(), key=lambda item: item[1].seq):
            amount = decrypted[bidder]
            if amount is None:
                unopenable.append(bidder)
                continue
            if rules.reaches_starting_price(amount, starting_price):
                amounts[bidder] = amount
            else:
                below.append(bidder)
        disqualified = _list(payload, "disqualified")
        if sorted(unopenable) != sorted(str(d) for d in disqualified):
            raise _Violation(
                f"sealed.opened disqualifies {sorted(str(d) for d in disqualified)}, "
                f"but the bids that do not open are {sorted(unopenable)}"
            )
        named_below = _list(payload, "below_starting_price")
        if sorted(below) != sorted(str(d) for d in named_below):
            raise _Violation(
                f"sealed.opened names {sorted(str(d) for d in named_below)} below the starting price "
                f"{starting_price}, but the bids below it are {sorted(below)}"
            )
        self.amounts = amounts

    # -- the award --

    def _outcome(self, body: Body) -> tuple[rules.Outcome, int]:
        """The award the bids give, and how many bids decided it."""
        terms = self._need_terms()
        if terms.format == DESCENDING and self.tie_rule:
            contenders = self.contenders
            if len(contenders) > 1:
                if self.runoff_offers is None:
                    raise _Violation(f"{body.kind} with {len(contenders)} contenders, before runoff.revealed")
                return tie.decide_runoff(contenders, self.runoff_offers), len(contenders)
            first = contenders[0] if contenders else None
            outcome = rules.decide_descending(
                first,
                taken_late=self.late_acceptance and not first,
                admitted=len(self.approved),
                starting_price=terms.starting_price,
                sell_single_at_start=terms.sell_single_at_start,
            )
            return outcome, len(contenders)
        if terms.format == DESCENDING:
            acceptance = self.acceptance
            outcome = rules.decide_descending(
                acceptance,
                taken_late=self.late_acceptance,
                admitted=len(self.approved),
                starting_price=terms.starting_price,
                sell_single_at_start=terms.sell_single_at_start,
            )
            return outcome, int(acceptance is not None)
        if terms.format == SEALED:
            if self.amounts is None:
                if self.standing:
                    raise _Violation(f"{body.kind} before sealed.opened: the sealed bids cannot be read")
                amounts: dict[str, int] = {}
            else:
                amounts = self.amounts
            bids = sorted(self.standing.items(), key=lambda item: item[1].seq)
            placed = [
                rules.Placed(bidder, amounts[bidder], bid.at, bid.seq) for bidder, bid in bids if bidder in amounts
            ]
        else:
            placed = self.placed
        outcome = rules.decide_highest(
            placed,
            starting_price=terms.starting_price,
            sell_single_at_start=terms.sell_single_at_start,
            admitted=len(self.approved),
        )
        return outcome, len(placed)

    def _decision_fields(self, body: Body, outcome: rules.Outcome, count: int) -> None:
        payload = body.payload
        self._chain_fields(body)
        bid_count = _int(payload, "bid_count")
        if bid_count != count:
            raise _Violation(f"{body.kind} bid_count {bid_count} but {count} bids decide the lot")
        reason = _str(payload, "reason")
        if reason != outcome.reason:
            raise _Violation(f"{body.kind} reason {reason!r} but the rules give {outcome.reason!r}")

    def _deal_fields(self, body: Body) -> None:
        terms, payload = self._need_terms(), body.payload
        deal = _str(payload, "deal")
        if deal != terms.deal:
            raise _Violation(f"{body.kind} deal {deal!r} but the terms say {terms.deal!r}")
        if deal != "lease":
            extra = sorted(_LEASE & set(payload))
            if extra:
                raise _Violation(f"{body.kind} of a {deal} has lease fields {extra}")
        if deal == "lease":
            for name, expected in (("rent_period", terms.rent_period), ("lease_term_months", terms.lease_term_months)):
                if payload.get(name) != expected:
                    raise _Violation(f"{body.kind} {name} {payload.get(name)!r} but the terms say {expected!r}")

    def _offer(self, body: Body, bidder: str) -> None:
        deadline = _time(body.payload, "sign_deadline")
        if deadline <= body.at_datetime:
            raise _Violation(f"{body.kind} sign_deadline {_t(deadline)} is not after its at {body.at}")
        self.offered, self.deadline = bidder, deadline
        self.offer_passed = body.kind == "award.passed"
        self.offer_price = _int(body.payload, "price")
        self.phase = OFFERED

    def _floor(self) -> int:
        """The lowest price a lot may go for: the starting price, or a descending lot's floor price."""
        terms = self._need_terms()
        if terms.format == DESCENDING:
            assert terms.floor_price is not None
            return terms.floor_price
        return terms.starting_price

    def _above_floor(self, body: Body, name: str) -> None:
        price = body.payload.get(name)
        if type(price) is int and price < self._floor():
            what = "floor price" if self._need_terms().format == DESCENDING else "starting price"
            raise _Violation(f"{body.kind} {name} {price} is below the {what} {self._floor()}")

    def award_made(self, index: int, body: Body) -> None:
        self._require(body, CLOSED)
        self._above_floor(body, "price")
        self._above_floor(body, "runner_up_price")
        outcome, count = self._outcome(body)
        payload = body.payload
        winner, price = payload.get("winner"), payload.get("price")
        if outcome.failed:
            raise _Violation(f"award.made winner {winner} price {price} but the bids give no winner ({outcome.reason})")
        if (winner, price) != (outcome.winner, outcome.price):
            raise _Violation(
                f"award.made winner {winner} price {price} but the bids give winner {outcome.winner} "
                f"price {outcome.price}"
            )
        runner, runner_price = _get(payload, "runner_up", "payload"), _get(payload, "runner_up_price", "payload")
        if (runner, runner_price) != (outcome.runner_up, outcome.runner_up_price):
            raise _Violation(
                f"award.made runner_up {runner} price {runner_price} but the bids give runner_up "
                f"{outcome.runner_up} price {outcome.runner_up_price}"
            )
        self._decision_fields(body, outcome, count)
        self._deal_fields(body)
        assert outcome.winner is not None
        self.runner_up = None
        if outcome.runner_up is not None and outcome.runner_up_price is not None:
            self.runner_up = (outcome.runner_up, outcome.runner_up_price)
        self._offer(body, outcome.winner)

    def award_failed(self, index: int, body: Body) -> None:
        self._require(body, CLOSED)
        outcome, count = self._outcome(body)
        if not outcome.failed:
            raise _Violation(f"award.failed but the bids give winner {outcome.winner} price {outcome.price}")
        self._decision_fields(body, outcome, count)
        self._finish("award.failed")

    def _offered_bidder(self, body: Body) -> None:
        self._require(body, OFFERED)
        bidder = _pseudonym(body.payload)
        if bidder != self.offered:
            raise _Violation(f"{body.kind} for {bidder} but the lot is offered to {self.offered}")

    def award_signed(self, index: int, body: Body) -> None:
        self._offered_bidder(body)
        price = _int(body.payload, "price")
        if price != self.offer_price:
            raise _Violation(f"award.signed price {price} but the lot is offered at {self.offer_price}")
        assert self.deadline is not None
        if body.at_datetime >= self.deadline:
            raise _Violation(f"award.signed at {body.at}, not before the deadline {_t(self.deadline)}")
        self.signed_at = body.at_datetime
        self._finish("award.signed")

    def award_declined(self, index: int, body: Body) -> None:
        self._offered_bidder(body)
        self._forfeit(body)

    def award_expired(self, index: int, body: Body) -> None:
        self._offered_bidder(body)
        assert self.deadline is not None
        if body.at_datetime < self.deadline:
            raise _Violation(f"award.expired at {body.at}, before the deadline {_t(self.deadline)}")
        self._forfeit(body)

    def _forfeit(self, body: Body) -> None:
        deposit = _str(body.payload, "deposit")
        # The winner who walks away loses the deposit; a runner-up the lot passed to owes nothing (docs/rules.md).
        expected = "returned" if self.offer_passed else "forfeited"
        if deposit != expected:
            whose = "the runner-up's" if self.offer_passed else "the winner's"
            raise _Violation(f"{body.kind} deposit {deposit!r}, but {whose} deposit is {expected!r}")
        # Only a forfeited deposit is then recorded as forfeited (deposit.forfeited); a returned one is refunded.
        self.lapsed = self.offered if expected == "forfeited" else None
        self.offered, self.deadline = None, None
        self.phase = LAPSING

    def award_passed(self, index: int, body: Body) -> None:
        self._require(body, LAPSING)
        if self.runner_up is None:
            raise _Violation("award.passed but there is no runner-up left to pass to")
        payload = body.payload
        self._above_floor(body, "price")
        to, price = _pseudonym(payload, "to"), _int(payload, "price")
        if (to, price) != self.runner_up:
            runner, runner_price = self.runner_up
            raise _Violation(
                f"award.passed to {to} price {price} but the recorded runner-up is {runner} price {runner_price}"
            )
        self._deal_fields(body)
        self.runner_up, self.lapsed = None, None
        self._offer(body, to)

    def award_lapsed(self, index: int, body: Body) -> None:
        self._require(body, LAPSING)
        if self.runner_up is not None:
            raise _Violation(f"award.lapsed but the runner-up {self.runner_up[0]} was never offered the lot")
        _str(body.payload, "reason")
        self.lapsed = None
        self._finish("award.lapsed")

    def _finish(self, kind: str) -> None:
        self.phase, self.ended_by = DONE, kind
        # Nothing may follow: the bids are no longer needed.
        self.placed, self.standing, self.amounts = [], {}, None

    # -- after the award: the contract, payments, deposits --

    def _settle(self, check: Callable[[], None]) -> None:
        try:
            check()
        except settlement.SettlementBreach as breach:
            raise _Violation(str(breach)) from None

    def _contract_terms(self) -> settlement.ContractTerms:
        terms = self._need_terms()
        assert self.offer_price is not None
        raw = terms.raw
        return settlement.ContractTerms(
            deal=terms.deal,
            price=self.offer_price,
            deposit=_int(raw, "deposit", "terms", low=0),
            rent_period=_opt_str(raw, "rent_period"),
            lease_term_months=_opt_int(raw, "lease_term_months", "terms", low=1),
            indexation_percent=_opt_int(raw, "indexation_percent", "terms", low=0),
        )

    def contract_concluded(self, index: int, body: Body) -> None:
        if self.previous is None or self.previous.kind != "award.signed" or self.signed_at is None:
            raise _Violation("contract.concluded must directly follow the award.signed it concludes")
        assert self.offered is not None
        bidder, signed_at = self.offered, self.signed_at
        rules = self.municipal_rules.get(self.municipality, DEFAULT_RULES)
        terms = self._contract_terms()
        self._settle(
            lambda: self.book.conclude(body.payload, bidder=bidder, terms=terms, signed_at=signed_at, rules=rules)
        )

    def payment_recorded(self, index: int, body: Body) -> None:
        if self.ended_by != "award.signed":
            raise _Violation("payment.recorded before contract.concluded: the lot has no signed award")
        self._settle(lambda: self.book.pay(body.payload, body.at_datetime))

    def deposit_refunded(self, index: int, body: Body) -> None:
        _pseudonym(body.payload)
        if self.phase not in (OFFERED, DONE, CANCELLED):
            raise _Violation("deposit.refunded before the lot's result (award, failure or cancellation)")
        kept: set[str] = set()
        if self.phase == OFFERED:
            kept = {b for b in (self.offered, self.runner_up[0] if self.runner_up else None) if b is not None}
        elif self.ended_by == "award.signed" and self.offered is not None:
            kept = {self.offered}
        deposit = _int(self._need_terms().raw, "deposit", "terms", low=0)
        self._settle(lambda: self.book.refund(body.payload, deposited=self.deposited, kept=kept, deposit=deposit))

    def deposit_forfeited(self, index: int, body: Body) -> None:
        self._require(body, LAPSING)
        _pseudonym(body.payload)
        deposit = _int(self._need_terms().raw, "deposit", "terms", low=0)
        self._settle(lambda: self.book.forfeit(body.payload, lapsed=self.lapsed, deposit=deposit))

    # -- the results protocol --

    def protocol_issued(self, index: int, body: Body) -> None:
        self._require(body, OFFERED, LAPSING, DONE)
        if not any(b.kind in pr.AWARD_KINDS for b in self.protocol_sources):
            raise _Violation("protocol.issued without award.made or award.failed")
        if self.protocol_hash is not None:
            raise _Violation("protocol.issued again: a lot has one results protocol")
        try:
            pr.check_issued(self.protocol_sources, body.payload)
        except pr.ProtocolError as exc:
            raise _Violation(exc.reason) from None
        self.protocol_hash = _str(body.payload, "protocol_hash")

    def protocol_signed(self, index: int, body: Body) -> None:
        if self.protocol_hash is None:
            raise _Violation("protocol.signed before protocol.issued")
        member = _int(body.payload, "member", low=1)
        if body.actor != f"officer:{member}":
            raise _Violation(f"actor {body.actor!r} is not the payload's member officer:{member}")
        if member not in self.commission:
            raise _Violation(f"member {member} is not on the lot's commission {self.commission}")
        if member in self.protocol_signers:
            raise _Violation(f"member {member} signed the protocol twice")
        try:
            pr.check_signature(self.lot, member, self.protocol_hash, body.payload["key"], body.payload["signed"])
        except pr.ProtocolError as exc:
            raise _Violation(f"signed: {exc.reason}") from None
        self.protocol_signers.add(member)

    # -- bidder keys (the signature and the registry were checked in step) --

    def key_added(self, index: int, body: Body) -> None:
        self._require(body, PUBLISHED, BIDDING, CLOSED, OFFERED, LAPSING)

    def key_replaced(self, index: int, body: Body) -> None:
        self._require(body, PUBLISHED, BIDDING, CLOSED, OFFERED, LAPSING)
        _str(body.payload, "reason")


_HANDLERS: dict[str, Callable[[_Lot, int, Body], None]] = {
    "bidder.key.added": _Lot.key_added,
    "bidder.key.replaced": _Lot.key_replaced,
    "lot.published": _Lot.published,
    "lot.amended": _Lot.amended,
    "lot.document": _Lot.document,
    "lot.cancelled": _Lot.cancelled,
    "application.submitted": _Lot.submitted,
    "deposit.confirmed": _Lot.deposit,
    "application.approved": _Lot.approved_,
    "application.rejected": _Lot.rejected_,
    "auction.opened": _Lot.opened,
    "bid.placed": _Lot.bid_placed,
    "auction.extended": _Lot.extended,
    "bid.sealed": _Lot.bid_sealed,
    "bid.withdrawn": _Lot.bid_withdrawn,
    "bid.accepted": _Lot.bid_accepted,
    "auction.closed": _Lot.closed,
    "sealed.share": _Lot.sealed_share,
    "sealed.opened": _Lot.sealed_opened,
    "runoff.opened": _Lot.runoff_opened,
    "runoff.offer": _Lot.runoff_offer,
    "runoff.revealed": _Lot.runoff_revealed,
    "award.made": _Lot.award_made,
    "award.failed": _Lot.award_failed,
    "award.signed": _Lot.award_signed,
    "award.declined": _Lot.award_declined,
    "award.expired": _Lot.award_expired,
    "award.passed": _Lot.award_passed,
    "award.lapsed": _Lot.award_lapsed,
    settlement.CONTRACT_CONCLUDED: _Lot.contract_concluded,
    settlement.PAYMENT_RECORDED: _Lot.payment_recorded,
    settlement.DEPOSIT_REFUNDED: _Lot.deposit_refunded,
    settlement.DEPOSIT_FORFEITED: _Lot.deposit_forfeited,
    pr.ISSUED: _Lot.protocol_issued,
    pr.SIGNED: _Lot.protocol_signed,
}


def _describe(breaches: list[rules.RuleBreach]) -> str:
    """Breaches as a finding names them: code, the term at fault and the values."""
    return "; ".join(
        f"{b.code} at {b.field or 'the lot'} ({', '.join(f'{k}={v}' for k, v in sorted(b.params.items()))})"
        for b in breaches
    )


def _platform_problem(body: Body) -> str | None:
    """What is wrong with a platform-chain body's kind or fields, or None (its keys are the merge's to check)."""
    if body.kind not in PLATFORM_PAYLOAD_FIELDS:
        return f"{body.kind} is not a platform entry kind of docs/ledger-entries.md"
    try:
        _payload_fields(body.kind, body.payload, PLATFORM_PAYLOAD_FIELDS)
    except _Violation as violation:
        return violation.reason
    check = _PLATFORM_CHECKS.get(body.kind)
    return None if check is None else check(body.actor, body.payload)


def _platform_order_problem(leaf: Leaf, inspection_key: str | None) -> str | None:
    """What is wrong with a platform-chain body judged against the ledger before it (its fields are well formed):
    an incident's leaf range, an inspection key's predecessor, an inspection's key in force."""
    body = leaf.body
    if body.kind == INCIDENT_KIND:
        return incident_problem(leaf.index, leaf.integrated_at, body.actor, body.payload)
    if body.kind == INSPECTION_KEY_KIND:
        return inspection_key_problem(body.actor, body.payload, inspection_key)
    if body.kind == INSPECTION_LINKED_KIND:
        return inspection_linked_problem(body.actor, body.payload, inspection_key)
    return None


# The platform kinds whose payload has rules beyond its field names: each kind's check of (actor, payload).
_PLATFORM_CHECKS: dict[str, Callable[[str, dict[str, Any]], str | None]] = {
    RELEASE_KIND: release_problem,
    VERIFIER_KIND: verifier_problem,
    WITNESS_POLICY_KIND: witness_policy_problem,
    MUNICIPALITY_RULES_KIND: municipality_rules_problem,
}


def replay(leaves: Iterable[Leaf], witnessing: Witnessing | None = None) -> list[Finding]:
    """Replay every lot's chain; at most one finding per lot (its first violation), in global index order.

    With `witnessing`, bids are judged by when a witness quorum vouched for them (docs/witnesses.md §5).

    `leaves` come in index order, as the verifier passes them; each lot's bodies must then follow each other
    in lot_seq order (checked). Leaves of the platform chain are passed over.
    """
    lots: dict[int, _Lot] = {}
    stopped: set[int] = set()
    findings: list[Finding] = []
    platform_witnessed = False  # a witness.policy with a quorum is in force (the platform chain, in index order)
    municipal_rules: dict[int, MunicipalRules] = {}
    all_lots: dict[int, _Lot] = {}
    repeats: dict[int, int] = {}
    inspection_key: str | None = None  # the fingerprint of the inspectors' link key in force (inspection.key)
    for leaf in leaves:
        body = leaf.body
        if body.lot is None:
            problem = _platform_problem(body) or _platform_order_problem(leaf, inspection_key)
            if problem is not None:
                findings.append(Finding(leaf.index, f"platform chain, {body.kind}: {problem}"))
            elif body.kind == INSPECTION_KEY_KIND:
                inspection_key = body.payload["fingerprint"]
            elif body.kind == WITNESS_POLICY_KIND:
                platform_witnessed = body.payload["quorum"] > 0
            elif body.kind == MUNICIPALITY_RULES_KIND:
                municipal_rules[body.payload["municipality"]] = parse_rules(body.payload["rules"])
            continue
        if body.lot in stopped:
            continue
        state = lots.get(body.lot)
        if state is None:
            state = lots[body.lot] = _Lot(
                body.lot, witnessing=witnessing, municipal_rules=municipal_rules, all_lots=all_lots, repeats=repeats
            )
            all_lots[body.lot] = state
        if body.kind == "auction.opened":
            state.witnessed_run = platform_witnessed
        try:
            state.step(leaf.index, body)
        except _Violation as violation:
            reason = violation.reason
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            # A forged payload the checks above did not foresee must still end in a finding, not a crash.
            reason = f"cannot be replayed ({type(exc).__name__}: {exc})"
        else:
            continue
        findings.append(Finding(leaf.index, f"lot {body.lot}, {body.kind}: {reason}"))
        stopped.add(body.lot)
        del lots[body.lot]
    findings.sort(key=lambda finding: finding.index)
    return findings
