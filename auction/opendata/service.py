"""Open data read from the ledger: the change feed, a lot's record, a day's releases (docs/ocds.md).

Only integrated entries that a signed checkpoint covers become releases, so every release can name its checkpoint,
and the feed's cursor (a ledger size) never skips one: the log is append-only and its indexes have no gaps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.ledger.models import PLATFORM_CHAIN, LedgerEntry, PendingEntry, SignedCheckpoint
from auction.ledger.verifier.entry import parse_leaf
from auction.municipalities.models import Municipality as MunicipalityRow
from auction.opendata.release import LedgerFact, Municipality, Publication, lot_releases

PAGE_ENTRIES = 500  # ledger entries scanned per feed page at most; a page holds at most as many releases


def day_span(day: date) -> tuple[datetime, datetime]:
    """The UTC day as the half-open interval of admission times [start, end)."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def day_lots_query(day: date, covered: int) -> Select[int]:
    """The lots with an entry admitted on a UTC day and covered by a signed checkpoint: a range scan of
    ix_ledger_entries_admitted_at (a day is a thin slice of a long ledger)."""
    start, end = day_span(day)
    return (
        select(LedgerEntry.chain_key)
        .where(
            LedgerEntry.admitted_at >= start,
            LedgerEntry.admitted_at < end,
            LedgerEntry.idx < covered,
            LedgerEntry.chain_key != PLATFORM_CHAIN,
        )
        .distinct()
    )


def fact(entry: LedgerEntry, checkpoint_size: int | None) -> LedgerFact:
    """A lot's integrated entry as the mappings read it; `checkpoint_size` is the first signed checkpoint covering
    it (None: not known or not asked for)."""
    body = parse_leaf(entry.leaf).body
    assert body.lot is not None
    return LedgerFact(
        index=entry.idx,
        body_hash=entry.body_hash,
        checkpoint_size=checkpoint_size,
        lot=body.lot,
        lot_seq=body.lot_seq,
        kind=body.kind,
        at=body.at,
        payload=body.payload,
    )


@dataclass(frozen=True, slots=True)
class DayFile:
    """A day's releases; `final` when no release can join them any more (see OpenDataService.day_file)."""

    releases: list[dict[str, Any]]
    final: bool


@dataclass(frozen=True, slots=True)
class FeedPage:
    """Releases of the entries with index in [since, next); `next` is the cursor to ask with next time."""

    releases: list[dict[str, Any]]
    since: int
    next: int
    covered: int  # the newest signed checkpoint's size: the feed reaches no further yet


class OpenDataService:
    def __init__(
        self,
        session: AsyncSession,
        ocid_prefix: str,
        public_url: str,
        max_merge_delay: timedelta = timedelta(seconds=60),
    ) -> None:
        self.session = session
        self.ocid_prefix = ocid_prefix
        self.public_url = public_url.rstrip("/")
        self.max_merge_delay = max_merge_delay

    async def publication(self) -> Publication:
        rows = await self.session.execute(select(MunicipalityRow.id, MunicipalityRow.code, MunicipalityRow.name_en))
        names = {row_id: Municipality(code, name) for row_id, code, name in rows}
        return Publication(self.ocid_prefix, self.public_url, names)

    async def covered_size(self) -> int:
        """The size of the newest signed checkpoint: entries below it are covered by a signature."""
        return int(await self.session.scalar(select(func.max(SignedCheckpoint.size))) or 0)

    async def _covering(self, indexes: list[int]) -> dict[int, int]:
        """For each index, the size of the first signed checkpoint that covers it (absent: none yet)."""
        if not indexes:
            return {}
        low, high = min(indexes), max(indexes)
        last = await self.session.scalar(select(func.min(SignedCheckpoint.size)).where(SignedCheckpoint.size > high))
        query = (
            select(SignedCheckpoint.size).where(SignedCheckpoint.size > low).distinct().order_by(SignedCheckpoint.size)
        )
        if last is not None:
            query = query.where(SignedCheckpoint.size <= last)
        sizes = list(await self.session.scalars(query))
        found: dict[int, int] = {}
        position = 0
        for index in sorted(indexes):
            while position < len(sizes) and sizes[position] <= index:
                position += 1
            if position < len(sizes):
                found[index] = sizes[position]
        return found

    async def _facts(self, entries: list[LedgerEntry]) -> list[LedgerFact]:
        """The entries as the mappings read them, each with the first signed checkpoint that covers it."""
        covering = await self._covering([entry.idx for entry in entries])
        return [fact(entry, covering.get(entry.idx)) for entry in entries]

    async def _chains(self, lots: set[int], below: int) -> dict[int, list[dict[str, Any]]]:
        """Every release of these lots from their entries with index below `below`."""
        if not lots:
            return {}
        rows = list(
            await self.session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.chain_key.in_(sorted(lots)), LedgerEntry.idx < below)
                .order_by(LedgerEntry.chain_key, LedgerEntry.lot_seq)
            )
        )
        publication = await self.publication()
        by_lot: dict[int, list[LedgerEntry]] = defaultdict(list)
        for row in rows:
            by_lot[row.chain_key].append(row)
        return {lot: lot_releases(await self._facts(chain), publication) for lot, chain in by_lot.items()}

    async def feed(self, since: int, limit: int = PAGE_ENTRIES) -> FeedPage:
        """The releases of ledger entries from index `since` on, as far as a signed checkpoint covers them."""
        covered = await self.covered_size()
        end = min(max(since, 0) + limit, covered)
        if end <= since:
            return FeedPage([], since, since, covered)
        lots = set(
            await self.session.scalars(
                select(LedgerEntry.chain_key)
                .where(LedgerEntry.idx >= since, LedgerEntry.idx < end, LedgerEntry.chain_key != PLATFORM_CHAIN)
                .distinct()
            )
        )
        chains = await self._chains(lots, end)
        releases = [
            release for chain in chains.values() for release in chain if since <= release["achykLedger"]["index"] < end
        ]
        releases.sort(key=lambda release: int(release["achykLedger"]["index"]))
        return FeedPage(releases, since, end, covered)

    async def lot_releases(self, lot_id: int) -> list[dict[str, Any]]:
        """Every release of one lot, as far as a signed checkpoint covers its chain."""
        return (await self._chains({lot_id}, await self.covered_size())).get(lot_id, [])

    async def day_releases(self, day: date, covered: int) -> list[dict[str, Any]]:
        """The releases dated on one UTC day (the entries admitted that day), in ledger order, as far as the
        signed size `covered`."""
        lots = set(await self.session.scalars(day_lots_query(day, covered)))
        prefix = day.isoformat()
        releases = [
            release
            for chain in (await self._chains(lots, covered)).values()
            for release in chain
            if str(release["date"]).startswith(prefix)
        ]
        releases.sort(key=lambda release: int(release["achykLedger"]["index"]))
        return releases

    async def day_file(self, day: date, now: datetime) -> DayFile:
        """A day's releases, and whether the file is final: the day is over by more than the maximum merge delay
        (an admission that read its time before midnight has committed by then) and no body admitted that day waits
        for integration, so a signed checkpoint covers every entry of the day. A final file never gains a release;
        its releases do not change (each is read from its lot's chain up to its entry, and its municipality's name)."""
        end = day_span(day)[1]
        if now < end + self.max_merge_delay:
            return DayFile(await self.day_releases(day, await self.covered_size()), final=False)
        waiting = await self.session.scalar(select(PendingEntry.id).where(PendingEntry.admitted_at < end).limit(1))
        # Read after `waiting`: an entry leaves the queue in the transaction that signs a checkpoint covering it
        # (Integrator.integrate_batch), so with none of the day's waiting this size covers every entry of the day.
        covered = await self.covered_size()
        return DayFile(await self.day_releases(day, covered), final=waiting is None)
