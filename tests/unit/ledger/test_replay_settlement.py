"""The replay after the award: the contract's schedule, payments, refunds and forfeits; each broken rule named."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from auction.ledger.verifier.municipal_rules import DEFAULT_RULES, MunicipalRules
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.settlement import ContractTerms, contract_schedule
from tests.unit.ledger.test_replay import (
    AWARD_AT,
    CLOSES,
    DAY,
    MIN,
    OFFICER,
    OPENS,
    SEC,
    T0,
    Entry,
    Script,
    b,
    build,
    cancel_payload,
    finding,
    tampered,
)

COMMITMENT = "ab" * 32


def contract(
    s: Script, bidder: str, at: datetime, rules: MunicipalRules = DEFAULT_RULES, instalments: int = 1
) -> Script:
    terms = s.terms
    deal = ContractTerms(
        deal=terms["deal"],
        price=s.offer_price,
        deposit=terms["deposit"],
        rent_period=terms["rent_period"],
        lease_term_months=terms["lease_term_months"],
        indexation_percent=terms.get("indexation_percent"),
    )
    lease = terms["deal"] == "lease"
    credited, schedule = contract_schedule(deal, at, rules, None if lease else instalments)
    payload = {
        "bidder": bidder,
        "price": s.offer_price,
        "deal": terms["deal"],
        "signed_on": (at + timedelta(hours=6)).date().isoformat(),
        "deposit_credited": credited,
        "instalments": None if lease else instalments,
        "schedule": schedule,
    }
    return s.add("contract.concluded", at, payload, mark="contract")


def pay(s: Script, bidder: str, number: int, amount: int, at: datetime, mark: str = "") -> Script:
    payload = {
        "bidder": bidder,
        "number": number,
        "amount": amount,
        "paid_on": (at + timedelta(hours=6)).date().isoformat(),
        "reference_commitment": COMMITMENT,
    }
    return s.add("payment.recorded", at, payload, OFFICER, mark=mark)


def refund(s: Script, bidder: str, at: datetime, mark: str = "") -> Script:
    payload = {"bidder": bidder, "amount": s.terms["deposit"], "reference_commitment": COMMITMENT}
    return s.add("deposit.refunded", at, payload, OFFICER, mark=mark)


def sale(lot: int = 21) -> Script:
    """b2 wins over b1 and b3, signs, pays in full; the runner-up and the third get their deposits back."""
    s = Script(lot)
    s.publish()
    s.admit(b(1), b(2), b(3))
    s.open(3)
    s.bid(b(1), 100_000_00, OPENS + 10 * MIN)
    s.bid(b(3), 105_000_00, OPENS + 20 * MIN)
    s.bid(b(2), 110_000_00, OPENS + 30 * MIN)
    s.close(CLOSES + SEC, CLOSES, 3)
    s.award(CLOSES + 2 * SEC, b(2), 110_000_00, bid_count=3, runner_up=b(3), runner_up_price=105_000_00)
    refund(s, b(1), CLOSES + DAY, mark="refund1")
    s.sign(b(2), CLOSES + 2 * DAY)
    contract(s, b(2), CLOSES + 2 * DAY)
    refund(s, b(3), CLOSES + 3 * DAY, mark="refund3")
    pay(s, b(2), 1, 50_000_00, CLOSES + 4 * DAY, mark="pay1")
    pay(s, b(2), 1, 50_000_00, CLOSES + 5 * DAY, mark="pay2")
    return s


def lease(lot: int = 22) -> Script:
    s = Script(lot, deal="lease", lease_term_months=12, rent_period="quarter", indexation_percent=5)
    s.publish()
    s.admit(b(1), b(2))
    s.open(2)
    s.bid(b(1), 100_000_00, OPENS + MIN)
    s.bid(b(2), 105_000_00, OPENS + 2 * MIN)
    s.close(CLOSES + SEC, CLOSES, 2)
    s.award(CLOSES + 2 * SEC, b(2), 105_000_00, bid_count=2, runner_up=b(1), runner_up_price=100_000_00)
    s.sign(b(2), CLOSES + DAY)
    contract(s, b(2), CLOSES + DAY)
    pay(s, b(2), 1, 95_000_00, CLOSES + 2 * DAY)
    refund(s, b(1), CLOSES + 2 * DAY)
    return s


def declined(lot: int = 23) -> Script:
    """The winner declines and forfeits; the runner-up signs."""
    s = Script(lot)
    s.publish()
    s.admit(b(1), b(2))
    s.open(2)
    s.bid(b(1), 100_000_00, OPENS + MIN)
    s.bid(b(2), 105_000_00, OPENS + 2 * MIN)
    s.close(CLOSES + SEC, CLOSES, 2)
    s.award(CLOSES + 2 * SEC, b(2), 105_000_00, bid_count=2, runner_up=b(1), runner_up_price=100_000_00)
    s.decline(b(2), CLOSES + DAY)
    payload = {"bidder": b(2), "amount": s.terms["deposit"], "reason": "the winner declined to sign the contract"}
    s.add("deposit.forfeited", CLOSES + DAY, payload, mark="forfeited")
    s.pass_to(b(1), 100_000_00, CLOSES + DAY)
    return s


def cancelled(lot: int = 24) -> Script:
    s = Script(lot)
    s.publish()
    s.admit(b(1), b(2))
    # Two officials cancel it (running_rules.py): officer 2 asked, OFFICER confirmed.
    s.add("lot.cancelled", T0 + 3 * DAY, cancel_payload("published"), OFFICER)
    refund(s, b(1), T0 + 4 * DAY)
    refund(s, b(2), T0 + 4 * DAY)
    return s


def test_honest_settlements_replay_clean() -> None:
    for script in (sale(), lease(), declined(), cancelled()):
        assert replay(script.leaves()) == [], script.lot


def test_a_payment_before_the_contract_is_named() -> None:
    s = sale()
    entries = list(s.entries)
    early = entries[s.marks["pay1"]]
    entries.insert(s.marks["award"] + 1, Entry(early.kind, s.lot, AWARD_AT, OFFICER, early.payload))
    findings = replay(build(entries))
    assert len(findings) == 1
    assert "payment.recorded" in findings[0].reason
    assert "contract" in findings[0].reason


def test_a_payment_without_a_contract_after_the_signature_is_named() -> None:
    s = sale()
    entries = [e for i, e in enumerate(s.entries) if i != s.marks["contract"]]
    findings = replay(build(entries))
    assert len(findings) == 1
    assert "contract.concluded must follow" in findings[0].reason


def test_a_double_refund_is_named() -> None:
    s = sale()
    refund(s, b(1), CLOSES + 6 * DAY, mark="again")
    assert replay(s.leaves()) == finding(s, s.marks["again"], f"deposit.refunded to {b(1)} twice")


def test_a_refund_to_the_winner_is_named() -> None:
    s = sale()
    refund(s, b(2), CLOSES + 6 * DAY, mark="winner")
    assert replay(s.leaves()) == finding(
        s, s.marks["winner"], f"deposit.refunded to {b(2)}, whose deposit the award still holds or credits"
    )


def test_a_refund_to_the_runner_up_while_the_offer_stands_is_named() -> None:
    s = sale()
    entries = tampered(s, "refund1", bidder=b(3))
    findings = replay(build(entries))
    assert findings == finding(
        s, s.marks["refund1"], f"deposit.refunded to {b(3)}, whose deposit the award still holds or credits"
    )


def test_a_refund_before_the_result_is_named() -> None:
    s = Script(25)
    s.publish()
    s.admit(b(1))
    refund(s, b(1), T0 + 2 * DAY, mark="early")
    assert replay(s.leaves()) == finding(
        s, s.marks["early"], "deposit.refunded before the lot's result (award, failure or cancellation)"
    )


def test_a_refund_of_a_deposit_never_confirmed_is_named() -> None:
    s = cancelled()
    refund(s, b(9), T0 + 5 * DAY, mark="stranger")
    assert replay(s.leaves()) == finding(
        s, s.marks["stranger"], f"deposit.refunded to {b(9)}, whose deposit was never confirmed"
    )


def test_a_schedule_other_than_the_rules_give_is_named() -> None:
    s = sale()
    schedule: list[dict[str, Any]] = [{"number": 1, "due_on": "2026-12-31", "amount": 100_000_00}]
    findings = replay(build(tampered(s, "contract", schedule=schedule)))
    assert [f.index for f in findings] == [s.marks["contract"]]
    assert "schedule is not the one" in findings[0].reason


def test_instalments_beyond_the_rules_are_named() -> None:
    s = sale()
    findings = replay(build(tampered(s, "contract", instalments=2)))
    assert [f.index for f in findings] == [s.marks["contract"]]
    assert "1 to 1 instalments" in findings[0].reason


def test_a_lease_schedule_follows_indexation_and_the_deposit_credit() -> None:
    s = lease()
    schedule = s.entries[s.marks["contract"]].payload["schedule"]
    assert [line["amount"] for line in schedule] == [95_000_00, 105_000_00, 105_000_00, 105_000_00]
    findings = replay(build(tampered(s, "contract", deposit_credited=0)))
    assert [f.index for f in findings] == [s.marks["contract"]]


def test_paying_more_than_a_line_owes_is_named() -> None:
    s = sale()
    pay(s, b(2), 1, 1, CLOSES + 6 * DAY, mark="over")
    assert replay(s.leaves()) == finding(s, s.marks["over"], "payment.recorded 1 on line 1, which owes only 0")


def test_a_forfeit_of_a_bidder_whose_offer_did_not_lapse_is_named() -> None:
    s = declined()
    findings = replay(build(tampered(s, "forfeited", bidder=b(1))))
    assert findings == finding(
        s, s.marks["forfeited"], f"deposit.forfeited of {b(1)}, whose offer was not declined or expired"
    )


def test_a_forfeit_without_a_reason_is_named() -> None:
    s = declined()
    findings = replay(build(tampered(s, "forfeited", reason=" ")))
    assert findings == finding(s, s.marks["forfeited"], "deposit.forfeited needs a reason of 1 to 300 characters")
