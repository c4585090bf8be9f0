"""Pure rules of a running auction that the platform enforces and the replay checks again.

Standard library only (the verifier's rule). Three rules of issue 11:

- A live auction (published, bidding, or closed but undecided) is cancelled by two officials: one asks, with a
  reason; a different officer of the municipality (or an administrator) confirms. From ``cancel_lockout_hours``
  before the close on (the running close, after any extension, and so also once bidding has closed) a
  cancellation needs a recorded order: its number, date, issuer and the SHA-256 of the signed document.
- Admission closes when bidding opens, and no application is forgotten: whatever is still undecided when bidding
  opens is rejected by the system, with `UNREVIEWED_REASON`, right before `auction.opened`.
- (The single-participant rule lives with the other award rules in auction_rules.py.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from auction.ledger.verifier.auction_rules import RuleBreach
from auction.ledger.verifier.canonical import format_time

# The reason the system gives when it rejects an application nobody reviewed before bidding opened.
UNREVIEWED_REASON = "not reviewed before bidding opened"

# A recorded order that allows a cancellation inside the lockout, exactly as `lot.cancelled.order` holds it.
ORDER_FIELDS = frozenset({"number", "date", "issued_by", "sha256"})
ORDER_TEXT_MAX = 200
SHA256_RE = re.compile(r"[0-9a-f]{64}")
ACTOR_RE = re.compile(r"(officer|admin):[0-9]+")


def lockout_starts(closes_at: datetime, lockout_hours: int) -> datetime:
    """The moment from which a cancellation needs a recorded order."""
    return closes_at - timedelta(hours=lockout_hours)


def needs_order(at: datetime, closes_at: datetime, lockout_hours: int) -> bool:
    """Whether a cancellation at ``at`` falls in the lockout before (or after) the close ``closes_at``.

    After the close the result may be known (an open auction's is public), so cancelling then is at least as
    suspect as in the last hours before it: the lockout runs on past the close until the lot is decided.
    """
    return at >= lockout_starts(closes_at, lockout_hours)


def cancellation_breach(
    *, requested_by: str, confirmed_by: str, has_order: bool, at: datetime, closes_at: datetime, lockout_hours: int
) -> RuleBreach | None:
    """Why a live lot cannot be cancelled as asked and confirmed, or None when it can."""
    if requested_by == confirmed_by:
        return RuleBreach("cancel.same_official")
    if not has_order and needs_order(at, closes_at, lockout_hours):
        return RuleBreach(
            "cancel.order_required",
            field="order_number",
            closes_at=format_time(closes_at),
            lockout_hours=lockout_hours,
        )
    return None


def order_problem(order: object) -> str | None:
    """What is wrong with a recorded order object, or None: exactly `ORDER_FIELDS`, non-empty texts, an ISO date,
    and a lower-case hex SHA-256."""
    if type(order) is not dict:
        return "order must be an object or null"
    fields: dict[str, Any] = order
    if set(fields) != ORDER_FIELDS:
        return f"order must hold exactly {sorted(ORDER_FIELDS)}, it holds {sorted(fields)}"
    for name in ("number", "issued_by", "date"):
        value = fields[name]
        if type(value) is not str or not 1 <= len(value.strip()) <= ORDER_TEXT_MAX or value != value.strip():
            return f"order {name} must be a trimmed text of 1 to {ORDER_TEXT_MAX} characters"
    if not _is_iso_date(fields["date"]):
        return f"order date {fields['date']!r} is not a date written YYYY-MM-DD"
    sha = fields["sha256"]
    if type(sha) is not str or SHA256_RE.fullmatch(sha) is None:
        return "order sha256 must be 64 lower-case hex digits"
    return None


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == len("2026-01-31")


def is_official(actor: object) -> bool:
    """An officer or administrator as the ledger names them (`officer:12`, `admin:1`)."""
    return type(actor) is str and ACTOR_RE.fullmatch(actor) is not None


def undecided(applied: Iterable[str], approved: Iterable[str], rejected: Iterable[str]) -> list[str]:
    """The applicants neither approved nor rejected, sorted: none may be left when bidding opens."""
    return sorted(set(applied) - set(approved) - set(rejected))
