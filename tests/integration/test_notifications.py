"""Notices, delivered for real to a local SMTP server: what each person is told along an auction, in their language;
nothing for a rolled-back transaction; never twice (a retried event, a retried send, two senders at once); each
person's choices kept; and password-reset links that work once, until they expire."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User, WebSession
from auction.accounts.password_reset import PasswordResetService
from auction.accounts.passwords import verify_password
from auction.accounts.session_rules import SessionLimits
from auction.accounts.web_sessions import WebSessionService
from auction.bidding.models import Award
from auction.bidding.reminders import queue_reminders
from auction.clock import FrozenClock, as_utc
from auction.db.engine import transaction
from auction.errors import InvalidInput
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.canonical import format_time
from auction.lots.models import Lot
from auction.notifications import NOTICE_KINDS, notify
from auction.notifications.channels import Outgoing
from auction.notifications.models import OutboxMessage, OutboxStatus
from auction.notifications.preferences import PreferenceService
from tests.kit.mail import BASE_URL, LocalSmtp, send_all
from tests.kit.world import World


async def set_language(world: World, who: str, language: str) -> None:
    async with transaction(world.sessions) as session:
        user = await session.get(User, world.user_ids[who])
        assert user is not None
        user.preferred_language = language


async def outbox_rows(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_an_auction_tells_each_person_what_happens_in_their_language(
    world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, smtp: LocalSmtp
) -> None:
    await set_language(world, "bidder2", "ky")
    await set_language(world, "bidder", "en")
    lot_id = await world.lot("awarded", bidders=("bidder", "bidder2"))

    assert await send_all(smtp.sender(sessions, clock)) == len(smtp.mailbox.arrived) > 0
    winner, outbid, officer = "bidder2@test.kg", "bidder@test.kg", "officer_tokmok@test.kg"
    assert smtp.mailbox.kinds(winner) == [
        "application.received",
        "deposit.confirmed",
        "bidding.opened",
        "auction.closed",
        "award.won",
    ]
    assert smtp.mailbox.kinds(outbid) == [
        "application.received",
        "deposit.confirmed",
        "bidding.opened",
        "bid.outbid",
        "auction.closed",
    ]
    assert smtp.mailbox.kinds(officer) == ["application.new", "application.new"]
    # Every message is in its reader's language, names the lot and links to it.
    won = smtp.mailbox.to(winner)[-1]
    assert won.language == "ky"
    assert won.subject.startswith("Сиз жеңдиңиз: ")
    assert "Куттуктайбыз!" in won.body
    assert "сом" in won.body
    assert "(Бишкек убактысы)" in won.body
    assert f"{BASE_URL}/lots/{lot_id}" in won.body
    lost = smtp.mailbox.to(outbid)[3]
    assert lost.language == "en"
    assert lost.subject.startswith("You have been outbid: ")
    assert "Someone bid 105,000\u00a0som on" in lost.body
    # Sent once: a second pass finds nothing due.
    assert await send_all(smtp.sender(sessions, clock)) == 0
    assert all(row.status == OutboxStatus.SENT for row in await outbox_rows(sessions))

    # A day before the signing deadline the winner is reminded, once however often the job looks.
    async with sessions() as session:
        award = await session.scalar(select(Award).where(Award.lot_id == lot_id, Award.rank == 1))
        assert award is not None
    clock.set(as_utc(award.sign_deadline) - timedelta(hours=25))
    await queue_reminders(sessions, clock)
    assert await send_all(smtp.sender(sessions, clock)) == 0
    clock.set(as_utc(award.sign_deadline) - timedelta(hours=23))
    await queue_reminders(sessions, clock)
    await queue_reminders(sessions, clock)
    assert await send_all(smtp.sender(sessions, clock)) == 1
    reminder = smtp.mailbox.to(winner)[-1]
    assert reminder.kind == "deadline.signing"
    assert reminder.subject.startswith("Кол коюу мөөнөтү бүтүп баратат: ")


async def test_officers_are_reminded_of_applications_to_review_before_bidding_opens(
    world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    lot_id = await world.lot("published")
    async with transaction(sessions) as session:
        await world.apply("bidder", lot_id, session, LedgerWriter(session, world.keys, clock))
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        opens = as_utc(lot.bidding_opens_at)
    clock.set(opens - timedelta(hours=2))
    await queue_reminders(sessions, clock)
    await queue_reminders(sessions, clock)
    reminded = [
        (row.address, row.params["due_at"]) for row in await outbox_rows(sessions) if row.kind == "officer.deadline"
    ]
    due = format_time(opens)
    assert reminded == [("officer_tokmok@test.kg", due), ("officer2_tokmok@test.kg", due)]


async def test_a_rolled_back_event_sends_nothing_and_an_event_told_twice_is_queued_once(
    world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    account = world.user_ids["bidder"]
    params: dict[str, str | int] = {"lot_id": 7, "lot_title_ru": "Участок"}

    async def fails_after_queueing() -> None:
        async with transaction(sessions) as session:
            await notify(session, account_id=account, kind="auction.closed", params=params, dedupe_key="closed:7")
            raise RuntimeError("the bid's transaction fails after the notice was queued")

    with pytest.raises(RuntimeError):
        await fails_after_queueing()
    assert await outbox_rows(sessions) == []
    for _ in range(2):
        async with transaction(sessions) as session:
            await notify(session, account_id=account, kind="auction.closed", params=params, dedupe_key="closed:7")
            await notify(session, account_id=account, kind="auction.closed", params=params, dedupe_key="closed:7")
    assert len(await outbox_rows(sessions)) == 1
    with pytest.raises(ValueError, match="unknown notice kind"):
        async with transaction(sessions) as session:
            await notify(session, account_id=account, kind="lot.whatever", params=params, dedupe_key="x")


class Recorded:
    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    async def send(self, outgoing: Outgoing) -> None:
        self.sent.append(outgoing)


async def test_each_person_gets_only_what_they_chose_where_they_chose(
    world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, smtp: LocalSmtp
) -> None:
    async with transaction(sessions) as session:
        bidder = await session.get(User, world.user_ids["bidder"])
        assert bidder is not None
        service = PreferenceService(session, clock)
        with pytest.raises(InvalidInput) as refused:
            await service.choose(bidder, language="ru", channels=["sms"], kinds=[], phone="", telegram="")
        assert refused.value.code == "notifications.phone_missing"
        everything_but_outbid = [kind for kind in NOTICE_KINDS if kind != "bid.outbid"]
        choices = await service.choose(
            bidder,
            language="ru",
            channels=["email", "sms"],
            kinds=everything_but_outbid,
            phone="+996 700 123-456",
            telegram="",
        )
        assert choices.phone == "+996700123456"
        assert "bid.outbid" not in choices.kinds
    params: dict[str, str | int] = {
        "lot_id": 3,
        "lot_title_ru": "Магазин",
        "amount_tyiyn": 2_800_000,
        "closes_at": "2026-06-08T09:05:00Z",
    }
    async with transaction(sessions) as session:
        await notify(session, account_id=bidder.id, kind="bid.outbid", params=params, dedupe_key="outbid:3")
        await notify(session, account_id=bidder.id, kind="auction.closed", params=params, dedupe_key="closed:3")
    sms = Recorded()
    assert await send_all(smtp.sender(sessions, clock, {"sms": sms})) == 2
    assert smtp.mailbox.kinds("bidder@test.kg") == ["auction.closed"]
    assert smtp.mailbox.arrived[0].subject == "Торги завершены: Магазин"
    assert [(o.address, o.kind) for o in sms.sent] == [("+996700123456", "auction.closed")]
    assert sms.sent[0].message.short.startswith("Торги завершены: Магазин\nТорги по лоту «Магазин» завершены.")


async def test_a_refused_send_is_retried_after_its_backoff_and_arrives_once(
    world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, smtp: LocalSmtp
) -> None:
    async with transaction(sessions) as session:
        await notify(
            session,
            account_id=world.user_ids["bidder"],
            kind="deposit.refunded",
            params={"lot_id": 5, "lot_title_en": "Shop"},
            dedupe_key="refund:5",
        )
    smtp.mailbox.refuse = 1
    sender = smtp.sender(sessions, clock, first_retry_seconds=30)
    assert await send_all(sender) == 0
    [row] = await outbox_rows(sessions)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert "451" in (row.last_error or "")
    assert await send_all(sender) == 0  # not due before its backoff
    clock.advance(timedelta(seconds=31))
    assert await send_all(sender) == 1
    assert await send_all(sender) == 0
    assert [mail.subject for mail in smtp.mailbox.arrived] == ["Задаток возвращён: Shop"]


@pytest.mark.own_database
async def test_two_senders_at_once_send_every_notice_exactly_once(
    world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, smtp: LocalSmtp
) -> None:
    async with transaction(sessions) as session:
        for lot in range(24):
            await notify(
                session,
                account_id=world.user_ids["bidder"],
                kind="auction.closed",
                params={"lot_id": lot, "lot_title_ru": f"Лот {lot}"},
                dedupe_key=f"closed:{lot}",
            )
    senders = [smtp.sender(sessions, clock, batch_size=24) for _ in range(2)]
    counts = await asyncio.gather(*(send_all(sender) for sender in senders))
    assert sum(counts) == 24
    subjects = sorted(mail.subject for mail in smtp.mailbox.arrived)
    assert subjects == sorted(f"Торги завершены: Лот {lot}" for lot in range(24))


async def test_a_reset_link_works_once_until_it_expires_and_ends_every_session(
    world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    hour = timedelta(hours=1)
    async with transaction(sessions) as session:
        resets = PasswordResetService(session, clock)
        assert await resets.start("nobody@test.kg", hour) is None
        started = await resets.start("Bidder@Test.kg", hour)
        assert started is not None
        user, token = started
        limits = SessionLimits(lifetime=timedelta(days=1), idle=timedelta(days=1))
        await WebSessionService(session, clock, limits).start(user.id, "Firefox")
    async with transaction(sessions) as session:
        changed = await PasswordResetService(session, clock).complete(token, "a new long password")
        assert verify_password(changed.password_hash, "a new long password")
        live = await session.scalar(
            select(func.count()).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
        )
        assert live == 0
    async with transaction(sessions) as session:
        with pytest.raises(InvalidInput) as used:
            await PasswordResetService(session, clock).complete(token, "yet another password")
        assert used.value.code == "password_reset.invalid"
        again = await PasswordResetService(session, clock).start("bidder@test.kg", hour)
        assert again is not None
    clock.advance(hour)
    async with transaction(sessions) as session:
        assert await PasswordResetService(session, clock).usable(again[1]) is None
        with pytest.raises(InvalidInput):
            await PasswordResetService(session, clock).complete(again[1], "yet another password")
