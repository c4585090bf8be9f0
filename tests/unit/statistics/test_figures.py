"""The statistics' figures from hand-made stories: outcomes counted per Bishkek publication year, revenue against
starting prices and valuations (only over the sales that have one), participants per opened lot, days to contract,
lease income received and due per year; and the edge cases: no lots, no valuation, a cancelled lot."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from auction.statistics.figures import Figures, LeaseYear, by_municipality, figures, lease_income, percent, statistics
from auction.statistics.stories import LotStory, lot_story
from tests.unit.statistics.chains import Chain, schedule

TODAY = date(2027, 2, 1)


def story(chain: Chain) -> LotStory:
    found = lot_story(chain.facts)
    assert found is not None
    return found


def opened(chain: Chain, at: str, participants: int) -> Chain:
    return chain.add("auction.opened", at, closes_at=at, latest_close=at, participants=participants, outage_rule={})


def sold(lot: int, published: str, price: int, signed_on: str, participants: int = 2, **terms: Any) -> LotStory:
    chain = opened(Chain(lot).published(published, **terms), published, participants)
    chain.add("award.made", published, winner="b-1", price=price, runner_up=None, runner_up_price=None)
    chain.add("contract.concluded", published, bidder="b-1", price=price, signed_on=signed_on, schedule=[])
    return story(chain)


def lots() -> list[LotStory]:
    # Published 2025-12-31 at 19:00 UTC: 1 January 2026 in Bishkek (UTC+6), so a 2026 lot.
    first = sold(
        1, "2025-12-31T19:00:00.000000Z", 120_000_00, "2026-01-21", starting_price=100_000_00, valuation=150_000_00
    )
    second = sold(2, "2026-05-01T04:00:00.000000Z", 90_000_00, "2026-05-31", participants=1, starting_price=80_000_00)
    failed = story(
        opened(Chain(3).published("2026-06-01T04:00:00.000000Z"), "2026-06-20T04:00:00.000000Z", 0).add(
            "award.failed", "2026-06-21T04:00:00.000000Z", reason="no_bids"
        )
    )
    cancelled = story(
        Chain(4)
        .published("2025-12-31T17:00:00.000000Z", municipality=2)  # 23:00 in Bishkek: still 2025
        .add("lot.cancelled", "2026-01-02T04:00:00.000000Z", reason="court", was="published", requested_by=1)
    )
    lease_chain = opened(
        Chain(5).published("2026-11-02T04:00:00.000000Z", deal="lease", starting_price=20_000_00, municipality=2),
        "2026-11-20T04:00:00.000000Z",
        3,
    )
    lease_chain.add(
        "award.made", "2026-11-21T04:00:00.000000Z", winner="b-9", price=21_000_00, runner_up=None, runner_up_price=None
    )
    lease_chain.add(
        "contract.concluded",
        "2026-11-25T04:00:00.000000Z",
        bidder="b-9",
        price=21_000_00,
        signed_on="2026-11-25",
        schedule=schedule(
            ("2026-11-26", 16_000_00), ("2026-12-26", 21_000_00), ("2027-01-26", 21_000_00), ("2027-02-26", 21_000_00)
        ),
    )
    lease_chain.add(
        "payment.recorded",
        "2026-11-26T04:00:00.000000Z",
        bidder="b-9",
        number=1,
        amount=16_000_00,
        paid_on="2026-11-26",
    )
    lease_chain.add(
        "payment.recorded",
        "2027-01-05T04:00:00.000000Z",
        bidder="b-9",
        number=2,
        amount=21_000_00,
        paid_on="2027-01-05",
    )
    still_open = story(Chain(6).published("2026-12-01T04:00:00.000000Z"))
    return [first, second, failed, cancelled, story(lease_chain), still_open]


def test_outcomes_revenue_participants_and_days_per_year_and_in_total() -> None:
    found = statistics(lots(), TODAY)
    assert [year.year for year in found.years] == [2025, 2026]
    before, during = found.years
    assert (before.published, before.cancelled, before.contracted, before.still_open) == (1, 1, 0, 0)
    assert before.revenue_to_starting is None  # nothing sold: no ratio rather than 0 %
    assert (during.published, during.sold, during.leased, during.failed, during.cancelled, during.still_open) == (
        5,
        2,
        1,
        1,
        0,
        1,
    )
    total = found.total
    assert total.year is None
    assert total.published == total.contracted + total.failed + total.cancelled + total.still_open == 6
    # Sales only: the lease's rent is no revenue of a sale.
    assert (total.revenue, total.sales_starting) == (210_000_00, 180_000_00)
    assert total.revenue_to_starting == Decimal("116.7")
    # Only the first sale has a valuation: 120 000 of 150 000.
    assert (total.valued_sales, total.valued_revenue, total.valuation) == (1, 120_000_00, 150_000_00)
    assert total.revenue_to_valuation == Decimal("80.0")
    # Four lots opened (2 + 1 + 0 + 3 admitted bidders); the cancelled and the still open one did not.
    assert (total.opened, total.participants, total.average_participants) == (4, 6, Decimal("1.50"))
    # Contracts 20, 30 and 23 days after their Bishkek publication dates.
    assert total.days_to_contract == (20, 23, 30)
    assert (total.mean_days_to_contract, total.median_days_to_contract) == (Decimal("24.3"), Decimal("23.0"))


def test_lease_income_received_and_due_by_calendar_year() -> None:
    assert statistics(lots(), TODAY).lease_income == [
        LeaseYear(2026, received=16_000_00, due=37_000_00, due_so_far=37_000_00),
        LeaseYear(2027, received=21_000_00, due=42_000_00, due_so_far=21_000_00),
    ]


def test_municipalities_each_have_their_figures() -> None:
    found = by_municipality(lots())
    assert {code: f.published for code, f in found.items()} == {1: 4, 2: 2}
    assert found[2].leased == 1
    assert found[2].cancelled == 1


def test_no_lots_no_valuation_and_an_even_median() -> None:
    empty = statistics([], TODAY)
    assert empty.total == Figures(year=None)
    assert (empty.years, empty.lease_income) == ([], [])
    assert (empty.total.revenue_to_valuation, empty.total.average_participants, empty.total.mean_days_to_contract) == (
        None,
        None,
        None,
    )
    two = figures(
        [
            sold(1, "2026-01-01T04:00:00.000000Z", 100_000_00, "2026-01-11"),
            sold(2, "2026-01-01T04:00:00.000000Z", 100_000_00, "2026-01-12"),
        ]
    )
    assert two.valued_sales == 0
    assert two.revenue_to_valuation is None
    assert two.revenue_to_starting == Decimal("100.0")
    assert two.median_days_to_contract == Decimal("10.5")


def test_percentages_round_half_up() -> None:
    assert percent(1, 8) == Decimal("12.5")
    assert percent(1, 3) == Decimal("33.3")
    assert percent(2, 3) == Decimal("66.7")
    assert percent(1, 0) is None


def test_participants_count_only_once_the_lot_page_shows_them() -> None:
    """auction/bidding/disclosure.py: the number admitted is secret while bidding runs, and for sealed bids until
    the commission opened them; an average over one running lot would print it."""
    at = "2026-03-02T04:00:00.000000Z"
    running = opened(Chain(1).published(at), at, 3)
    sealed_closed = opened(Chain(2).published(at, format="sealed_bid"), at, 4).add(
        "auction.closed", at, chain_head="h", chain_length=2, bid_count=4, closes_at=at
    )
    open_closed = opened(Chain(3).published(at), at, 2).add(
        "auction.closed", at, chain_head="h", chain_length=2, bid_count=1, closes_at=at
    )
    assert (figures([story(running)]).opened, figures([story(running)]).average_participants) == (0, None)
    assert figures([story(sealed_closed)]).participants == 0
    both = figures([story(running), story(sealed_closed), story(open_closed)])
    assert (both.opened, both.participants) == (1, 2)
    sealed_closed.add("sealed.opened", at, released_by=[1], opened=[], disqualified=[], below_starting_price=[])
    sealed_closed.add("award.failed", at, chain_head="h", chain_length=4, bid_count=0, reason="no valid bid")
    assert (figures([story(sealed_closed)]).opened, figures([story(sealed_closed)]).participants) == (1, 4)


def test_a_sale_amended_into_a_lease_counts_as_a_lease() -> None:
    """The deal is a term like any other until bidding opens (only the format is frozen): the last terms say it."""
    at = "2026-03-02T04:00:00.000000Z"
    chain = Chain(1).published(at, starting_price=100_000_00)
    chain.add(
        "lot.amended",
        at,
        version=2,
        terms={**chain.facts[0].payload["terms"], "deal": "lease", "kind": "building", "starting_price": 20_000_00},
        changed=["deal", "kind", "starting_price"],
        reason="the council decided to lease it",
        reopened_applications=False,
    )
    opened(chain, at, 2).add("award.made", at, winner="b-1", price=21_000_00, runner_up=None, runner_up_price=None).add(
        "contract.concluded",
        at,
        bidder="b-1",
        price=21_000_00,
        signed_on="2026-03-02",
        schedule=schedule(("2026-03-03", 21_000_00)),
    )
    found = figures([story(chain)])
    assert (found.sold, found.leased, found.revenue) == (0, 1, 0)
    assert story(chain).kind == "building"
    assert lease_income([story(chain)], TODAY) == [LeaseYear(2026, received=0, due=21_000_00, due_so_far=21_000_00)]
