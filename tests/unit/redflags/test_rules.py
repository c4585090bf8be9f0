"""The red-flag rules on hand-made lot chains folded by the real `lot_story` (no database): each rule's positive,
negative and exactly-at-threshold cases, and that every flag's evidence names the very entries it describes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from auction.opendata.release import LedgerFact
from auction.redflags.rules import (
    BELOW_VALUATION_PERCENT,
    LATE_WITHDRAWAL_MINUTES,
    REPEATED_WINS,
    ROTATION_LOSSES,
    Code,
    RedFlag,
    cross_lot_flags,
    lot_flags,
)
from auction.statistics.stories import LotStory, lot_story

ALICE, BOB, CAROL = "b-00000000000000a1", "b-00000000000000b2", "b-00000000000000c3"
CLOSE = datetime(2026, 6, 23, 9, 0, tzinfo=UTC)
_indexes = itertools.count(100, 7)  # global ledger indexes, interleaved between lots as the real ledger's are


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Chain:
    def __init__(self, lot: int, municipality: int = 3, *, repeat_of: int | None = None, **terms: Any) -> None:
        self.lot = lot
        self.facts: list[LedgerFact] = []
        self.by_kind: dict[str, list[LedgerFact]] = {}
        payload: dict[str, Any] = {
            "version": 1,
            "municipality": municipality,
            "terms": {"deal": "sale", "kind": "land_plot", "format": "open_ascending", "title_en": f"Lot {lot}"}
            | {"starting_price": 100_000_00}
            | terms,
        }
        if repeat_of is not None:
            payload["repeat_of"] = repeat_of
        self.add("lot.published", CLOSE - timedelta(days=20), **payload)

    def add(self, kind: str, at: datetime = CLOSE, **payload: Any) -> Chain:
        index = next(_indexes)
        fact = LedgerFact(index, f"{index:064x}", None, self.lot, len(self.facts) + 1, kind, stamp(at), payload)
        self.facts.append(fact)
        self.by_kind.setdefault(kind, []).append(fact)
        return self

    def index(self, kind: str, position: int = 0) -> int:
        return self.by_kind[kind][position].index

    def story(self) -> LotStory:
        story = lot_story(self.facts)
        assert story is not None
        return story


def auction(
    lot: int,
    bidders: list[str],
    winner: str,
    price: int,
    *,
    municipality: int = 3,
    awarded_at: datetime = CLOSE,
    repeat_of: int | None = None,
    **terms: Any,
) -> Chain:
    """An open auction where every bidder applies, is admitted and bids, and `winner` is awarded at `price`."""
    chain = Chain(lot, municipality, repeat_of=repeat_of, **terms)
    for bidder in bidders:
        chain.add("application.submitted", CLOSE - timedelta(days=10), bidder=bidder)
    for bidder in bidders:
        chain.add("application.approved", CLOSE - timedelta(days=5), bidder=bidder)
    chain.add("auction.opened", CLOSE - timedelta(hours=3), participants=len(bidders), closes_at=stamp(CLOSE))
    for bidder in bidders:
        chain.add("bid.placed", CLOSE - timedelta(hours=1), bidder=bidder, amount=price if bidder == winner else 1)
    chain.add("auction.closed", CLOSE, closes_at=stamp(CLOSE))
    chain.add("award.made", awarded_at, winner=winner, price=price)
    return chain


def indexes(flag: RedFlag) -> list[int]:
    return [found.index for found in flag.evidence]


def kinds(flag: RedFlag) -> list[str]:
    return [found.kind for found in flag.evidence]


def of(code: Code, flags: list[RedFlag]) -> list[RedFlag]:
    return [flag for flag in flags if flag.code is code]


# single participant ---------------------------------------------------------------------------------------------


def test_a_lot_awarded_with_one_participant_is_flagged_with_the_opening_award_and_contract() -> None:
    chain = auction(7, [ALICE], ALICE, 100_000_00)
    chain.add("contract.concluded", bidder=ALICE, price=100_000_00, signed_on="2026-06-30", schedule=[])
    [flag] = of(Code.SINGLE_PARTICIPANT, lot_flags(chain.story()))
    assert (flag.municipality, flag.lots) == (3, (7,))
    assert flag.figures == {"price": 100_000_00, "starting_price": 100_000_00}
    assert indexes(flag) == [
        chain.index("auction.opened"),
        chain.index("award.made"),
        chain.index("contract.concluded"),
    ]
    assert kinds(flag) == ["auction.opened", "award.made", "contract.concluded"]
    assert flag.inspector_links == ()


def test_two_participants_or_no_award_is_no_single_participant_flag() -> None:
    assert of(Code.SINGLE_PARTICIPANT, lot_flags(auction(7, [ALICE, BOB], ALICE, 120_000_00).story())) == []
    lone = Chain(8).add("auction.opened", participants=1, closes_at=stamp(CLOSE))
    assert of(Code.SINGLE_PARTICIPANT, lot_flags(lone.add("award.failed", reason="no bids").story())) == []


# below valuation ------------------------------------------------------------------------------------------------


def test_a_sale_under_seventy_percent_of_the_valuation_is_flagged_with_the_terms_and_the_price() -> None:
    chain = auction(7, [ALICE, BOB], ALICE, 69_999_99, valuation=100_000_00, starting_price=50_000_00)
    chain.add("contract.concluded", bidder=ALICE, price=69_999_99, signed_on="2026-06-30", schedule=[])
    [flag] = of(Code.BELOW_VALUATION, lot_flags(chain.story()))
    assert flag.figures == {"price": 69_999_99, "valuation": 100_000_00, "percent": 69}
    assert indexes(flag) == [chain.index("lot.published"), chain.index("award.made"), chain.index("contract.concluded")]


def test_exactly_seventy_percent_of_the_valuation_or_no_valuation_is_not_flagged() -> None:
    at_threshold = 100_000_00 * BELOW_VALUATION_PERCENT // 100
    assert (
        of(Code.BELOW_VALUATION, lot_flags(auction(7, [ALICE], ALICE, at_threshold, valuation=100_000_00).story()))
        == []
    )
    assert of(Code.BELOW_VALUATION, lot_flags(auction(8, [ALICE], ALICE, 1_00).story())) == []


def test_a_lease_compares_rent_per_period_and_the_last_terms_hold_the_valuation() -> None:
    lease: dict[str, Any] = {"deal": "lease", "rent_period": "month", "starting_price": 5_000_00}
    [flag] = of(
        Code.BELOW_VALUATION, lot_flags(auction(7, [ALICE], ALICE, 6_000_00, valuation=9_000_00, **lease).story())
    )
    assert flag.figures == {"price": 6_000_00, "valuation": 9_000_00, "percent": 66}
    # 6 900 a month is 76 % of the first valuation and 69 % of the amended one: the amendment's terms are the last.
    amended = Chain(9, valuation=9_000_00, **lease)
    amended.add("lot.amended", terms={"format": "open_ascending", "valuation": 10_000_00} | lease)
    amended.add("auction.opened", participants=2, closes_at=stamp(CLOSE)).add("award.made", winner=BOB, price=6_900_00)
    [flag] = of(Code.BELOW_VALUATION, lot_flags(amended.story()))
    assert flag.figures == {"price": 6_900_00, "valuation": 10_000_00, "percent": 69}
    assert indexes(flag) == [amended.index("lot.amended"), amended.index("award.made")]


# late withdrawal ------------------------------------------------------------------------------------------------


def sealed(withdrawn_before: timedelta, *, closed: bool = True, extended_by: timedelta | None = None) -> Chain:
    chain = Chain(7, format="sealed_bid")
    chain.add("auction.opened", CLOSE - timedelta(days=1), participants=2, closes_at=stamp(CLOSE))
    chain.add("bid.sealed", CLOSE - timedelta(hours=2), bidder=ALICE)
    chain.add("bid.sealed", CLOSE - timedelta(hours=2), bidder=BOB)
    closes = CLOSE
    if extended_by is not None:
        closes = CLOSE + extended_by
        chain.add("auction.extended", CLOSE - timedelta(hours=1), closes_at=stamp(closes))
    chain.add("bid.withdrawn", CLOSE - withdrawn_before, bidder=BOB)
    if closed:
        chain.add("auction.closed", closes, closes_at=stamp(closes))
    return chain


def test_a_sealed_bid_withdrawn_minutes_before_the_close_is_flagged_with_the_withdrawal_and_the_close() -> None:
    chain = sealed(timedelta(minutes=4, seconds=30))
    [flag] = of(Code.LATE_WITHDRAWAL, lot_flags(chain.story()))
    assert flag.figures == {"minutes": 4, "seconds": 270}
    assert indexes(flag) == [chain.index("bid.withdrawn"), chain.index("auction.closed")]
    assert kinds(flag) == ["bid.withdrawn", "auction.closed"]


def test_a_withdrawal_exactly_fifteen_minutes_before_the_close_or_before_an_extension_is_not_flagged() -> None:
    assert of(Code.LATE_WITHDRAWAL, lot_flags(sealed(timedelta(minutes=LATE_WITHDRAWAL_MINUTES)).story())) == []
    just_under = sealed(timedelta(minutes=LATE_WITHDRAWAL_MINUTES) - timedelta(microseconds=1))
    assert len(of(Code.LATE_WITHDRAWAL, lot_flags(just_under.story()))) == 1
    # The close as finally set is what counts: an extension moved it an hour later.
    assert (
        of(Code.LATE_WITHDRAWAL, lot_flags(sealed(timedelta(minutes=5), extended_by=timedelta(hours=1)).story())) == []
    )
    # Not closed yet: the close may still move, so nothing is judged.
    assert of(Code.LATE_WITHDRAWAL, lot_flags(sealed(timedelta(minutes=5), closed=False).story())) == []


# winner walked away ---------------------------------------------------------------------------------------------


def test_a_winner_walking_away_to_hand_the_lot_to_a_cheaper_runner_up_is_flagged() -> None:
    chain = auction(7, [ALICE, BOB], ALICE, 150_000_00)
    chain.add("award.declined", bidder=ALICE, deposit="forfeited")
    chain.add("deposit.forfeited", bidder=ALICE, amount=10_000_00, reason="declined")
    chain.add("award.passed", to=BOB, price=105_000_00, sign_deadline=stamp(CLOSE), deal="sale")
    [flag] = of(Code.WINNER_WALKED_AWAY, lot_flags(chain.story()))
    assert flag.figures == {"price": 150_000_00, "passed_price": 105_000_00, "percent": 70}
    assert indexes(flag) == [chain.index("award.made"), chain.index("award.declined"), chain.index("award.passed")]


def test_a_walkaway_without_a_pass_or_to_an_equal_price_is_not_flagged() -> None:
    lapsed = auction(7, [ALICE], ALICE, 150_000_00).add("award.expired", bidder=ALICE, deposit="forfeited")
    assert of(Code.WINNER_WALKED_AWAY, lot_flags(lapsed.add("award.lapsed").story())) == []
    equal = auction(8, [ALICE, BOB], ALICE, 150_000_00).add("award.expired", bidder=ALICE, deposit="forfeited")
    equal.add("award.passed", to=BOB, price=150_000_00, sign_deadline=stamp(CLOSE), deal="sale")
    assert of(Code.WINNER_WALKED_AWAY, lot_flags(equal.story())) == []


# repeated winner ------------------------------------------------------------------------------------------------


def linked(*chains: Chain) -> dict[tuple[int, str], str]:
    """One tag per pseudonym across lots (as the inspectors' key would give when the pseudonyms are one person)."""
    return {(chain.lot, bidder): f"link-{bidder}" for chain in chains for bidder in chain.story().applicants}


def test_three_wins_of_one_bidder_in_a_year_in_one_municipality_are_flagged_with_the_awards() -> None:
    chains = [auction(10 + n, [ALICE, BOB], ALICE, 1_00, awarded_at=CLOSE + timedelta(days=182 * n)) for n in range(3)]
    [flag] = of(Code.REPEATED_WINNER, cross_lot_flags([chain.story() for chain in chains], linked(*chains)))
    assert (flag.municipality, flag.lots) == (3, (10, 11, 12))
    assert flag.figures == {"wins": REPEATED_WINS, "days": 364}
    assert indexes(flag) == [chain.index("award.made") for chain in chains]
    assert flag.inspector_links == (f"link-{ALICE}",)
    assert flag.public().inspector_links == ()
    assert flag.public().evidence == flag.evidence


def test_wins_exactly_a_year_apart_count_and_a_day_more_or_another_municipality_does_not() -> None:
    year = timedelta(days=365)
    at_edge = [auction(20 + n, [ALICE], ALICE, 1_00, awarded_at=CLOSE + year * n / 2) for n in range(3)]
    assert len(of(Code.REPEATED_WINNER, cross_lot_flags([c.story() for c in at_edge], linked(*at_edge)))) == 1
    beyond = [
        auction(30 + n, [ALICE], ALICE, 1_00, awarded_at=CLOSE + (year + timedelta(seconds=2)) * n / 2)
        for n in range(3)
    ]
    assert of(Code.REPEATED_WINNER, cross_lot_flags([c.story() for c in beyond], linked(*beyond))) == []
    spread = [auction(40 + n, [ALICE], ALICE, 1_00, municipality=3 + (n == 2)) for n in range(3)]
    assert of(Code.REPEATED_WINNER, cross_lot_flags([c.story() for c in spread], linked(*spread))) == []
    # Without the inspectors' links, pseudonyms are per lot and nothing is linked.
    assert cross_lot_flags([c.story() for c in at_edge], {}) == []


# repeat price cut -----------------------------------------------------------------------------------------------


def first_round(lot: int = 50, price: int = 100_000_00) -> Chain:
    chain = Chain(lot, starting_price=price)
    chain.add("application.submitted", bidder=ALICE).add("application.submitted", bidder=BOB)
    return chain.add("auction.opened", participants=2, closes_at=stamp(CLOSE)).add("award.failed", reason="no bids")


def test_a_repeat_cheaper_than_the_first_round_won_by_a_first_round_applicant_is_flagged() -> None:
    first = first_round()
    second = Chain(51, repeat_of=50, starting_price=90_000_00)
    second.add("award.failed", reason="no bids")
    third = auction(52, [CAROL], CAROL, 80_000_00, repeat_of=51, starting_price=80_000_00)
    links = linked(first, second, third) | {(52, CAROL): f"link-{BOB}"}
    [flag] = of(Code.REPEAT_PRICE_CUT, cross_lot_flags([first.story(), second.story(), third.story()], links))
    assert flag.lots == (50, 52)  # the earlier attempt with the biggest cut, followed through the chain of repeats
    assert flag.figures == {"earlier_price": 100_000_00, "repeat_price": 80_000_00, "percent": 80, "price": 80_000_00}
    assert indexes(flag) == [
        first.index("lot.published"),
        first.index("application.submitted", 1),
        third.index("lot.published"),
        third.index("award.made"),
    ]
    assert flag.inspector_links == (f"link-{BOB}",)


def test_a_repeat_at_the_same_price_or_won_by_a_newcomer_is_not_flagged() -> None:
    first = first_round()
    same = auction(51, [ALICE], ALICE, 100_000_00, repeat_of=50, starting_price=100_000_00)
    assert of(Code.REPEAT_PRICE_CUT, cross_lot_flags([first.story(), same.story()], linked(first, same))) == []
    newcomer = auction(52, [CAROL], CAROL, 60_000_00, repeat_of=50, starting_price=60_000_00)
    assert of(Code.REPEAT_PRICE_CUT, cross_lot_flags([first.story(), newcomer.story()], linked(first, newcomer))) == []


# bid rotation ---------------------------------------------------------------------------------------------------


def test_a_bidder_losing_three_lots_to_the_same_winner_is_flagged_with_its_bids_and_the_awards() -> None:
    chains = [auction(60 + n, [ALICE, BOB], ALICE, 1_00) for n in range(ROTATION_LOSSES)]
    flags = of(Code.BID_ROTATION, cross_lot_flags([chain.story() for chain in chains], linked(*chains)))
    [flag] = flags
    assert flag.lots == (60, 61, 62)
    assert flag.figures == {"losses": 3}
    assert flag.inspector_links == (f"link-{BOB}", f"link-{ALICE}")
    assert indexes(flag) == sorted(
        index for chain in chains for index in (chain.index("bid.placed", 1), chain.index("award.made"))
    )
    assert {found.kind for found in flag.evidence} == {"bid.placed", "award.made"}


def test_two_losses_or_a_win_against_the_winner_is_no_rotation() -> None:
    two = [auction(70 + n, [ALICE, BOB], ALICE, 1_00) for n in range(ROTATION_LOSSES - 1)]
    assert of(Code.BID_ROTATION, cross_lot_flags([c.story() for c in two], linked(*two))) == []
    won_once = [*two, auction(72, [ALICE, BOB], ALICE, 1_00), auction(73, [ALICE, BOB], BOB, 1_00)]
    assert of(Code.BID_ROTATION, cross_lot_flags([c.story() for c in won_once], linked(*won_once))) == []
