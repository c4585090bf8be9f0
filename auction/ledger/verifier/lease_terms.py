"""A lease's own terms as the ledger records them in `lot.published` / `lot.amended` (docs/ledger-entries.md).

Standard library only. The platform refuses the same things when an officer drafts a lot
(`auction.lots.lease.lease_problems` and `auction.lots.rules.check_terms`); the replay finds them in a chain
written past the platform's checks.
"""

from __future__ import annotations

from typing import Any

from auction.ledger.verifier.municipal_rules import BOUNDS

# Terms only a lease has: a sale's terms hold them null (or false, for the sitting tenant), or not at all.
LEASE_ONLY_TERMS = frozenset({"permitted_use", "indexation_percent", "sitting_tenant", "lease_extension_decision"})
# Added to the terms after the first chains were written: absent in older chains, present in every new one.
LEASE_OPTIONAL_FIELDS = frozenset({"permitted_use", "sitting_tenant", "lease_extension_decision"})
RENT_PERIODS = frozenset({"month", "quarter", "year"})
PERMITTED_USE_MAX = 300
DECISION_MAX = 300
# No council decision can lease municipal property for longer than the law's longest term (49 years for land),
# which is also the highest cap a municipality's rules may set.
LEASE_TERM_LEGAL_MAX_MONTHS = BOUNDS["max_lease_months"][1]


def _blank(value: object) -> bool:
    return value is None or value is False or value == ""


def lease_terms_problem(terms: dict[str, Any], max_lease_months: int) -> str | None:
    """What is wrong with a lot's lease terms under a municipality's cap on the lease term, or None.

    A sale has no lease term, rent period or lease-only term. A lease has a rent period, a term of at least a
    month and at most the municipality's cap — or, with a council decision extending it
    (`lease_extension_decision`), at most the legal maximum — a permitted use of 1 to 300 characters when its
    chain records one, an indexation of 0-100 % or none, and a sitting tenant flag that is true or false.
    """
    deal = terms.get("deal")
    if deal != "lease":
        misplaced = sorted(
            name for name in LEASE_ONLY_TERMS | {"lease_term_months", "rent_period"} if not _blank(terms.get(name))
        )
        return f"a {deal} lot's terms carry lease terms {misplaced}" if misplaced else None
    return _term_problem(terms, max_lease_months) or _lease_fields_problem(terms)


def _term_problem(terms: dict[str, Any], max_lease_months: int) -> str | None:
    """The rent period, and the term within the cap unless a council decision extends it."""
    if terms.get("rent_period") not in RENT_PERIODS:
        return f"a lease's rent_period {terms.get('rent_period')!r} is not one of {sorted(RENT_PERIODS)}"
    months = terms.get("lease_term_months")
    if type(months) is not int or months < 1:
        return f"a lease's lease_term_months {months!r} is not a whole number of months"
    decision = terms.get("lease_extension_decision")
    if decision is not None and (type(decision) is not str or not 1 <= len(decision) <= DECISION_MAX):
        return f"lease_extension_decision must be a text of 1 to {DECISION_MAX} characters"
    if months > LEASE_TERM_LEGAL_MAX_MONTHS:
        return f"the lease term {months} months exceeds the legal maximum of {LEASE_TERM_LEGAL_MAX_MONTHS}"
    if months > max_lease_months and decision is None:
        return (
            f"the lease term {months} months exceeds the municipality's cap of {max_lease_months} "
            "without a council decision extending it (lease_extension_decision)"
        )
    return None


def _lease_fields_problem(terms: dict[str, Any]) -> str | None:
    """The permitted use, indexation and sitting tenant, each of its own type and size."""
    if "permitted_use" in terms:
        use = terms["permitted_use"]
        if type(use) is not str or not 1 <= len(use.strip()) <= PERMITTED_USE_MAX:
            return f"a lease's permitted_use must be a text of 1 to {PERMITTED_USE_MAX} characters, got {use!r}"
    indexation = terms.get("indexation_percent")
    if indexation is not None and (type(indexation) is not int or not 0 <= indexation <= 100):
        return f"indexation_percent {indexation!r} is not a whole percent from 0 to 100"
    if "sitting_tenant" in terms and type(terms["sitting_tenant"]) is not bool:
        return f"sitting_tenant must be true or false, got {terms['sitting_tenant']!r}"
    return None
