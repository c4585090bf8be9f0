"""Where notices go: the ``Channel`` port, with e-mail over SMTP, a mail drop for the embedded default, and a webhook
for an SMS or Telegram gateway (rural bidders read SMS first)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

import aiosmtplib
import httpx

from auction.notifications.messages import Rendered

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One rendered notice for one address."""

    outbox_id: int
    kind: str
    address: str
    message: Rendered


class Channel(Protocol):
    """Sends one notice; raises to have it retried later."""

    async def send(self, outgoing: Outgoing) -> None: ...


def email_message(outgoing: Outgoing, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = outgoing.address
    set_subject(message, outgoing.message.subject)
    message["Message-ID"] = make_msgid(idstring=f"achyk-{outgoing.outbox_id}")
    message["X-Achyk-Notice"] = outgoing.kind
    message.set_content(outgoing.message.body)
    message["Content-Language"] = outgoing.message.language  # after set_content, which drops Content-* headers
    return message


def set_subject(message: EmailMessage, subject: str) -> None:
    """The Subject, folded so that every reader decodes it back to exactly `subject`.

    Python's own folding (the SMTP policy aiosmtplib flattens with) can put the space between two words outside, in
    front of the next encoded word, where RFC 2047 decoders drop it: "көчөсүндөгү жер" arrived as "көчөсүндөгүжер"
    (CPython gh-144156, not fixed in 3.11). A non-ASCII subject is encoded here instead, every space inside its
    encoded words, and stored folded, in lines short enough that the generator keeps them as they are.
    """
    if subject.isascii():
        message["Subject"] = subject
    else:
        message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode(linesep="\n"))


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    # "starttls" (upgrade a plain connection), "tls" (implicit TLS, port 465) or "none" (a local relay).
    security: str = "starttls"
    timeout_seconds: float = 30.0


class SmtpChannel:
    """E-mail through an SMTP server (aiosmtplib)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(self, outgoing: Outgoing) -> None:
        s = self.settings
        await aiosmtplib.send(
            email_message(outgoing, s.sender),
            hostname=s.host,
            port=s.port,
            username=s.user or None,
            password=s.password or None,
            use_tls=s.security == "tls",
            start_tls=s.security == "starttls",
            timeout=s.timeout_seconds,
        )


class MailDropChannel:
    """No SMTP configured (the embedded default): each e-mail is written as a ``.eml`` file and logged, so a
    ``make run`` user can read what would have been sent."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    async def send(self, outgoing: Outgoing) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{outgoing.outbox_id:08d}-{outgoing.kind}.eml"
        path.write_bytes(email_message(outgoing, self.sender).as_bytes())
        log.info("mail to %s: %s (written to %s)", outgoing.address, outgoing.message.subject, path)


class WebhookChannel:
    """An SMS or Telegram gateway behind one URL: POST ``{"channel", "to", "text", "language", "kind"}`` as JSON; any
    2xx is delivered. A small relay (or an apprise-api server) turns it into the operator's SMS or bot message."""

    def __init__(self, url: str, channel: str, timeout_seconds: float = 15.0) -> None:
        self.url = url
        self.channel = channel
        self.timeout_seconds = timeout_seconds

    async def send(self, outgoing: Outgoing) -> None:
        body = {
            "channel": self.channel,
            "to": outgoing.address,
            "text": outgoing.message.short,
            "language": outgoing.message.language,
            "kind": outgoing.kind,
        }
        async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
            response = await client.post(self.url, json=body)
            response.raise_for_status()
