"""A real SMTP server on 127.0.0.1 (aiosmtpd, in a thread of its own) that keeps what arrives, and a sender on it."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock
from auction.notifications.channels import Channel, SmtpChannel, SmtpSettings
from auction.notifications.delivery import DeliveryPolicy, Sender

BASE_URL = "https://achyk.test"


@dataclass
class Arrived:
    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def language(self) -> str:
        return str(self.message["Content-Language"])

    @property
    def kind(self) -> str:
        return str(self.message["X-Achyk-Notice"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())


@dataclass
class Mailbox:
    """What the server accepted, in order; ``refuse`` answers the next that many messages 451 (try again later)."""

    arrived: list[Arrived] = field(default_factory=list)
    refuse: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 Try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            self.arrived.append(Arrived(list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[Arrived]:
        return [mail for mail in self.arrived if address in mail.to]

    def kinds(self, address: str) -> list[str]:
        return [mail.kind for mail in self.to(address)]


@dataclass
class LocalSmtp:
    host: str
    port: int
    mailbox: Mailbox

    def channel(self) -> SmtpChannel:
        return SmtpChannel(
            SmtpSettings(host=self.host, port=self.port, sender="Achyk <no-reply@achyk.test>", security="none")
        )

    def sender(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        extra: dict[str, Channel] | None = None,
        **policy: Any,
    ) -> Sender:
        channels: dict[str, Channel] = {"email": self.channel(), **(extra or {})}
        return Sender(sessions, clock, channels, DeliveryPolicy(base_url=BASE_URL, **policy))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def running_smtp() -> Iterator[LocalSmtp]:
    """Start the server, yield it, stop it (the body of a pytest fixture)."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield LocalSmtp(controller.hostname, controller.port, mailbox)
    finally:
        controller.stop()


async def send_all(sender: Sender) -> int:
    """Send every notice that is due, as many rounds as it takes; how many were sent."""
    total = 0
    while sent := await sender.send_due():
        total += sent
    return total
