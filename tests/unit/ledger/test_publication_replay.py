"""The replay judges every lot by the rules its `lot.published` carries: an operator who publishes with too short a
notice, at night, without a council decision, under rules other than those in force, repeats a lot that did not
fail or cuts its price too deep, or changes documents and material terms without reopening applications, is named
at that body's index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from auction.ledger.verifier.municipal_rules import DEFAULT_RULES
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.report import Finding
from tests.unit.ledger.test_replay import (
    CLOSES,
    DAY,
    MIN,
    OFFICER,
    OPENS,
    PUBLISHED,
    RULES,
    Entry,
    Script,
    b,
    build,
    failed_auction,
    finding,
    open_auction,
    t,
    tampered,
)

SHA = "ab" * 32
# A repeat of the failed lot 4 (which failed at CLOSES, Tuesday 9 June), published the next day with the full notice.
REPEAT_AT = CLOSES + DAY
REPEAT_DEADLINE = REPEAT_AT + timedelta(days=21)
REPEAT_OPENS = datetime(2026, 7, 2, 6, 0, tzinfo=UTC)  # Thursday noon in Bishkek


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def published_with(**terms: Any) -> Script:
    s = Script(1, **terms)
    s.publish()
    return s


def test_the_rules_published_must_be_those_in_force() -> None:
    s = published_with()
    entries = tampered(s, "published", rules={**RULES, "notice_days": 1})
    found = only(replay(build(entries)))
    assert found.index == 0
    assert "lot.published rules are not municipality 7's rules in force" in found.reason


def test_rules_an_administrator_recorded_are_the_ones_a_lot_must_carry() -> None:
    stricter = DEFAULT_RULES.payload() | {"notice_days": 30}
    record = Entry(
        "municipality.rules", None, PUBLISHED - DAY, "admin:1", {"municipality": 7, "code": "tokmok", "rules": stricter}
    )
    s = published_with()
    found = only(replay(build([record, *s.entries])))
    assert found.index == 1
    assert "rules in force" in found.reason
    s2 = published_with()
    s2.entries[0] = Entry("lot.published", 1, PUBLISHED, OFFICER, {**s2.entries[0].payload, "rules": stricter})
    found = only(replay(build([record, *s2.entries])))
    assert "publication.notice_too_short at applications_close_at (earliest_at=" in found.reason


def test_a_lot_whose_applications_close_a_minute_after_publishing() -> None:
    s = published_with(applications_close_at=t(PUBLISHED + MIN))
    assert replay(s.leaves()) == finding(
        s,
        0,
        "terms break the municipality's rules: publication.notice_too_short at applications_close_at "
        f"(earliest_at={t(PUBLISHED + timedelta(days=20))}, notice_days=20)",
    )


def test_a_lot_at_three_in_the_morning() -> None:
    night = OPENS.replace(hour=21)  # 03:00 on Wednesday in Bishkek
    s = published_with(bidding_opens_at=t(night), bidding_closes_at=t(night + 3 * MIN))
    found = only(replay(s.leaves()))
    assert "publication.outside_working_hours at bidding_opens_at" in found.reason
    assert "publication.outside_working_hours at bidding_closes_at" in found.reason


def test_a_lot_without_a_council_decision_and_a_lease_beyond_the_cap() -> None:
    s = published_with(council_decision=None)
    assert "publication.council_decision_missing at council_decision" in only(replay(s.leaves())).reason
    lease = published_with(deal="lease", lease_term_months=37, rent_period="month")
    # The replay's lease-terms check (lease_terms.py) names the same cap before the publication rules do.
    assert "exceeds the municipality's cap of 36" in only(replay(lease.leaves())).reason


def test_an_amendment_is_judged_by_the_same_rules() -> None:
    s = published_with()
    s.add(
        "lot.amended",
        PUBLISHED + DAY,
        {
            "version": 2,
            "terms": {**s.terms, "applications_close_at": t(PUBLISHED + 5 * DAY)},
            "changed": ["applications_close_at"],
            "reason": "Sooner.",
            "reopened_applications": False,
        },
        OFFICER,
    )
    assert "publication.notice_too_short" in only(replay(s.leaves())).reason


def test_a_material_amendment_after_applications_must_reopen_them() -> None:
    s = published_with()
    s.apply(b(1), PUBLISHED + DAY)
    amended = {**s.terms, "soft_close_minutes": 10}
    payload = {"version": 2, "terms": amended, "changed": ["soft_close_minutes"], "reason": "x"}
    s.add("lot.amended", PUBLISHED + 2 * DAY, {**payload, "reopened_applications": False}, OFFICER)
    assert replay(s.leaves()) == finding(
        s,
        2,
        "lot.amended changes material terms ['soft_close_minutes'] after applications without reopening applications",
    )
    s.entries[2] = Entry("lot.amended", s.lot, PUBLISHED + 2 * DAY, OFFICER, {**payload, "reopened_applications": True})
    assert replay(s.leaves()) == []


def document(
    version: int, *, reason: str | None = None, until: datetime | None = None, replaces: str | None = None
) -> dict[str, Any]:
    return {
        "version": version,
        "filename": "valuation.pdf",
        "sha256": SHA,
        "size": 1000,
        "content_type": "application/pdf",
        "replaces": replaces,
        "reason": reason,
        "applications_close_at": None if until is None else t(until),
    }


def test_documents_before_applications_and_a_reopening_after_them_replay_clean() -> None:
    s = published_with()
    s.add("lot.document", PUBLISHED + MIN, document(1), OFFICER)
    s.apply(b(1), PUBLISHED + DAY)
    s.add("lot.document", PUBLISHED + 2 * DAY, document(2, reason="Revised.", until=OPENS, replaces=SHA), OFFICER)
    assert replay(s.leaves()) == []


def test_a_document_after_applications_without_reopening_them() -> None:
    s = published_with()
    s.apply(b(1), PUBLISHED + DAY)
    s.add("lot.document", PUBLISHED + 2 * DAY, document(1), OFFICER)
    assert replay(s.leaves()) == finding(s, 2, "lot.document after applications without reopening applications")


def test_a_document_reopening_applications_for_less_than_reopen_days() -> None:
    s = published_with()
    s.apply(b(1), PUBLISHED + DAY)
    at = OPENS - 2 * DAY
    s.add("lot.document", at, document(2, reason="Revised.", until=OPENS), OFFICER)
    assert replay(s.leaves()) == finding(
        s, 2, f"lot.document reopens applications until {t(OPENS)}, less than reopen_days 3 after its at {t(at)}"
    )


def test_a_document_after_bidding_opened() -> None:
    s = open_auction()
    position = s.marks["opened"] + 1
    s.entries.insert(position, Entry("lot.document", s.lot, OPENS + MIN, OFFICER, document(1)))
    found = only(replay(s.leaves()))
    assert found.index == position
    assert found.reason.endswith("lot.document is not allowed while bidding is open (before auction.closed)")


# --- repeat auctions --------------------------------------------------------------------------------------


def repeat(lot: int, *, of: int = 4, at: datetime = REPEAT_AT, **terms: Any) -> Script:
    schedule = {
        "applications_close_at": t(REPEAT_DEADLINE),
        "bidding_opens_at": t(REPEAT_OPENS),
        "bidding_closes_at": t(REPEAT_OPENS + 180 * MIN),
    }
    s = Script(lot, **{"starting_price": 75_000_00, "bid_step": 3_750_00, "deposit": 7_500_00, **schedule, **terms})
    payload = {"version": 1, "municipality": 7, "rules": RULES, "terms": dict(s.terms), "repeat_of": of}
    return s.add("lot.published", at, payload, OFFICER, mark="published")


def together(*scripts: Script) -> list[Entry]:
    return sorted((e for s in scripts for e in s.entries), key=lambda e: e.at)


def index_of(entries: list[Entry], lot: int) -> int:
    return next(i for i, e in enumerate(entries) if e.lot == lot and e.kind == "lot.published")


def test_an_honest_repeat_replays_clean() -> None:
    assert replay(build(together(failed_auction(), repeat(20)))) == []


def test_a_repeat_cut_deeper_than_the_cap() -> None:
    entries = together(failed_auction(), repeat(20, starting_price=1_000_00, bid_step=100_00, deposit=100_00))
    found = only(replay(build(entries)))
    assert found == Finding(
        index_of(entries, 20),
        "lot 20, lot.published: the repeat auction breaks the municipality's rules: repeat.price_cut_too_deep at "
        "starting_price (max_percent=25, minimum_tyiyn=7500000)",
    )


def test_a_repeat_of_another_property() -> None:
    entries = together(failed_auction(), repeat(20, address="5 Frunze street, Tokmok"))
    assert "repeat.different_property at address" in only(replay(build(entries))).reason


def test_a_repeat_before_the_lot_failed() -> None:
    entries = together(failed_auction(), repeat(20, at=OPENS + MIN))
    found = only(replay(build(entries)))
    assert found.reason == (
        "lot 20, lot.published: repeat_of 4: that lot's chain did not end in award.failed or award.lapsed "
        "(still bidding)"
    )


def test_a_repeat_of_a_lot_that_was_sold() -> None:
    entries = together(
        open_auction(), repeat(20, of=1, at=CLOSES + 30 * DAY, applications_close_at=t(CLOSES + 51 * DAY))
    )
    assert "did not end in award.failed or award.lapsed (award.signed)" in only(replay(build(entries))).reason


def test_the_same_failed_lot_repeated_twice() -> None:
    entries = together(failed_auction(), repeat(20), repeat(21, at=REPEAT_AT + MIN))
    found = only(replay(build(entries)))
    assert found == Finding(index_of(entries, 21), "lot 21, lot.published: lot 4 was already repeated by lot 20")


def test_attempts_beyond_the_cap() -> None:
    """The municipality allows one auction per property: a repeat is one attempt too many."""
    single = DEFAULT_RULES.payload() | {"max_attempts": 1}
    record = Entry(
        "municipality.rules", None, CLOSES + MIN, "admin:1", {"municipality": 7, "code": "tokmok", "rules": single}
    )
    second = repeat(20)
    second.entries[0] = Entry("lot.published", 20, REPEAT_AT, OFFICER, {**second.entries[0].payload, "rules": single})
    entries = [*together(failed_auction(), second), record]
    entries.sort(key=lambda e: e.at)
    assert "repeat.attempts_exhausted at the lot (max_attempts=1)" in only(replay(build(entries))).reason
