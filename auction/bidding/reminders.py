"""Reminders of deadlines, queued by a background job: a winner's signing deadline a day before it ends, and the
officers' review of applications a day before bidding opens (an application still unreviewed then is rejected by
rule). Each reminder is queued once per deadline (its dedupe key names it), however often the job looks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Final

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.bidding.models import Application, ApplicationStatus, Award, AwardStatus
from auction.bidding.notices import tell
from auction.clock import Clock, as_utc
from auction.db.engine import transaction
from auction.ledger.verifier.canonical import format_time
from auction.lots.models import Lot, LotState
from auction.notifications import lot_params, notify_officers

log = logging.getLogger(__name__)

REMIND_BEFORE: Final = timedelta(hours=24)


async def queue_reminders(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
    """Queue every reminder whose moment has come (within a day of its deadline) and was not queued before."""
    now = clock.now()
    soon = now + REMIND_BEFORE
    async with transaction(sessions) as session:
        awaiting = await session.execute(
            select(Award, Lot)
            .join(Lot, Lot.id == Award.lot_id)
            .where(
                Award.status == AwardStatus.AWAITING_SIGNATURE, Award.sign_deadline > now, Award.sign_deadline <= soon
            )
        )
        for award, lot in list(awaiting):
            deadline = format_time(as_utc(award.sign_deadline))
            event = f"{award.id}:{deadline}"
            await tell(session, lot, award.bidder_id, "deadline.signing", event, sign_deadline_at=deadline)
        unreviewed = exists().where(Application.lot_id == Lot.id, Application.status == ApplicationStatus.SUBMITTED)
        opening = await session.scalars(
            select(Lot).where(
                Lot.state == LotState.PUBLISHED, Lot.bidding_opens_at > now, Lot.bidding_opens_at <= soon, unreviewed
            )
        )
        for lot in list(opening):
            due = format_time(as_utc(lot.bidding_opens_at))
            await notify_officers(
                session,
                municipality_id=lot.municipality_id,
                kind="officer.deadline",
                params=lot_params(lot, due_at=due),
                dedupe_key=f"officer.deadline:review:{lot.id}:{due}",
            )


async def remind_regularly(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, stop: asyncio.Event, every_seconds: float = 60.0
) -> None:
    """``queue_reminders`` every minute until ``stop``; a failure is logged and tried again."""
    while not stop.is_set():
        try:
            await queue_reminders(sessions, clock)
        except Exception:
            log.exception("queueing reminders failed; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)
