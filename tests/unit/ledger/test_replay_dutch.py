"""The replay of descending auctions under the tie rule: recorded outages stop the price, acceptances within one
tick are contenders, and the sealed run-off's revealed offers decide the award."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from auction.ledger.verifier import runoff as tie
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.report import Finding
from tests.unit.ledger.test_replay import (
    DAY,
    MIN,
    OPENS,
    SEC,
    Script,
    b,
    build,
    finding,
    t,
    tampered,
)

DUTCH_END = OPENS + 11 * MIN  # 100 000 som, 5 000 som a minute, floor 50 000 som: one interval after the floor
NONCES = {b(1): "n1" * 11, b(2): "n2" * 11, b(3): "n3" * 11}


def dutch(lot: int = 3) -> Script:
    s = Script(lot, format="descending", floor_price=50_000_00, price_drop_interval_seconds=60)
    s.publish()
    s.admit(b(1), b(2), b(3))
    s.open(3, closes_at=DUTCH_END, latest=DUTCH_END)
    i = s.marks["opened"]
    s.entries[i] = replace(s.entries[i], payload={**s.entries[i].payload, "tie_rule": dict(tie.TIE_RULE)})
    return s


def accept(s: Script, bidder: str, at: datetime, amount: int, mark: str) -> None:
    s.add("bid.accepted", at, {"bidder": bidder, "amount": amount, "limit": amount}, f"bidder:{bidder}", mark=mark)


def offer(s: Script, bidder: str, amount: int, at: datetime) -> None:
    digest = tie.offer_hash(s.lot, bidder, amount, NONCES[bidder])
    s.add("runoff.offer", at, {"bidder": bidder, "offer_hash": digest}, f"bidder:{bidder}", mark=f"offer-{bidder}")


def tie_auction(b1_offer: int = 88_000_00, b2_offer: int = 90_000_00) -> Script:
    """Two bidders accept 85 000 som within the fourth tick; b(1), who accepted second, offers less in the run-off."""
    s = dutch()
    accept(s, b(2), OPENS + 3 * MIN + 10 * SEC, 85_000_00, "first")
    accept(s, b(1), OPENS + 3 * MIN + 40 * SEC, 85_000_00, "second")
    window_end = OPENS + 4 * MIN
    s.close(window_end, window_end, 2)
    runoff_at = window_end + SEC
    payload = {"contenders": [b(2), b(1)], "price": 85_000_00, "closes_at": t(runoff_at + tie.RUNOFF)}
    s.add("runoff.opened", runoff_at, payload, mark="runoff")
    offer(s, b(1), b1_offer, runoff_at + MIN)
    offer(s, b(2), b2_offer, runoff_at + 2 * MIN)
    revealed = [
        {"bidder": b(1), "amount": b1_offer, "nonce": NONCES[b(1)]},
        {"bidder": b(2), "amount": b2_offer, "nonce": NONCES[b(2)]},
    ]
    s.add("runoff.revealed", runoff_at + tie.RUNOFF, {"offers": revealed}, mark="revealed")
    ranked = sorted([(b2_offer, 0, b(2)), (b1_offer, 1, b(1))], key=lambda x: (-x[0], x[1]))
    reason = tie.REASON_EARLIER if b1_offer == b2_offer else tie.REASON_HIGHEST
    s.award(
        runoff_at + tie.RUNOFF,
        ranked[0][2],
        ranked[0][0],
        bid_count=2,
        runner_up=ranked[1][2],
        runner_up_price=ranked[1][0],
        reason=reason,
    )
    s.sign(ranked[0][2], runoff_at + DAY)
    return s


def outage_auction() -> Script:
    """A 5-minute outage from 2 min 30 s: the price stays 90 000 som; b(1) accepts it 10 s after the recovery."""
    s = dutch()
    down, back = OPENS + 2 * MIN + 30 * SEC, OPENS + 7 * MIN + 30 * SEC
    extension = {
        "closes_at": t(DUTCH_END + 5 * MIN),
        "reason": "outage",
        "outage_from": t(down),
        "outage_to": t(back),
    }
    s.add("auction.extended", back, extension, mark="outage")
    accept(s, b(1), back + 10 * SEC, 90_000_00, "accepted")
    window_end = back + 30 * SEC  # the tick running when the platform went down had 30 s left
    s.close(window_end, window_end, 1)
    s.award(window_end + SEC, b(1), 90_000_00, bid_count=1, reason=tie.REASON_FIRST)
    s.sign(b(1), window_end + DAY)
    return s


def test_a_tie_settled_by_the_run_off_replays_clean() -> None:
    assert replay(tie_auction().leaves()) == []


def test_equal_offers_replay_clean_with_the_earlier_acceptance_winning() -> None:
    s = tie_auction(b1_offer=90_000_00, b2_offer=90_000_00)
    assert s.entries[s.marks["award"]].payload["winner"] == b(2)
    assert replay(s.leaves()) == []


def test_an_outage_paused_clock_replays_clean() -> None:
    assert replay(outage_auction().leaves()) == []


def test_an_acceptance_at_the_unpaused_price_is_a_finding() -> None:
    s = outage_auction()
    leaves = build(tampered(s, "accepted", amount=65_000_00, limit=65_000_00))
    at = t(OPENS + 7 * MIN + 40 * SEC)
    assert replay(leaves) == finding(
        s,
        s.marks["accepted"],
        f"bid.accepted amount 6500000 but the Dutch price at {at} is 9000000 "
        "(the clock stood still for 1 recorded outage(s))",
    )


def test_an_outage_that_does_not_move_the_close_by_its_length_is_a_finding() -> None:
    s = outage_auction()
    leaves = build(tampered(s, "outage", closes_at=t(DUTCH_END)))
    assert replay(leaves) == finding(
        s,
        s.marks["outage"],
        f"auction.extended closes_at {t(DUTCH_END)} but the Dutch clock, paused for the outage, "
        f"ends at {t(DUTCH_END + 5 * MIN)}",
    )


def test_a_forged_run_off_winner_is_a_finding() -> None:
    s = tie_auction()
    leaves = build(tampered(s, "award", winner=b(1), price=88_000_00, runner_up=b(2), runner_up_price=90_000_00))
    assert replay(leaves) == finding(
        s, s.marks["award"], f"award.made winner {b(1)} price 8800000 but the bids give winner {b(2)} price 9000000"
    )


def test_a_revealed_amount_that_is_not_the_signed_offer_is_a_finding() -> None:
    s = tie_auction()
    offers = [dict(o) for o in s.entries[s.marks["revealed"]].payload["offers"]]
    offers[0]["amount"] = 95_000_00
    leaves = build(tampered(s, "revealed", offers=offers))
    assert replay(leaves) == finding(
        s, s.marks["revealed"], f"runoff.revealed offer of {b(1)} does not match the offer_hash they signed"
    )


def test_a_run_off_offer_after_its_deadline_is_a_finding() -> None:
    s = tie_auction()
    entries = list(s.entries)
    i = s.marks[f"offer-{b(2)}"]
    deadline = OPENS + 4 * MIN + SEC + tie.RUNOFF
    entries[i] = replace(entries[i], at=deadline)
    assert replay(build(entries)) == finding(
        s, i, f"runoff.offer at {t(deadline)}, not before the run-off's deadline {t(deadline)}"
    )


def test_an_award_to_the_first_acceptance_without_a_run_off_is_a_finding() -> None:
    """The old rule, speed decides, is what the tie rule forbids: two contenders need their run-off."""
    s = tie_auction()
    entries = list(s.entries)
    award_at = OPENS + 4 * MIN + SEC
    close = s.marks["closed"]
    award = replace(
        entries[s.marks["award"]],
        at=award_at,
        payload={**entries[s.marks["award"]].payload, "winner": b(2), "price": 85_000_00, "reason": "first to accept"},
    )
    chain = [*entries[: close + 1], award]
    assert replay(build(chain)) == [
        Finding(close + 1, f"lot {s.lot}, award.made: award.made with 2 contenders, before runoff.revealed")
    ]


def test_an_acceptance_after_the_tie_window_is_a_finding() -> None:
    """The window ends with the tick: an acceptance at the next price is late, not a cheaper contender."""
    s = tie_auction()
    entries = list(s.entries)
    i = s.marks["second"]
    late = OPENS + 4 * MIN
    entries[i] = replace(entries[i], at=late, payload={**entries[i].payload, "amount": 80_000_00, "limit": 80_000_00})
    assert replay(build(entries)) == finding(s, i, f"bid after the close: at {t(late)} ≥ closes_at {t(late)}")


def test_a_run_off_offer_by_a_bidder_who_did_not_accept_is_a_finding() -> None:
    s = tie_auction()
    entries = list(s.entries)
    i = s.marks[f"offer-{b(1)}"]
    digest = tie.offer_hash(s.lot, b(3), 99_000_00, NONCES[b(3)])
    entries[i] = replace(entries[i], actor=f"bidder:{b(3)}", payload={"bidder": b(3), "offer_hash": digest})
    assert replay(build(entries)) == finding(s, i, f"runoff.offer by {b(3)}, who is not a contender")
