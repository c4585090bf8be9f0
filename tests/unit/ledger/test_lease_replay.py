"""The replay judges a lot's lease terms: a sale carries none, a lease keeps within its municipality's cap."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from auction.ledger.verifier.municipal_rules import DEFAULT_RULES, MunicipalRules
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.report import Finding
from tests.unit.ledger.test_replay import OFFICER, T0, Entry, Script, b, build

LEASE: dict[str, Any] = {
    "deal": "lease",
    "kind": "premises",
    "registration_number": "1-04-06-0012-0345-1",
    "lease_term_months": 36,
    "rent_period": "month",
    "permitted_use": "Retail of food",
    "indexation_percent": 5,
    "sitting_tenant": True,
    "lease_extension_decision": None,
    "council_decision": "No. 7/2 of 12 May 2026, Tokmok city kenesh",
}
# A sale keeps the council decision every lot needs at publication (publication_rules.py), and no lease term.
SALE: dict[str, Any] = {
    "permitted_use": None,
    "indexation_percent": None,
    "sitting_tenant": False,
    "lease_extension_decision": None,
}


def published(**terms: Any) -> Script:
    s = Script(3, **terms)
    s.publish()
    s.admit(b(1))
    return s


def rules_entry(max_lease_months: int) -> Entry:
    rules = MunicipalRules(max_lease_months=max_lease_months).payload()
    body = {"municipality": 7, "code": "tokmok", "rules": rules}
    return Entry("municipality.rules", None, T0, "admin:1", body)


def under_rules(max_lease_months: int, s: Script) -> list[Entry]:
    """The lot's history after its municipality recorded rules with that cap: the lot publishes the rules in force."""
    recorded = rules_entry(max_lease_months)
    first, *rest = s.entries
    published = Entry(
        first.kind, first.lot, first.at, first.actor, {**first.payload, "rules": recorded.payload["rules"]}
    )
    return [recorded, published, *rest]


def test_a_lease_with_its_terms_and_a_sale_without_them_replay_clean() -> None:
    assert replay(published(**LEASE).leaves()) == []
    assert replay(published(**SALE).leaves()) == []


def test_a_sale_with_a_permitted_use_is_a_finding() -> None:
    s = published(**(SALE | {"permitted_use": "Retail of food"}))
    assert replay(s.leaves()) == [
        Finding(0, "lot 3, lot.published: a sale lot's terms carry lease terms ['permitted_use']")
    ]


def test_a_sale_with_a_sitting_tenant_or_indexation_is_a_finding() -> None:
    s = published(**(SALE | {"sitting_tenant": True, "indexation_percent": 5}))
    assert replay(s.leaves()) == [
        Finding(
            0, "lot 3, lot.published: a sale lot's terms carry lease terms ['indexation_percent', 'sitting_tenant']"
        )
    ]


def test_a_lease_beyond_the_default_cap_without_a_council_decision_is_a_finding() -> None:
    s = published(**(LEASE | {"lease_term_months": DEFAULT_RULES.max_lease_months + 1}))
    [found] = replay(s.leaves())
    assert found.index == 0
    assert "exceeds the municipality's cap of 36 without a council decision" in found.reason


def test_a_lease_beyond_the_cap_by_a_council_decision_replays_clean() -> None:
    s = published(**(LEASE | {"lease_term_months": 120, "lease_extension_decision": "No. 12/4 of 3 March 2026"}))
    assert replay(s.leaves()) == []


def test_the_cap_is_the_municipalitys_rules_last_recorded_before_publication() -> None:
    s = published(**(LEASE | {"lease_term_months": 60}))
    # Tokmok's rules allow 60 months: the same lot is then within the cap.
    assert replay(build(under_rules(60, s))) == []
    # Rules recorded with a 48-month cap: the 60-month lease exceeds it (its body is leaf 1, after the rules).
    [found] = replay(build(under_rules(48, s)))
    assert found.index == 1
    assert "cap of 48" in found.reason


def test_an_amendment_that_gives_a_sale_a_permitted_use_is_a_finding() -> None:
    s = Script(3, **SALE).publish()
    terms = dict(s.terms) | {"permitted_use": "Retail of food"}
    at = T0 + timedelta(hours=2)
    payload = {
        "version": 2,
        "terms": terms,
        "changed": ["permitted_use"],
        "reason": "x",
        "reopened_applications": False,
    }
    s.add("lot.amended", at, payload, OFFICER)
    [found] = replay(s.leaves())
    assert found.index == len(s.entries) - 1
    assert found.reason.endswith("a sale lot's terms carry lease terms ['permitted_use']")
