"""A municipality's rules: exactly their fields within their bounds, working hours in Bishkek, and the
`municipality.rules` platform entry the replay accepts only from an administrator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.municipal_rules import DEFAULT_RULES, MunicipalRules, RulesInvalid, parse_rules
from auction.ledger.verifier.replay import replay
from tests.unit.ledger.factory import Log


def test_the_payload_parses_back_to_the_same_rules() -> None:
    rules = MunicipalRules(notice_days=30, workdays=(0, 1, 2, 3, 4, 5), max_attempts=2)
    assert parse_rules(rules.payload()) == rules
    assert parse_rules(DEFAULT_RULES.payload()) == DEFAULT_RULES


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"notice_days": -1}, "rules.notice_days must be an integer from 0 to 90"),
        ({"notice_days": 20.0}, "rules.notice_days must be an integer"),
        ({"notice_days": True}, "rules.notice_days must be an integer"),
        ({"max_repeat_reduction_pct": 91}, "rules.max_repeat_reduction_pct must be an integer from 0 to 90"),
        ({"workdays": []}, "rules.workdays must be distinct weekday numbers"),
        ({"workdays": [1, 0]}, "rules.workdays must be distinct weekday numbers"),
        ({"workdays": [0, 7]}, "rules.workdays must be distinct weekday numbers"),
        ({"workday_start_minute": 18 * 60}, "rules.workday_start_minute must come before"),
        ({"unknown": 1}, "rules fields differ: missing [], unknown ['unknown']"),
    ],
)
def test_rules_outside_their_bounds_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RulesInvalid, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_rules(DEFAULT_RULES.payload() | change)


def test_a_missing_rule_is_named() -> None:
    payload = DEFAULT_RULES.payload()
    del payload["sign_days"]
    with pytest.raises(RulesInvalid, match=r"missing \['sign_days'\]"):
        parse_rules(payload)


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2026, 6, 1, 3, 0, tzinfo=UTC), True),  # Monday 09:00 in Bishkek: the first minute
        (datetime(2026, 6, 1, 2, 59, 59, tzinfo=UTC), False),  # Monday 08:59:59
        (datetime(2026, 6, 1, 12, 0, tzinfo=UTC), True),  # Monday 18:00: the last instant
        (datetime(2026, 6, 1, 12, 0, 1, tzinfo=UTC), False),  # Monday 18:00:01
        (datetime(2026, 5, 31, 21, 0, tzinfo=UTC), False),  # Monday 03:00 in Bishkek: the night lot
        (datetime(2026, 6, 6, 6, 0, tzinfo=UTC), False),  # Saturday noon
        (datetime(2026, 6, 5, 20, 0, tzinfo=UTC), False),  # Friday 20:00 UTC is Saturday 02:00 in Bishkek
    ],
)
def test_working_hours_are_judged_in_bishkek(moment: datetime, inside: bool) -> None:
    assert DEFAULT_RULES.within_working_hours(moment) is inside


def rules_entry(actor: str = "admin:1", **payload: Any) -> Log:
    log = Log()
    body = {"municipality": 7, "code": "tokmok", "rules": DEFAULT_RULES.payload()} | payload
    log.add("municipality.rules", None, body, actor=actor)
    log.checkpoint()
    return log


def test_the_replay_accepts_rules_an_administrator_set() -> None:
    assert replay(parse_leaf(leaf) for leaf in rules_entry().leaves) == []


@pytest.mark.parametrize(
    ("actor", "payload", "reason"),
    [
        ("officer:3", {}, "actor 'officer:3' is not an administrator"),
        ("admin:1", {"municipality": 0}, "municipality must be a positive integer"),
        ("admin:1", {"rules": DEFAULT_RULES.payload() | {"notice_days": -1}}, "rules.notice_days must be"),
        ("admin:1", {"note": "x"}, "payload has unknown fields ['note']"),
    ],
)
def test_the_replay_refuses_rules_it_cannot_trust(actor: str, payload: dict[str, Any], reason: str) -> None:
    findings = replay(parse_leaf(leaf) for leaf in rules_entry(actor, **payload).leaves)
    assert [f.reason.startswith(f"platform chain, municipality.rules: {reason}") for f in findings] == [True], findings
