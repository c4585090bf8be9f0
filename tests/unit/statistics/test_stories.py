"""A lot's chain folded into its story: each outcome, the latest terms, sealed amounts known at the opening, an
offer passed to the runner-up, a lease's schedule and payments, and the entries each fact rests on."""

from __future__ import annotations

from datetime import date

from auction.statistics.stories import Evidence, Outcome, lot_story
from tests.unit.statistics.chains import Chain, lot_terms, schedule

T0 = "2026-03-02T04:00:00.000000Z"
T1 = "2026-03-20T05:00:00.000000Z"
T2 = "2026-03-20T06:00:00.000000Z"
T3 = "2026-03-21T06:00:00.000000Z"


def test_an_open_sale_from_notice_to_contract_and_payment() -> None:
    chain = (
        Chain(7, first_index=40)
        .published(T0, municipality=3, valuation=150_000_00, repeat_of=None)
        .add(
            "lot.amended",
            T0,
            version=2,
            terms=lot_terms(starting_price=90_000_00, valuation=140_000_00, title_en="Plot"),
            changed=["starting_price"],
            reason="council",
            reopened_applications=False,
        )
        .add("application.submitted", T0, bidder="b-1", keys=[], signed={})
        .add("application.submitted", T0, bidder="b-2", keys=[], signed={})
        .add("application.approved", T0, bidder="b-1")
        .add("application.approved", T0, bidder="b-2")
        .add("auction.opened", T1, closes_at=T2, latest_close=T3, participants=2, outage_rule={})
        .add("bid.placed", T1, bidder="b-1", amount=90_000_00, signed={})
        .add("bid.placed", T1, bidder="b-2", amount=95_000_00, signed={})
        .add("auction.extended", T1, closes_at=T3, reason="soft_close")
        .add("auction.closed", T3, chain_head="x", chain_length=9, bid_count=2, closes_at=T3)
        .add("award.made", T3, winner="b-2", price=95_000_00, runner_up="b-1", runner_up_price=90_000_00)
        .add("award.signed", T3, bidder="b-2", price=95_000_00, signed={})
        .add("contract.concluded", T3, bidder="b-2", price=95_000_00, signed_on="2026-03-22", schedule=[])
        .add("payment.recorded", T3, bidder="b-2", number=1, amount=40_000_00, paid_on="2026-03-25")
    )
    story = lot_story(chain.facts)
    assert story is not None
    assert (story.lot, story.municipality, story.deal, story.format) == (7, 3, "sale", "open_ascending")
    assert story.published == Evidence(40, "lot.published", T0, 7)
    # The amendment's terms stand: its price, valuation and titles.
    assert (story.starting_price, story.valuation) == (90_000_00, 140_000_00)
    assert story.title("en") == "Plot"
    assert (story.applicants, story.admitted, story.participants) == (["b-1", "b-2"], ["b-1", "b-2"], 2)
    assert story.closes_at == T3
    assert [(bid.bidder, bid.amount, bid.evidence.index) for bid in story.bids] == [
        ("b-1", 90_000_00, 47),
        ("b-2", 95_000_00, 48),
    ]
    assert (story.runner_up, story.runner_up_price) == ("b-1", 90_000_00)
    assert story.outcome is Outcome.CONTRACTED
    assert (story.winner, story.price, story.signed_on) == ("b-2", 95_000_00, date(2026, 3, 22))
    assert story.contract is not None
    assert story.contract.index == 53
    assert [(p.number, p.amount, p.paid_on) for p in story.payments] == [(1, 40_000_00, date(2026, 3, 25))]
    assert story.decided is not None
    assert story.decided.kind == "award.made"


def test_sealed_amounts_are_known_once_opened_and_only_the_latest_bid_counts() -> None:
    chain = (
        Chain(8)
        .published(T0, format="sealed_bid")
        .add("auction.opened", T1, closes_at=T2, latest_close=T2, participants=2, outage_rule={})
        .add("bid.sealed", T1, bidder="b-1", ciphertext="c1", ciphertext_hash="h1", replaces=None, signed={})
        .add("bid.sealed", T1, bidder="b-2", ciphertext="c2", ciphertext_hash="h2", replaces=None, signed={})
        .add("bid.sealed", T1, bidder="b-1", ciphertext="c3", ciphertext_hash="h3", replaces="h1", signed={})
    )
    story = lot_story(chain.facts)
    assert story is not None
    assert [bid.amount for bid in story.bids] == [None, None, None]  # sealed: nobody knows yet
    chain.add(
        "sealed.opened",
        T2,
        released_by=[1, 2],
        opened=[
            {"bidder": "b-2", "ciphertext_hash": "h2", "amount": 120_000_00},
            {"bidder": "b-1", "ciphertext_hash": "h3", "amount": 130_000_00},
        ],
        disqualified=[],
        below_starting_price=[],
    ).add("award.made", T2, winner="b-1", price=130_000_00, runner_up="b-2", runner_up_price=120_000_00)
    story = lot_story(chain.facts)
    assert story is not None
    assert [(bid.bidder, bid.amount) for bid in story.bids] == [("b-1", None), ("b-2", 120_000_00), ("b-1", 130_000_00)]
    assert story.outcome is Outcome.AWARDED
    assert (story.winner, story.price) == ("b-1", 130_000_00)


def test_an_award_passed_after_a_decline_then_lapsed() -> None:
    chain = (
        Chain(9)
        .published(T0)
        .add("award.made", T1, winner="b-1", price=110_000_00, runner_up="b-2", runner_up_price=105_000_00)
        .add("award.declined", T2, bidder="b-1", deposit="forfeited", signed={})
        .add("award.passed", T2, to="b-2", price=105_000_00, sign_deadline=T3, deal="sale")
    )
    story = lot_story(chain.facts)
    assert story is not None
    assert story.outcome is Outcome.AWARDED
    assert (story.winner, story.price) == ("b-2", 105_000_00)
    assert [w.bidder for w in story.walkaways] == ["b-1"]
    assert [(o.bidder, o.price) for o in story.offers] == [("b-1", 110_000_00), ("b-2", 105_000_00)]
    chain.add("award.expired", T3, bidder="b-2", deposit="forfeited").add("award.lapsed", T3, reason="expired")
    story = lot_story(chain.facts)
    assert story is not None
    assert story.outcome is Outcome.FAILED
    assert (story.winner, story.price) == (None, None)
    assert story.decided is not None
    assert story.decided.kind == "award.made"
    assert story.failed is not None
    assert story.failed.kind == "award.lapsed"


def test_failed_and_cancelled_lots() -> None:
    failed = lot_story(
        Chain(10)
        .published(T0)
        .add("auction.opened", T1, closes_at=T2, latest_close=T2, participants=0, outage_rule={})
        .add("auction.closed", T2, chain_head="x", chain_length=2, bid_count=0, closes_at=T2)
        .add("award.failed", T2, reason="no_bids")
        .facts
    )
    assert failed is not None
    assert (failed.outcome, failed.participants, failed.winner) == (Outcome.FAILED, 0, None)
    assert failed.decided == failed.failed
    cancelled = lot_story(
        Chain(11).published(T0).add("lot.cancelled", T1, reason="court", was="published", requested_by=1).facts
    )
    assert cancelled is not None
    assert (cancelled.outcome, cancelled.opened, cancelled.price) == (Outcome.CANCELLED, None, None)


def test_a_lease_keeps_its_rent_schedule_and_payments() -> None:
    story = lot_story(
        Chain(12)
        .published(T0, deal="lease", starting_price=20_000_00, rent_period="month", lease_term_months=3)
        .add("award.made", T1, winner="b-1", price=21_000_00, runner_up=None, runner_up_price=None)
        .add(
            "contract.concluded",
            T2,
            bidder="b-1",
            price=21_000_00,
            signed_on="2026-12-30",
            schedule=schedule(("2026-12-31", 16_000_00), ("2027-01-31", 21_000_00), ("2027-02-28", 21_000_00)),
        )
        .add("payment.recorded", T3, bidder="b-1", number=1, amount=16_000_00, paid_on="2026-12-31")
        .facts
    )
    assert story is not None
    assert (story.deal, story.rent_period, story.lease_term_months) == ("lease", "month", 3)
    assert story.outcome is Outcome.CONTRACTED
    assert [(line.due_on.year, line.amount) for line in story.schedule] == [
        (2026, 16_000_00),
        (2027, 21_000_00),
        (2027, 21_000_00),
    ]
    assert story.runner_up is None


def test_a_chain_without_its_publication_is_no_story() -> None:
    assert lot_story([]) is None
    assert lot_story(Chain(13).add("award.failed", T1, reason="no_bids").facts) is None
