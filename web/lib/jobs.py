"""Background jobs each app process runs: the ledger integrator (and, as its leader, the witnessing rounds) and the
auction scheduler, the purge of dead sessions, and the notice sender.

They coordinate through the database only, so any number of processes on any number of hosts may run them; the
integrator and the scheduler's scans run in one process at a time (a lease each), woken by PostgreSQL's NOTIFYs
through one listening connection per process (auction.db.wakeups), so that an idle site costs next to nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.web_sessions import purge_sessions_regularly
from auction.bidding.reminders import remind_regularly
from auction.bidding.scheduler import AuctionScheduler
from auction.clock import Clock
from auction.db.wakeups import Wakeups
from auction.ledger.cosigning import Cosigner, HttpWitnesses
from auction.ledger.integrator import Integrator
from auction.ledger.keys import LedgerKeys
from auction.ledger.witness_config import witness_config
from auction.notifications.channels import Channel, MailDropChannel, SmtpChannel, SmtpSettings, WebhookChannel
from auction.notifications.delivery import DeliveryPolicy, Sender
from auction.settings import Settings
from web.lib.sessions import session_limits


def make_integrator(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    keys: LedgerKeys,
    witnesses: HttpWitnesses | None = None,
) -> Integrator:
    """The integrator; with `witnesses`, its leader also collects cosignatures (docs/witnesses.md)."""
    integrator = Integrator(
        sessions,
        keys,
        clock,
        batch_size=settings.ledger_batch_size,
        interval_seconds=settings.ledger_batch_interval_seconds,
        max_merge_delay_seconds=settings.ledger_max_merge_delay_seconds,
    )
    config = witness_config(settings)
    if witnesses is not None or not config.enabled:
        # Without witnesses the cosigner only clears the health row once, so nothing reads a stale one.
        integrator.cosigner = Cosigner(
            sessions,
            keys,
            clock,
            config,
            witnesses.submit if witnesses is not None else _no_witness,
            integrator.sign_current_tree,
            refresh_seconds=settings.witness_refresh_seconds,
        )
    return integrator


def channels_of(settings: Settings) -> dict[str, Channel]:
    """E-mail by SMTP when ACHYK_SMTP_HOST is set, else into the mail drop; SMS and Telegram through the webhook."""
    channels: dict[str, Channel] = {}
    if settings.smtp_host:
        channels["email"] = SmtpChannel(
            SmtpSettings(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_from,
                user=settings.smtp_user,
                password=settings.smtp_password,
                security=settings.smtp_security,
            )
        )
    else:
        channels["email"] = MailDropChannel(
            Path(settings.mail_drop_dir) if settings.mail_drop_dir else settings.data_dir / "mail", settings.smtp_from
        )
    if settings.notify_webhook_url:
        channels["sms"] = WebhookChannel(settings.notify_webhook_url, "sms")
        channels["telegram"] = WebhookChannel(settings.notify_webhook_url, "telegram")
    return channels


def make_sender(sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock) -> Sender:
    policy = DeliveryPolicy(base_url=settings.public_url, poll_seconds=settings.notify_poll_seconds)
    return Sender(sessions, clock, channels_of(settings), policy)


async def _no_witness(url: str, body: str) -> tuple[int, str, str]:
    raise RuntimeError("no witnesses are configured")


@contextlib.asynccontextmanager
async def background_jobs(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    keys: LedgerKeys,
    *,
    ready: asyncio.Event | None = None,
) -> AsyncIterator[None]:
    """The integrator, the scheduler, the session purge and the notice sender, started once ``ready`` is set (the
    host's keys passed the start-up check: nothing is signed with keys the deployment has not published)."""
    if not settings.run_background_jobs:
        yield
        return
    config = witness_config(settings)
    witnesses = HttpWitnesses(config.timeout_seconds) if config.enabled else None
    stop = asyncio.Event()
    wakeups = Wakeups(settings.resolved_database_url)

    async def when_ready(job: Callable[[], Awaitable[None]]) -> None:
        if ready is not None:
            await ready.wait()
        await job()

    jobs: list[Callable[[], Awaitable[None]]] = [
        lambda: wakeups.run(stop),
        lambda: make_integrator(sessions, settings, clock, keys, witnesses).run(stop, wakeups),
        lambda: AuctionScheduler(sessions, keys, clock, witnesses=config).run(stop, wakeups),
        lambda: purge_sessions_regularly(sessions, clock, session_limits(settings), stop),
        # Notices queued in the outbox: any process sends any of them, each exactly once (auction.notifications).
        lambda: make_sender(sessions, settings, clock).run(stop),
        lambda: remind_regularly(sessions, clock, stop),
    ]
    tasks = [asyncio.create_task(when_ready(job)) for job in jobs]
    try:
        yield
    finally:
        stop.set()
        if ready is not None and not ready.is_set():
            for task in tasks:
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if witnesses is not None:
            await witnesses.aclose()
