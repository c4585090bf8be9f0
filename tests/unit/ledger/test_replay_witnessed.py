"""The replay judges bids by the witnesses' clock (docs/witnesses.md §5), with hand-built witnessed times."""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.late_bids import BidMoment, OutageExtension, bid_deadline, witnessed_in_time
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.witnessing import WitnessClock, Witnessing, WitnessKey
from tests.unit.ledger.test_replay import CLOSES, MIN, OPENS, SEC, T0, Entry, Script, b, build, t

GRACE = 10
WITNESS = WitnessKey.of("witness.audit.test", Ed25519PrivateKey.from_private_bytes(b"w" * 32))


def witnessed_script(lot: int, **terms: object) -> Script:
    """A lot's script on a platform whose chain already says witnesses are in force (a witness.policy entry first)."""
    script = Script(lot, **terms)
    policy = {
        "grace_seconds": GRACE,
        "quorum": 1,
        "witnesses": [{"url": "http://127.0.0.1:7380", "vkey": WITNESS.vkey}],
    }
    script.entries.append(Entry("witness.policy", None, T0, "system", policy))
    return script


def stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def witnessed(script: Script, late: dict[str, datetime] | None = None) -> Witnessing:
    """Each entry witnessed the second after its `at`, except the marked ones, witnessed when given."""
    overrides = {script.marks[mark]: when for mark, when in (late or {}).items()}
    points = []
    for index, entry in enumerate(script.entries):
        when = overrides.get(index, entry.at + SEC)
        points.append((index + 1, stamp(when)))
    # A witnessed time is the smallest quorum time of any covering checkpoint: keep the late ones late by
    # leaving out checkpoints that cover a late entry sooner than it was witnessed.
    for index, moment in overrides.items():
        points = [(size, when) for size, when in points if size <= index or when >= stamp(moment)]
    return Witnessing(WitnessClock(points), GRACE)


def three_bidders(*, late: tuple[str, ...] | None = None, award_to: str = "b2") -> Script:
    """b1 100k, b2 105k, then b3 110k a minute before the close; the award as the counted bids give it."""
    s = witnessed_script(11)
    s.publish()
    s.admit(b(1), b(2), b(3))
    s.open(3)
    s.bid(b(1), 100_000_00, OPENS + 10 * MIN, mark="bid1")
    s.bid(b(2), 105_000_00, OPENS + 20 * MIN, mark="bid2")
    s.bid(b(3), 110_000_00, CLOSES - 6 * MIN, mark="bid3")
    s.close(CLOSES + SEC, CLOSES, 3)
    if late is not None:
        s.entries[s.marks["closed"]].payload["late"] = [seq_of(s, mark) for mark in late]
    if award_to == "b2":
        s.award(CLOSES + 2 * SEC, b(2), 105_000_00, bid_count=2, runner_up=b(1), runner_up_price=100_000_00)
    else:
        s.award(CLOSES + 2 * SEC, b(3), 110_000_00, bid_count=3, runner_up=b(2), runner_up_price=105_000_00)
    return s


def seq_of(script: Script, mark: str) -> int:
    return script.marks[mark]  # one lot after one platform entry: lot_seq is the position


def test_the_deadline_is_the_close_in_force_or_the_end_of_a_later_outage_that_began_before_the_bid() -> None:
    bid = BidMoment(index=5, lot_seq=5, kind="bid.placed", at=CLOSES - MIN, close=CLOSES)
    assert bid_deadline(bid, []) == CLOSES
    covering = OutageExtension(lot_seq=6, outage_from=CLOSES - 2 * MIN, outage_to=CLOSES + 3 * MIN)
    assert bid_deadline(bid, [covering]) == CLOSES + 3 * MIN
    began_after = OutageExtension(lot_seq=6, outage_from=CLOSES - 30 * SEC, outage_to=CLOSES + 3 * MIN)
    assert bid_deadline(bid, [began_after]) == CLOSES
    earlier = OutageExtension(lot_seq=4, outage_from=CLOSES - 2 * MIN, outage_to=CLOSES + 3 * MIN)
    assert bid_deadline(bid, [earlier]) == CLOSES, "only a later extension vouches for a delay"
    short = OutageExtension(lot_seq=6, outage_from=CLOSES - 2 * MIN, outage_to=CLOSES - 90 * SEC)
    assert bid_deadline(bid, [short]) == CLOSES, "an outage never shortens the time a bid had"
    assert witnessed_in_time(stamp(CLOSES) + GRACE, CLOSES, GRACE)
    assert not witnessed_in_time(stamp(CLOSES) + GRACE + 1, CLOSES, GRACE)
    assert not witnessed_in_time(None, CLOSES, GRACE)


def test_bids_witnessed_in_time_replay_clean_with_and_without_witnesses() -> None:
    s = three_bidders(award_to="b3")
    leaves = build(s.entries)
    assert replay(leaves, witnessed(s)) == []
    assert replay(leaves, None) == []


def test_a_bid_witnessed_after_the_close_that_counted_fails_the_auction() -> None:
    s = three_bidders(award_to="b3")
    when = CLOSES + 31 * SEC
    findings = replay(build(s.entries), witnessed(s, {"bid3": when}))
    closed = s.marks["closed"]
    assert [f.index for f in findings] == [closed]
    assert (
        f"bid at index {s.marks['bid3']} was first witnessed at {format_time(when)}, after the close "
        f"{t(CLOSES)} + grace {GRACE} s" in findings[0].reason
    ), findings


def test_a_lot_that_opened_before_the_platform_had_witnesses_is_judged_by_its_entries() -> None:
    """Bids of a lot opened before any witness.policy with a quorum were never meant to be witnessed in time."""
    s = three_bidders(award_to="b3")
    when = CLOSES + 31 * SEC
    policy = s.entries.pop(0)
    opened = next(i for i, entry in enumerate(s.entries) if entry.kind == "auction.opened")
    s.entries.insert(opened + 1, policy)  # witnesses came in while the lot was already running
    s.marks = {mark: position - 1 if position <= opened + 1 else position for mark, position in s.marks.items()}
    assert replay(build(s.entries), witnessed(s, {"bid3": when})) == []
    s.entries.remove(policy)
    s.entries.insert(opened - 1, policy)  # ... or before it opened: then the lot is judged by the witnesses
    assert replay(build(s.entries), witnessed(s, {"bid3": when})) != []


def test_a_late_bid_listed_in_late_takes_no_part_in_the_award() -> None:
    s = three_bidders(late=("bid3",), award_to="b2")
    leaves = build(s.entries)
    assert replay(leaves, witnessed(s, {"bid3": CLOSES + 31 * SEC})) == []
    # Unwitnessed, the list is taken at face value: the award without b3 still holds.
    assert replay(leaves, None) == []
    # The operator's version, where the late bid wins, fails with witnesses even though `late` is simply absent.
    forged = three_bidders(award_to="b3")
    assert replay(build(forged.entries), witnessed(forged, {"bid3": CLOSES + 31 * SEC}))


def test_late_may_not_list_a_bid_witnessed_in_time_nor_anything_but_a_bid() -> None:
    s = three_bidders(late=("bid3",), award_to="b2")
    findings = replay(build(s.entries), witnessed(s))
    assert len(findings) == 1
    seq, index = seq_of(s, "bid3"), s.marks["bid3"]
    assert f"auction.closed late lists lot_seq {seq}, but the bid at index {index} was first witnessed" in (
        findings[0].reason
    )
    assert "within the close" in findings[0].reason

    not_a_bid = three_bidders(late=("opened",), award_to="b3")
    seq = seq_of(not_a_bid, "opened")
    for witnessing in (witnessed(not_a_bid), None):
        findings = replay(build(not_a_bid.entries), witnessing)
        assert len(findings) == 1
        assert f"auction.closed late lists lot_seq {seq}, which is not a bid of this lot" in findings[0].reason


def outage_lot(*, outage_from: datetime) -> Script:
    """A bid six minutes before the close (outside the soft-close window), the witnesses down until 30 s after it."""
    s = witnessed_script(12)
    s.publish()
    s.admit(b(1), b(2))
    s.open(2)
    s.bid(b(1), 100_000_00, OPENS + 10 * MIN)
    s.bid(b(2), 105_000_00, CLOSES - 6 * MIN, mark="last")
    back = CLOSES + 30 * SEC
    payload = {"closes_at": t(back + 5 * MIN), "reason": "outage", "outage_from": t(outage_from), "outage_to": t(back)}
    s.add("auction.extended", back, payload, mark="outage")
    s.close(back + 5 * MIN, back + 5 * MIN, 2)
    s.award(back + 5 * MIN, b(2), 105_000_00, bid_count=2, runner_up=b(1), runner_up_price=100_000_00)
    return s


def test_an_outage_extension_gives_the_bids_before_it_until_its_end() -> None:
    # The bid was made after the outage began: it could be witnessed only once the witnesses were back.
    s = outage_lot(outage_from=CLOSES - 7 * MIN)
    back_and_witnessed = CLOSES + 30 * SEC + 5 * SEC
    assert replay(build(s.entries), witnessed(s, {"last": back_and_witnessed})) == []
    # Had the outage begun after the bid, nothing excuses its witnessing 35 s after the close.
    s = outage_lot(outage_from=CLOSES - 4 * MIN)
    findings = replay(build(s.entries), witnessed(s, {"last": back_and_witnessed}))
    assert len(findings) == 1
    assert f"bid at index {s.marks['last']} was first witnessed" in findings[0].reason
    assert "after the close" in findings[0].reason


def test_a_late_dutch_acceptance_wins_nothing_and_the_lot_fails() -> None:
    s = witnessed_script(13, format="descending", floor_price=50_000_00, price_drop_interval_seconds=60)
    s.publish()
    s.admit(b(1), b(2))
    dutch_end = OPENS + 11 * MIN
    s.open(2, closes_at=dutch_end, latest=dutch_end)
    payload = {"bidder": b(2), "amount": 50_000_00, "limit": 50_000_00}
    s.add("bid.accepted", dutch_end - SEC, payload, f"bidder:{b(2)}", mark="accepted")
    s.close(dutch_end, dutch_end - SEC, 1)
    s.entries[s.marks["closed"]].payload["late"] = [seq_of(s, "accepted")]
    s.fail(dutch_end + SEC, "the only acceptance was witnessed after the close", bid_count=0)
    assert replay(build(s.entries), witnessed(s, {"accepted": dutch_end + 40 * SEC})) == []
