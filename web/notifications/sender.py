"""The notice sender of this process, with the channels the settings configure."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock
from auction.notifications.channels import Channel, MailDropChannel, SmtpChannel, SmtpSettings, WebhookChannel
from auction.notifications.delivery import DeliveryPolicy, Sender
from auction.settings import Settings


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
        channels["email"] = MailDropChannel(settings.mail_drop_dir or settings.data_dir / "mail", settings.smtp_from)
    if settings.notify_webhook_url:
        channels["sms"] = WebhookChannel(settings.notify_webhook_url, "sms")
        channels["telegram"] = WebhookChannel(settings.notify_webhook_url, "telegram")
    return channels


def make_sender(sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock) -> Sender:
    policy = DeliveryPolicy(base_url=settings.public_url, poll_seconds=settings.notify_poll_seconds)
    return Sender(sessions, clock, channels_of(settings), policy)
