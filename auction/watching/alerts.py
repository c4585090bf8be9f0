"""The alerts of watching, recorded in the transaction of the change they report: the ONE place to deliver them.

`alert_saved_searches` runs when a lot is published (auction.lots.service.LotService.publish), `alert_watchers`
when a watched lot changes (LotService.move: bidding opens, closes, awarded, failed, cancelled; and
auction.bidding.auction.AuctionService._admit_open: a soft-close extension). Each writes one row per (search, lot)
or per watcher and change, unique, and returns only the alerts it recorded now: a retry, a republication or a
second run of the scheduler records nothing again and returns nothing.

Each alert recorded is queued for delivery at once, in the same transaction (`_deliver`: auction.notifications.notify,
which keeps each account's choices and language). A watcher who takes part in the auction is already told of the
opening, an extension, the close and their own award by the auction's own notices (auction.bidding.notices); the
caller names those accounts in ``told`` so that one event makes one mail: the participant's, which says more.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.clock import as_utc
from auction.ledger.verifier.canonical import format_time
from auction.municipalities.models import Municipality
from auction.notifications import lot_params, notify
from auction.refusals import Param
from auction.watching.models import SavedSearch, SearchMatch, Watch, WatchEvent
from auction.watching.rules import (
    LotFacts,
    SearchFilters,
    WatchedChange,
    match_dedupe_key,
    matches,
    watch_dedupe_key,
)

SEARCH_MATCH = "search.match"


@dataclass(frozen=True, slots=True)
class Alert:
    """What should be sent to one account: a kind (``search.match``, ``watch.<change>``), its values, a dedupe key."""

    account_id: int
    kind: str
    params: dict[str, Param]
    dedupe_key: str


async def alert_saved_searches(session: AsyncSession, lot: Any, *, now: datetime) -> list[Alert]:
    """Record a match for every active account's saved search the newly published ``lot`` matches.

    ``lot`` is an auction.lots.models.Lot (duck-typed: this slice sits below lots).
    """
    if lot.published_at is None:
        return []  # only public lots are ever told of
    facts = LotFacts.of(lot, await areas_of(session, lot.municipality_id))
    rows = await session.execute(
        select(SavedSearch.id, SavedSearch.account_id, SavedSearch.name, SavedSearch.filters)
        .join(User, User.id == SavedSearch.account_id)
        .where(User.is_active.is_(True))
        .order_by(SavedSearch.id)
    )
    matched = [
        (sid, account, name) for sid, account, name, data in rows if matches(SearchFilters.from_json(data), facts)
    ]
    if not matched:
        return []
    values = [
        {"saved_search_id": sid, "account_id": account, "lot_id": facts.id, "created_at": now}
        for sid, account, _ in matched
    ]
    recorded = set(await _insert_new(session, SearchMatch, values, ["saved_search_id", "lot_id"], "saved_search_id"))
    alerts = [
        Alert(
            account_id=account,
            kind=SEARCH_MATCH,
            params=lot_params(
                lot,
                search_id=sid,
                search_name=name,
                starting_price_tyiyn=facts.starting_price,
                opens_at=format_time(as_utc(lot.bidding_opens_at)),
            ),
            dedupe_key=match_dedupe_key(sid, facts.id),
        )
        for sid, account, name in matched
        if sid in recorded
    ]
    await _deliver(session, alerts)
    return alerts


async def alert_watchers(
    session: AsyncSession,
    lot: Any,
    change: WatchedChange,
    *,
    now: datetime,
    closes_at: datetime | None = None,
    told: Collection[int] = (),
) -> list[Alert]:
    """Record ``change`` of ``lot`` for each active account watching it (``closes_at``: an extension's new close).

    Every watcher's alert is recorded and returned; those of the accounts in ``told`` (told of this change by another
    notice in the same transaction) are not sent.
    """
    watchers = list(
        await session.scalars(
            select(Watch.account_id)
            .join(User, User.id == Watch.account_id)
            .where(Watch.lot_id == lot.id, User.is_active.is_(True))
            .order_by(Watch.account_id)
        )
    )
    if not watchers:
        return []
    params: dict[str, Param] = lot_params(lot, state=str(lot.state))
    moment = None
    if closes_at is not None:
        moment = format_time(closes_at)
        params["closes_at"] = moment
    keys = {account: watch_dedupe_key(change, lot.id, account, moment) for account in watchers}
    values = [
        {
            "dedupe_key": keys[account],
            "account_id": account,
            "lot_id": lot.id,
            "event": change.value,
            "params": params,
            "created_at": now,
        }
        for account in watchers
    ]
    recorded = set(await _insert_new(session, WatchEvent, values, ["dedupe_key"], "account_id"))
    alerts = [
        Alert(account_id=account, kind=f"watch.{change.value}", params=dict(params), dedupe_key=keys[account])
        for account in watchers
        if account in recorded
    ]
    await _deliver(session, [alert for alert in alerts if alert.account_id not in told])
    return alerts


async def _deliver(session: AsyncSession, alerts: Sequence[Alert]) -> None:
    """THE delivery point: each alert queued as a notice in this same transaction (sent once it commits)."""
    for a in alerts:
        await notify(session, account_id=a.account_id, kind=a.kind, params=a.params, dedupe_key=a.dedupe_key)


async def areas_of(session: AsyncSession, municipality_id: int) -> frozenset[int]:
    """The municipality and every administrative unit above it (its district, region)."""
    rows = await session.execute(select(Municipality.id, Municipality.parent_id))
    parents: dict[int, int | None] = {}
    for unit, parent in rows:
        parents[unit] = parent
    found: set[int] = set()
    current: int | None = municipality_id
    while current is not None and current not in found:
        found.add(current)
        current = parents.get(current)
    return frozenset(found)


async def _insert_new(
    session: AsyncSession, model: Any, values: list[dict[str, Any]], unique: list[str], returned: str
) -> list[int]:
    """Insert the rows whose unique key is not there yet; the ``returned`` column of those inserted now."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(model).values(values).on_conflict_do_nothing(index_elements=unique).returning(getattr(model, returned))
    )
    return list((await session.scalars(statement)).all())
