"""Recorded outages (`ledger.incident`): a late integration the log admits to, told apart from tampering.

A receipt promises that its body is integrated within a maximum merge delay. When the integrator could not run
(the database was unreachable) it integrates the waiting bodies late; before it does, it appends a signed
`ledger.incident` to the same batch: same `integrated_at`, its range ending right before it. The rule:

    an incident is well formed iff last == its own index - 1, first <= last, from <= to == its integrated_at;
    it covers entry E iff first <= E.index <= last, E.integrated_at == the incident's integrated_at == to,
    from <= E.at, and no signed checkpoint has a size in (first, incident index]: none holds part of the range
    without the incident.

The integrator signs one checkpoint per batch, after the incident. An excuse appended later would come after a
checkpoint that already holds the late entries without it, which the last condition refuses; to hide that
checkpoint the operator must rewrite signed history, which anyone holding it (--since, --state, a proof,
a witness) detects.
Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from auction.ledger.verifier.canonical import is_time_string

INCIDENT_KIND = "ledger.incident"
INCIDENT_ACTOR = "system"
INCIDENT_FIELDS = frozenset({"from", "to", "reason", "first", "last"})
DELAYED = "integration delayed"
MAX_REASON_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Incident:
    """One recorded incident: where it is in the log, and what it says about which entries."""

    index: int
    integrated_at: str
    start: str  # payload "from"
    end: str  # payload "to"
    reason: str
    first: int
    last: int


def incident_problem(index: int, integrated_at: str, actor: str, payload: dict[str, Any]) -> str | None:
    """What is wrong with a ledger.incident at `index` (its field names are checked with every other kind's)."""
    start, end, reason = payload.get("from"), payload.get("to"), payload.get("reason")
    first, last = payload.get("first"), payload.get("last")
    shape = [
        (actor == INCIDENT_ACTOR, f"actor {actor!r} is not {INCIDENT_ACTOR}"),
        (isinstance(start, str) and is_time_string(start), "from must be a ledger time"),
        (isinstance(end, str) and is_time_string(end), "to must be a ledger time"),
        (
            isinstance(reason, str) and 0 < len(reason) <= MAX_REASON_LENGTH,
            f"reason must be a text of 1 to {MAX_REASON_LENGTH} characters",
        ),
        (type(first) is int and type(last) is int, "first and last must be integers"),
    ]
    for holds, problem in shape:
        if not holds:
            return problem
    assert isinstance(start, str)
    assert isinstance(end, str)
    assert isinstance(first, int)
    assert isinstance(last, int)
    if last != index - 1 or not 0 <= first <= last:
        return f"the range {first}..{last} must end right before the incident itself (index {index})"
    if not start <= end or end != integrated_at:
        return f"from {start} must not be after to {end}, which must be the incident's integrated_at {integrated_at}"
    return None


def parse_incident(index: int, integrated_at: str, actor: str, payload: dict[str, Any]) -> Incident | None:
    """The incident a well-formed ledger.incident states, or None if it is not well formed (it covers nothing)."""
    if incident_problem(index, integrated_at, actor, payload) is not None:
        return None
    return Incident(
        index, integrated_at, payload["from"], payload["to"], payload["reason"], payload["first"], payload["last"]
    )


def covering_incident(
    incidents: list[Incident], index: int, at: str, integrated_at: str, signed_sizes: Iterable[int]
) -> Incident | None:
    """The recorded incident that covers the late entry at `index` (admitted `at`), or None: then it is a breach.

    `signed_sizes` are the sizes of every signed checkpoint known (the bundle's, and any the inspector brought):
    one that holds part of an incident's range but not the incident shows the excuse was appended afterwards.
    """
    sizes = sorted(set(signed_sizes))
    for incident in incidents:
        if (
            incident.first <= index <= incident.last
            and incident.integrated_at == integrated_at == incident.end
            and incident.start <= at
            and not any(incident.first < size <= incident.index for size in sizes)
        ):
            return incident
    return None
