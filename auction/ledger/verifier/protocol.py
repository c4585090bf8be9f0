"""The results protocol: a canonical document built from a lot's chain, and the commission's signatures on its hash.

docs/keys.md section 3 and docs/ledger-entries.md (`protocol.issued`, `protocol.signed`) define it byte for byte.
The platform builds the document with `build_protocol` when it records the award (or its failure); the replay
builds it again from the same chain and compares. The only input the chain does not hold is the winner's name,
which may be linked to the pseudonym once the lot is awarded: the document carries it, and the rebuild takes it
from there. Commission members sign the document's hash with their own keys (an officer's key registered like a
bidder's, docs/keys.md section 1); a signature is checked here with `cryptography` alone.

Standard library, `cryptography` and the verifier's own modules only: an inspector runs it offline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from auction.ledger.verifier import statements as st
from auction.ledger.verifier.canonical import canonical
from auction.ledger.verifier.entry import Body

PROTOCOL = "achyk-results-protocol/v1"
SIGNATURE_STATEMENT = "achyk-protocol-signature/v1"
ISSUED, SIGNED = "protocol.issued", "protocol.signed"
ISSUED_FIELDS = frozenset({"protocol", "protocol_hash"})
SIGNED_FIELDS = frozenset({"member", "key", "signed"})
AWARD_KINDS = frozenset({"award.made", "award.failed"})
# The chain's bodies the document is built from; the rest of the chain does not change it.
SOURCE_KINDS = frozenset(
    {"lot.published", "lot.amended", "application.approved", "auction.opened", "auction.closed"} | AWARD_KINDS
)
# The terms the protocol repeats (absent in an old lot's terms: null).
TERMS_SUMMARY = (
    "kind",
    "format",
    "title_ky",
    "title_ru",
    "title_en",
    "address",
    "area_sqm",
    "registration_number",
    "starting_price",
    "bid_step",
    "deposit",
    "floor_price",
    "lease_term_months",
    "rent_period",
    "indexation_percent",
    "single_participant_rule",
)
COMMISSION_MIN, COMMISSION_MAX = 2, 15
NAME_MAX = 200
_SIGNED_BASE = frozenset({"key_id", "sig"})
_SIGNED_WEBAUTHN = frozenset({"authenticator_data", "client_data_json"})


class ProtocolError(ValueError):
    """The protocol or a signature on it does not hold; `code` names the refusal, `reason` says why."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def required_signatures(members: int) -> int:
    """A majority of the commission: more than half of its members."""
    return members // 2 + 1


def check_commission(value: object) -> list[int]:
    """A published `commission`: COMMISSION_MIN..COMMISSION_MAX distinct officer user ids, ascending."""
    if type(value) is not list or not all(type(m) is int and m >= 1 for m in value):
        raise ProtocolError("protocol.commission_invalid", "commission must be a list of user ids")
    if value != sorted(set(value)):
        raise ProtocolError("protocol.commission_invalid", "commission must list distinct user ids, ascending")
    if not COMMISSION_MIN <= len(value) <= COMMISSION_MAX:
        raise ProtocolError(
            "protocol.commission_invalid",
            f"a commission has {COMMISSION_MIN} to {COMMISSION_MAX} members, not {len(value)}",
        )
    return list(value)


def commission_of(published: dict[str, Any]) -> list[int]:
    """The lot's commission from its `lot.published` payload: a sealed lot's ceremony members, else `commission`.

    A lot published before commissions were recorded has none (empty): its protocol cannot be signed.
    """
    sealed = published.get("sealed")
    if type(sealed) is dict:
        return sorted(int(m["member"]) for m in sealed["members"])
    commission = published.get("commission")
    return [] if commission is None else check_commission(commission)


def protocol_hash(document: dict[str, Any]) -> str:
    """Hex SHA-256 of the document's RFC 8785 bytes: what the commission signs."""
    return hashlib.sha256(canonical(document)).hexdigest()


def build_protocol(chain: Sequence[Body], winner_name: str | None) -> dict[str, Any]:
    """The results protocol of a decided lot, from its chain's bodies (at least those of `SOURCE_KINDS`).

    `winner_name` is the awarded bidder's name (a person's full name or a legal entity's name), None when failed.
    """
    published = next((b for b in chain if b.kind == "lot.published"), None)
    awards = [b for b in chain if b.kind in AWARD_KINDS]
    if published is None or not awards:
        raise ProtocolError("protocol.not_decided", "the chain has no lot.published or no award.made / award.failed")
    award = awards[-1]
    versions = [b for b in chain if b.kind in ("lot.published", "lot.amended") and b.lot_seq < award.lot_seq]
    terms: dict[str, Any] = versions[-1].payload["terms"]
    approved = sorted({b.payload["bidder"] for b in chain if b.kind == "application.approved"})
    opened = next((b for b in chain if b.kind == "auction.opened"), None)
    closed = next((b for b in chain if b.kind == "auction.closed"), None)
    commission = commission_of(published.payload)
    return {
        "protocol": PROTOCOL,
        "lot": award.lot,
        "municipality": published.payload["municipality"],
        "deal": terms["deal"],
        "council_decision": terms.get("council_decision"),
        "terms": {"version": versions[-1].payload["version"]} | {name: terms.get(name) for name in TERMS_SUMMARY},
        "schedule": {
            "published_at": published.at,
            "applications_close_at": terms["applications_close_at"],
            "bidding_opens_at": terms["bidding_opens_at"],
            "bidding_closes_at": terms["bidding_closes_at"],
            "opened_at": None if opened is None else opened.at,
            "closed_at": None if closed is None else closed.at,
        },
        "participants": {"count": len(approved), "pseudonyms": approved},
        "result": _result(award, winner_name),
        "award_entry": {"kind": award.kind, "lot_seq": award.lot_seq, "body_hash": award.hash, "at": award.at},
        "commission": {"members": commission, "required": required_signatures(len(commission))},
    }


def _result(award: Body, winner_name: str | None) -> dict[str, Any]:
    payload = award.payload
    if award.kind == "award.failed":
        if winner_name is not None:
            raise ProtocolError("protocol.winner_name_invalid", "a failed auction's protocol names no winner")
        return {
            "outcome": "failed",
            "winner": None,
            "winner_name": None,
            "price": None,
            "runner_up": None,
            "runner_up_price": None,
            "bid_count": payload["bid_count"],
            "reason": payload["reason"],
        }
    if type(winner_name) is not str or not 1 <= len(winner_name.strip()) <= NAME_MAX:
        raise ProtocolError("protocol.winner_name_invalid", f"the winner's name must be 1 to {NAME_MAX} characters")
    return {
        "outcome": "awarded",
        "winner": payload["winner"],
        "winner_name": winner_name,
        "price": payload["price"],
        "runner_up": payload["runner_up"],
        "runner_up_price": payload["runner_up_price"],
        "bid_count": payload["bid_count"],
        "reason": payload["reason"],
    }


def check_issued(chain: Sequence[Body], payload: dict[str, Any]) -> dict[str, Any]:
    """A `protocol.issued` payload is the protocol the chain gives, with its hash; returns the document."""
    document = payload.get("protocol")
    if type(document) is not dict:
        raise ProtocolError("protocol.mismatch", "protocol must be an object")
    result = document.get("result")
    name = result.get("winner_name") if type(result) is dict else None
    expected = build_protocol(chain, name)
    differ = sorted(k for k in expected.keys() | document.keys() if expected.get(k) != document.get(k))
    if differ:
        raise ProtocolError("protocol.mismatch", f"the protocol's {differ} are not what the chain gives")
    digest = payload.get("protocol_hash")
    if digest != protocol_hash(document):
        raise ProtocolError(
            "protocol.hash_mismatch", f"protocol_hash {digest!r} is not the SHA-256 of the protocol's JCS bytes"
        )
    return document


def signature_statement(lot: int, member: int, digest: str) -> dict[str, Any]:
    """What a commission member signs (docs/keys.md 3.2)."""
    return {"statement": SIGNATURE_STATEMENT, "lot": lot, "member": member, "protocol_hash": digest}


def check_signature(lot: int, member: int, digest: str, key: object, signed: object) -> dict[str, str]:
    """`signed` is `key`'s signature over the member's statement on the protocol hash; returns the key object."""
    try:
        checked = st.check_key(key)
    except st.StatementError as exc:
        raise ProtocolError("protocol.bad_signature", f"key: {exc.reason}") from None
    if type(signed) is not dict:
        raise ProtocolError("protocol.bad_signature", "signed must be an object")
    extra = set(signed) - _SIGNED_BASE
    if not set(signed) >= _SIGNED_BASE or extra not in (set(), set(_SIGNED_WEBAUTHN)):
        raise ProtocolError(
            "protocol.bad_signature", "signed holds key_id and sig (and authenticator_data, client_data_json)"
        )
    if not all(type(v) is str for v in signed.values()):
        raise ProtocolError("protocol.bad_signature", "signed holds strings only")
    if signed["key_id"] != st.key_id(checked):
        raise ProtocolError("protocol.bad_signature", f"signed key_id {signed['key_id']} is not the key's id")
    try:
        st.verify_signature(checked, signature_statement(lot, member, digest), dict(signed))
    except st.StatementError as exc:
        raise ProtocolError("protocol.bad_signature", exc.reason) from None
    return checked


def complete(commission: Sequence[int], signers: Sequence[int]) -> bool:
    """The protocol is complete once a majority of its commission has signed it."""
    signed_members = set(signers) & set(commission)
    return bool(commission) and len(signed_members) >= required_signatures(len(commission))
