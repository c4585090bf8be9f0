"""The statistics' figures from lot stories: pure, no I/O.

Every amount is integer tyiyn; every ratio is a Decimal rounded half up (a percentage to 0.1, an average to 0.01),
so a page, a CSV file and the API print the same digits on every machine. Years and days are counted on Bishkek
calendar dates, the dates the lots' notices and contracts carry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from auction.ledger.verifier.canonical import parse_time
from auction.ledger.verifier.settlement import bishkek_date
from auction.statistics.stories import LotStory, Outcome

PERCENT = Decimal("0.1")
AVERAGE = Decimal("0.01")
DAYS = Decimal("0.1")


def percent(part: int, whole: int) -> Decimal | None:
    """`part` as a percentage of `whole`, to 0.1; None when there is no whole to compare with."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


def average(total: int, count: int, step: Decimal = AVERAGE) -> Decimal | None:
    if count <= 0:
        return None
    return (Decimal(total) / Decimal(count)).quantize(step, rounding=ROUND_HALF_UP)


def published_on(story: LotStory) -> date:
    """The Bishkek date of the lot's publication: its year is the year the lot is counted in."""
    return bishkek_date(parse_time(story.published.at))


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures of a set of lots: one publication year's, or all years' (`year` None)."""

    year: int | None
    published: int = 0
    sold: int = 0  # sales with a concluded contract
    leased: int = 0  # leases with a concluded contract
    failed: int = 0
    cancelled: int = 0
    still_open: int = 0  # not decided yet, or awarded and waiting for the contract
    revenue: int = 0  # the sales' contract prices
    sales_starting: int = 0  # the same sales' starting prices
    valued_sales: int = 0  # the sales whose terms record a valuation
    valued_revenue: int = 0  # their contract prices
    valuation: int = 0  # their valuations
    opened: int = 0  # lots whose bidding opened and whose count of participants is public (disclosure.py)
    participants: int = 0  # bidders admitted to them, all together
    days_to_contract: tuple[int, ...] = ()  # for each concluded contract, from publication to contract (days)

    @property
    def contracted(self) -> int:
        return self.sold + self.leased

    @property
    def revenue_to_starting(self) -> Decimal | None:
        """What the sales fetched as a percentage of their starting prices."""
        return percent(self.revenue, self.sales_starting)

    @property
    def revenue_to_valuation(self) -> Decimal | None:
        """What the valued sales fetched as a percentage of their valuations."""
        return percent(self.valued_revenue, self.valuation)

    @property
    def average_participants(self) -> Decimal | None:
        """Admitted bidders per lot whose bidding opened and whose count is public."""
        return average(self.participants, self.opened)

    @property
    def mean_days_to_contract(self) -> Decimal | None:
        return average(sum(self.days_to_contract), len(self.days_to_contract), DAYS)

    @property
    def median_days_to_contract(self) -> Decimal | None:
        if not self.days_to_contract:
            return None
        return Decimal(str(median(self.days_to_contract))).quantize(DAYS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class LeaseYear:
    """Lease income of one calendar year: rent received (payments by the day paid) and due (schedule by due day)."""

    year: int
    received: int = 0
    due: int = 0  # every line due in the year, also those still ahead
    due_so_far: int = 0  # the lines due on or before today


@dataclass(frozen=True, slots=True)
class Statistics:
    total: Figures
    years: list[Figures] = field(default_factory=list)  # by publication year, oldest first
    lease_income: list[LeaseYear] = field(default_factory=list)  # by calendar year, oldest first


def figures(stories: Iterable[LotStory], year: int | None = None) -> Figures:
    """The figures of these lots (all of them: the caller chooses the year's lots)."""
    counts: defaultdict[str, int] = defaultdict(int)
    days: list[int] = []
    for story in stories:
        counts["published"] += 1
        outcome = story.outcome
        if outcome is Outcome.CONTRACTED:
            counts["leased" if story.deal == "lease" else "sold"] += 1
            signed = story.signed_on  # `contract.concluded` always records it
            assert signed is not None
            days.append((signed - published_on(story)).days)
            if story.deal != "lease" and story.contract_price is not None:
                counts["revenue"] += story.contract_price
                counts["sales_starting"] += story.starting_price
                if story.valuation is not None:
                    counts["valued_sales"] += 1
                    counts["valued_revenue"] += story.contract_price
                    counts["valuation"] += story.valuation
        elif outcome is Outcome.FAILED:
            counts["failed"] += 1
        elif outcome is Outcome.CANCELLED:
            counts["cancelled"] += 1
        else:
            counts["still_open"] += 1
        # A running auction's count (a sealed one's until its bids are opened) stays as secret as on its page.
        if story.participants is not None and story.competition_public:
            counts["opened"] += 1
            counts["participants"] += story.participants
    return Figures(year=year, days_to_contract=tuple(sorted(days)), **counts)


def lease_income(stories: Iterable[LotStory], today: date) -> list[LeaseYear]:
    """Rent received and due per calendar year, over the leases with a concluded contract."""
    received: defaultdict[int, int] = defaultdict(int)
    due: defaultdict[int, int] = defaultdict(int)
    due_so_far: defaultdict[int, int] = defaultdict(int)
    for story in stories:
        if story.deal != "lease" or story.contract is None or story.cancelled is not None:
            continue
        for payment in story.payments:
            received[payment.paid_on.year] += payment.amount
        for line in story.schedule:
            due[line.due_on.year] += line.amount
            if line.due_on <= today:
                due_so_far[line.due_on.year] += line.amount
    years = sorted(set(received) | set(due))
    return [LeaseYear(year, received[year], due[year], due_so_far[year]) for year in years]


def statistics(stories: Sequence[LotStory], today: date) -> Statistics:
    """All years' figures, each publication year's, and the lease income by year."""
    by_year: defaultdict[int, list[LotStory]] = defaultdict(list)
    for story in stories:
        by_year[published_on(story).year].append(story)
    return Statistics(
        total=figures(stories),
        years=[figures(by_year[year], year) for year in sorted(by_year)],
        lease_income=lease_income(stories, today),
    )


def by_municipality(stories: Iterable[LotStory]) -> dict[int, Figures]:
    """All years' figures of each municipality that published a lot."""
    grouped: defaultdict[int, list[LotStory]] = defaultdict(list)
    for story in stories:
        grouped[story.municipality].append(story)
    return {municipality: figures(lots) for municipality, lots in grouped.items()}
