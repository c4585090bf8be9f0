"""The inspectors' link key on the platform chain: which key is in force (`inspection.key`) and every use of it
(`inspection.linked`), docs/ledger-entries.md and docs/inspection.md.

Standard library only. The key itself never enters the ledger: `inspection.key` pins its fingerprint, and each
`inspection.linked` names the fingerprint it was computed under, its purpose and a hash of what the inspector saw.
"""

from __future__ import annotations

import re
from typing import Any

INSPECTION_KEY_KIND = "inspection.key"
INSPECTION_LINKED_KIND = "inspection.linked"
INSPECTION_KEY_FIELDS = frozenset({"fingerprint", "previous"})
INSPECTION_LINKED_FIELDS = frozenset({"scope", "purpose", "key_fingerprint", "lots", "links", "result_hash"})
PURPOSE_MIN, PURPOSE_MAX = 10, 300
MAX_SCOPE_LENGTH = 64

_HEX64 = re.compile(r"[0-9a-f]{64}")
# An administrator pins the key from the server's shell (admin:cli) or as an account; an inspector links as one.
_KEY_ACTOR = re.compile(r"admin:(cli|[1-9][0-9]*)")
_LINK_ACTOR = re.compile(r"(inspector|admin):[1-9][0-9]*")


def _hex64(value: object) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def _count(value: object) -> bool:
    return type(value) is int and value >= 0


def inspection_key_problem(actor: str, payload: dict[str, Any], pinned: str | None = None) -> str | None:
    """What is wrong with an `inspection.key` body, or None; `pinned`: the fingerprint in force before it."""
    if _KEY_ACTOR.fullmatch(actor) is None:
        return f"actor {actor!r} is not an administrator"
    fingerprint, previous = payload["fingerprint"], payload["previous"]
    if not _hex64(fingerprint):
        return "fingerprint must be 64 lowercase hex digits"
    if previous is not None and not _hex64(previous):
        return "previous must be null or 64 lowercase hex digits"
    if previous != pinned:
        return f"previous must be the fingerprint in force ({pinned}), not {previous}"
    if fingerprint == previous:
        return "fingerprint must differ from the one it replaces"
    return None


def inspection_linked_problem(actor: str, payload: dict[str, Any], pinned: str | None = None) -> str | None:
    """What is wrong with an `inspection.linked` body, or None; `pinned`: the fingerprint in force at it."""
    if _LINK_ACTOR.fullmatch(actor) is None:
        return f"actor {actor!r} is not an inspector or administrator"
    scope, purpose = payload["scope"], payload["purpose"]
    if scope is not None and (not isinstance(scope, str) or not 1 <= len(scope) <= MAX_SCOPE_LENGTH):
        return f"scope must be null or a municipality code of 1 to {MAX_SCOPE_LENGTH} characters"
    if not isinstance(purpose, str) or not PURPOSE_MIN <= len(purpose) <= PURPOSE_MAX:
        return f"purpose must be a string of {PURPOSE_MIN} to {PURPOSE_MAX} characters"
    problems = (
        (_hex64(payload["key_fingerprint"]), "key_fingerprint must be 64 lowercase hex digits"),
        (_hex64(payload["result_hash"]), "result_hash must be 64 lowercase hex digits"),
        (_count(payload["lots"]) and _count(payload["links"]), "lots and links must be whole numbers"),
        (payload["key_fingerprint"] == pinned, f"key_fingerprint is not the inspection key in force ({pinned})"),
    )
    return next((problem for fine, problem in problems if not fine), None)
