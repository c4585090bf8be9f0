"""Red flags: patterns in the lot stories that are worth an inspector's look, each with the ledger entries behind it.

Pure, no I/O. docs/red-flags.md defines each flag, its threshold and its limits: a flag is a pattern, not proof.
Per-lot flags read one lot's story and are public. Cross-lot flags need to know that two lots' pseudonyms are one
bidder: they read `links`, a tag per (lot, pseudonym) computed under the inspectors' key elsewhere, and name a tag
only in `inspector_links`, which `public()` drops.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum

from auction.ledger.verifier.canonical import parse_time
from auction.statistics.stories import Evidence, LotStory, Offer

BELOW_VALUATION_PERCENT = 70  # a price under this share of the valuation is flagged
LATE_WITHDRAWAL_MINUTES = 15  # a sealed bid withdrawn less than this before the close is flagged
REPEATED_WINS = 3  # this many wins of one bidder in one municipality ...
REPEATED_WINS_DAYS = 365  # ... whose awards fall within this many days
ROTATION_LOSSES = 3  # lots lost to the same winner, and never a win against them


class Code(StrEnum):
    SINGLE_PARTICIPANT = "single_participant"
    BELOW_VALUATION = "below_valuation"
    LATE_WITHDRAWAL = "late_withdrawal"
    WINNER_WALKED_AWAY = "winner_walked_away"
    REPEATED_WINNER = "repeated_winner"
    REPEAT_PRICE_CUT = "repeat_price_cut"
    BID_ROTATION = "bid_rotation"


LOT_CODES = (Code.SINGLE_PARTICIPANT, Code.BELOW_VALUATION, Code.LATE_WITHDRAWAL, Code.WINNER_WALKED_AWAY)
CROSS_LOT_CODES = (Code.REPEATED_WINNER, Code.REPEAT_PRICE_CUT, Code.BID_ROTATION)


@dataclass(frozen=True, slots=True)
class RedFlag:
    """A pattern found in the ledger. `figures` are what its text says (tyiyn, minutes, percent, counts, days)."""

    code: Code
    municipality: int
    lots: tuple[int, ...]
    figures: Mapping[str, int] = field(hash=False)
    evidence: tuple[Evidence, ...]  # by ledger index
    # The link tags the flag rests on (cross-lot flags only): for inspectors, never shown to the public.
    inspector_links: tuple[str, ...] = ()

    def public(self) -> RedFlag:
        return replace(self, inspector_links=())


def _flag(
    code: Code,
    municipality: int,
    lots: Iterable[int],
    figures: Mapping[str, int],
    evidence: Iterable[Evidence | None],
    links: tuple[str, ...] = (),
) -> RedFlag:
    unique = {found.index: found for found in evidence if found is not None}
    return RedFlag(
        code,
        municipality,
        tuple(dict.fromkeys(lots)),
        dict(figures),
        tuple(unique[index] for index in sorted(unique)),
        links,
    )


def percent(part: int, whole: int) -> int:
    """`part` as a whole percentage of `whole`, rounded down (the flag says "under N %", never more than it is)."""
    return part * 100 // whole


# Per-lot rules -------------------------------------------------------------------------------------------------


def lot_flags(story: LotStory) -> list[RedFlag]:
    """Every per-lot flag of one lot's story."""
    flags: list[RedFlag] = []
    for rule in (single_participant, below_valuation, late_withdrawals, winner_walked_away):
        flags.extend(rule(story))
    return flags


def award_made(story: LotStory) -> Offer | None:
    """The `award.made` offer: the auction's winner."""
    return story.offers[0] if story.offers else None


def single_participant(story: LotStory) -> list[RedFlag]:
    """Awarded with one admitted participant: nobody bid against the winner."""
    award = award_made(story)
    if award is None or story.opened is None or story.participants != 1:
        return []
    return [
        _flag(
            Code.SINGLE_PARTICIPANT,
            story.municipality,
            [story.lot],
            {"price": award.price, "starting_price": story.starting_price},
            [story.opened, award.evidence, story.contract],
        )
    ]


def _price_evidence(story: LotStory) -> list[Evidence]:
    """The entries that set the price the lot went for: the standing offer, and the contract when concluded."""
    found: list[Evidence] = []
    if story.offers and story.failed is None:
        found.append(story.offers[-1].evidence)
    if story.contract is not None:
        found.append(story.contract)
    return found


def below_valuation(story: LotStory) -> list[RedFlag]:
    """Sold or leased under BELOW_VALUATION_PERCENT % of the appraised value (a lease: rent per period against the
    appraised rent per period, both as the terms state them)."""
    price, valuation = story.price, story.valuation
    if price is None or valuation is None or valuation <= 0:
        return []
    if price * 100 >= valuation * BELOW_VALUATION_PERCENT:
        return []
    return [
        _flag(
            Code.BELOW_VALUATION,
            story.municipality,
            [story.lot],
            {"price": price, "valuation": valuation, "percent": percent(price, valuation)},
            [story.terms_entry, *_price_evidence(story)],
        )
    ]


def late_withdrawals(story: LotStory) -> list[RedFlag]:
    """Sealed bids withdrawn less than LATE_WITHDRAWAL_MINUTES before the close as finally set. Only a closed
    auction is judged: until then the close may still move. A withdrawn sealed bid's amount is never opened, so the
    flag cannot say whether it was the top bid."""
    if story.closed is None or story.closes_at is None:
        return []
    closes = parse_time(story.closes_at)
    flags = []
    for _bidder, withdrawn in story.withdrawals:
        before = closes - parse_time(withdrawn.at)
        if timedelta(0) <= before < timedelta(minutes=LATE_WITHDRAWAL_MINUTES):
            flags.append(
                _flag(
                    Code.LATE_WITHDRAWAL,
                    story.municipality,
                    [story.lot],
                    {"minutes": int(before.total_seconds()) // 60, "seconds": int(before.total_seconds())},
                    [withdrawn, story.closed],
                )
            )
    return flags


def winner_walked_away(story: LotStory) -> list[RedFlag]:
    """The winner declined or let the award expire and the lot passed to the runner-up at a lower price: the open
    auctions' way to hand a lot to the second bidder after bidding others off."""
    award = award_made(story)
    if award is None:
        return []
    walked = next((gone for gone in story.walkaways if gone.bidder == award.bidder), None)
    passed = next((offer for offer in story.offers[1:]), None)
    if walked is None or passed is None or passed.price >= award.price:
        return []
    return [
        _flag(
            Code.WINNER_WALKED_AWAY,
            story.municipality,
            [story.lot],
            {"price": award.price, "passed_price": passed.price, "percent": percent(passed.price, award.price)},
            [award.evidence, walked.evidence, passed.evidence],
        )
    ]


# Cross-lot rules -----------------------------------------------------------------------------------------------

Links = Mapping[tuple[int, str], str]


def cross_lot_flags(stories: Iterable[LotStory], links: Links) -> list[RedFlag]:
    """Every cross-lot flag. `links` tags (lot, pseudonym) so that one bidder has one tag across lots; a pseudonym
    without a tag is left out, never guessed."""
    stories = list(stories)
    return [*repeated_winner(stories, links), *repeat_price_cut(stories, links), *bid_rotation(stories, links)]


def repeated_winner(stories: Iterable[LotStory], links: Links) -> list[RedFlag]:
    """The same bidder won REPEATED_WINS lots or more in one municipality with awards within REPEATED_WINS_DAYS.
    One flag per (municipality, bidder): the window with the most wins (the earliest of equals)."""
    wins: defaultdict[tuple[int, str], list[Offer]] = defaultdict(list)
    for story in stories:
        award = award_made(story)
        link = links.get((story.lot, award.bidder)) if award is not None else None
        if award is None or link is None:
            continue
        wins[story.municipality, link].append(award)
    window = timedelta(days=REPEATED_WINS_DAYS)
    flags = []
    for (municipality, link), awards in sorted(wins.items()):
        awards.sort(key=lambda offer: (parse_time(offer.evidence.at), offer.evidence.index))
        best: list[Offer] = []
        for start, first in enumerate(awards):
            opens = parse_time(first.evidence.at)
            within = [offer for offer in awards[start:] if parse_time(offer.evidence.at) - opens <= window]
            if len(within) > len(best):
                best = within
        if len(best) < REPEATED_WINS:
            continue
        span = parse_time(best[-1].evidence.at) - parse_time(best[0].evidence.at)
        flags.append(
            _flag(
                Code.REPEATED_WINNER,
                municipality,
                sorted(offer.evidence.lot for offer in best),
                {"wins": len(best), "days": span.days},
                [offer.evidence for offer in best],
                (link,),
            )
        )
    return flags


def _earlier_attempts(story: LotStory, by_lot: Mapping[int, LotStory]) -> list[LotStory]:
    """The attempts a repeat relists, nearest first, as far as the stories in scope reach."""
    found: list[LotStory] = []
    seen = {story.lot}
    earlier = story.repeat_of
    while earlier is not None and earlier in by_lot and earlier not in seen:
        seen.add(earlier)
        found.append(by_lot[earlier])
        earlier = by_lot[earlier].repeat_of
    return found


def repeat_price_cut(stories: Iterable[LotStory], links: Links) -> list[RedFlag]:
    """A repeat auction started below an earlier attempt's starting price and was won by a bidder who had applied to
    that earlier attempt: waiting out the first round bought the lot cheaper. One flag per repeat: the earlier
    attempt with the biggest cut (the nearest of equals)."""
    stories = list(stories)
    by_lot = {story.lot: story for story in stories}
    flags = []
    for story in stories:
        winner = story.winner
        link = links.get((story.lot, winner)) if winner is not None else None
        if story.repeat_of is None or winner is None or link is None:
            continue
        best: tuple[LotStory, Evidence] | None = None
        for earlier in _earlier_attempts(story, by_lot):
            if earlier.starting_price <= story.starting_price:
                continue
            applied = next(
                (entry for bidder, entry in earlier.applied.items() if links.get((earlier.lot, bidder)) == link),
                None,
            )
            if applied is not None and (best is None or earlier.starting_price > best[0].starting_price):
                best = (earlier, applied)
        if best is None:
            continue
        won = next((offer for offer in reversed(story.offers) if offer.bidder == winner), None)
        if won is None:  # a contract with a bidder no offer names: no award to point at, so no flag
            continue
        earlier, applied = best
        flags.append(
            _flag(
                Code.REPEAT_PRICE_CUT,
                story.municipality,
                [earlier.lot, story.lot],
                {
                    "earlier_price": earlier.starting_price,
                    "repeat_price": story.starting_price,
                    "percent": percent(story.starting_price, earlier.starting_price),
                    "price": won.price,
                },
                [earlier.terms_entry, applied, story.published, story.terms_entry, won.evidence],
                (link,),
            )
        )
    return flags


def bid_rotation(stories: Iterable[LotStory], links: Links) -> list[RedFlag]:
    """A bidder who bid on ROTATION_LOSSES lots or more of one municipality against the same winner and lost every
    lot the two met on to that winner: the pattern of a cover bidder taking turns. Awarded lots only; a lot the two
    met on that the loser or a third bidder won breaks the pattern."""
    met: defaultdict[tuple[int, str, str], list[tuple[LotStory, Evidence]]] = defaultdict(list)
    broken: set[tuple[int, str, str]] = set()
    for story in stories:
        award = award_made(story)
        if award is None:
            continue
        winner = links.get((story.lot, award.bidder))
        last_bid = {bid.bidder: bid.evidence for bid in story.bids}
        tagged = {
            tag: entry for bidder, entry in last_bid.items() if (tag := links.get((story.lot, bidder))) is not None
        }
        for loser, bid in tagged.items():
            for other in tagged:
                if other == loser:
                    continue
                if other == winner:
                    met[story.municipality, loser, other].append((story, bid))
                else:
                    broken.add((story.municipality, loser, other))
    flags = []
    for key, lots in sorted(met.items(), key=lambda item: item[0]):
        if key in broken or len(lots) < ROTATION_LOSSES:
            continue
        municipality, loser, winner = key
        evidence: list[Evidence] = []
        for story, bid in lots:
            award = award_made(story)
            assert award is not None
            evidence += [bid, award.evidence]
        flags.append(
            _flag(
                Code.BID_ROTATION,
                municipality,
                sorted(story.lot for story, _bid in lots),
                {"losses": len(lots)},
                evidence,
                (loser, winner),
            )
        )
    return flags
