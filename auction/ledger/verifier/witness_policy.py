"""The platform's witness configuration, as the platform chain records it (`witness.policy`, docs/witnesses.md §4).

Whoever runs the platform chooses its witnesses; logging each change makes that choice public and dated, so an
inspector can compare the policy they were given with the one the platform says was in force. Standard library and
the verifier's own formats only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from auction.ledger.verifier.entry import Leaf
from auction.ledger.verifier.note import NoteError
from auction.ledger.verifier.witnessing import parse_witness_vkey

WITNESS_POLICY_KIND = "witness.policy"
WITNESS_POLICY_ACTOR = "system"
WITNESS_POLICY_FIELDS = frozenset({"grace_seconds", "quorum", "witnesses"})
MAX_WITNESSES = 100
MAX_URL_LENGTH = 300


@dataclass(frozen=True, slots=True)
class LoggedPolicy:
    """One witness.policy entry: the witnesses (vkey, URL or None), quorum and grace in force from its index on."""

    index: int
    witnesses: tuple[tuple[str, str | None], ...]
    quorum: int
    grace_seconds: int


def _count(value: object) -> bool:
    return type(value) is int and value >= 0


def witness_policy_problem(actor: str, payload: dict[str, Any]) -> str | None:
    """What is wrong with a witness.policy body (its field names are checked with every other kind's), or None."""
    if actor != WITNESS_POLICY_ACTOR:
        return f"actor {actor!r} is not {WITNESS_POLICY_ACTOR}"
    witnesses, quorum, grace = payload.get("witnesses"), payload.get("quorum"), payload.get("grace_seconds")
    if not isinstance(witnesses, list) or len(witnesses) > MAX_WITNESSES:
        return f"witnesses must be a list of at most {MAX_WITNESSES}"
    if not _count(grace):
        return "grace_seconds must be a whole number of seconds"
    if type(quorum) is not int or not 0 <= quorum <= len(witnesses):
        return f"quorum must be between 0 and the {len(witnesses)} witnesses listed"
    problems = (_witness_problem(number, witness) for number, witness in enumerate(witnesses, start=1))
    problem = next((p for p in problems if p is not None), None)
    if problem is None and len({w["vkey"] for w in witnesses}) != len(witnesses):
        return "a witness is listed twice"
    return problem


def _witness_problem(number: int, witness: object) -> str | None:
    if not isinstance(witness, dict) or set(witness) != {"url", "vkey"}:
        return f"witness {number} must be an object of url and vkey"
    url, vkey = witness["url"], witness["vkey"]
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > MAX_URL_LENGTH
    ):
        return f"witness {number}: url must be null or an http(s) URL of at most {MAX_URL_LENGTH} characters"
    try:
        parse_witness_vkey(vkey if isinstance(vkey, str) else "")
    except NoteError as exc:
        return f"witness {number}: {exc}"
    return None


def witness_policies(leaves: Iterable[Leaf]) -> list[LoggedPolicy]:
    """Every well-formed witness.policy entry of the platform chain, in index order."""
    found = []
    for leaf in leaves:
        body = leaf.body
        if body.lot is None and body.kind == WITNESS_POLICY_KIND:
            payload = body.payload
            if witness_policy_problem(body.actor, payload) is None:
                witnesses = tuple((w["vkey"], w["url"]) for w in payload["witnesses"])
                found.append(LoggedPolicy(leaf.index, witnesses, payload["quorum"], payload["grace_seconds"]))
    return found


def witness_policy_notes(leaves: Iterable[Leaf]) -> list[str]:
    """The report's lines on the witnesses in force: the latest logged policy, one line per witness."""
    logged = witness_policies(leaves)
    if not logged:
        return ["no witness.policy entry: the ledger records no witnesses"]
    latest = logged[-1]
    lines = [
        f"witness policy in force (entry {latest.index}, {len(logged)} logged): quorum {latest.quorum} of "
        f"{len(latest.witnesses)}, grace {latest.grace_seconds} s"
    ]
    lines += [f"  witness {vkey}" + (f" {url}" if url else "") for vkey, url in latest.witnesses]
    return lines
