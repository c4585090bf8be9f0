"""The notices the platform sends, who gets them, and which a person may switch off (pure data, no I/O).

Other slices call ``notify(session, account_id=..., kind=..., params=..., dedupe_key=...)`` with one of these kinds;
``params`` are the values its message names (see auction/notifications/messages.py): ``lot_id`` and the lot's titles
(``lot_title_ky``/``_ru``/``_en``, see ``lot_params``), amounts as ``*_tyiyn`` integers, moments as ``*_at`` ISO 8601
UTC strings, and free text such as ``reason``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final


class Audience(enum.StrEnum):
    BIDDER = "bidder"
    OFFICER = "officer"
    ANYONE = "anyone"


@dataclass(frozen=True, slots=True)
class NoticeKind:
    audience: Audience
    # What the message needs in params, beyond lot_id and the lot's titles when ``about_lot``.
    needs: tuple[str, ...] = ()
    about_lot: bool = True
    # A notice a person cannot switch off (a password reset they asked for).
    optional: bool = True


# Every kind of notice, by its stable name. Keep in step with messages.MESSAGES (a unit test checks).
NOTICE_KINDS: Final[dict[str, NoticeKind]] = {
    "application.received": NoticeKind(Audience.BIDDER),
    "application.new": NoticeKind(Audience.OFFICER),
    "deposit.confirmed": NoticeKind(Audience.BIDDER, ("opens_at",)),
    "application.rejected": NoticeKind(Audience.BIDDER, ("reason",)),
    "bidding.opened": NoticeKind(Audience.BIDDER, ("closes_at",)),
    "bid.outbid": NoticeKind(Audience.BIDDER, ("amount_tyiyn", "closes_at")),
    "auction.extended": NoticeKind(Audience.BIDDER, ("closes_at",)),
    "auction.closed": NoticeKind(Audience.BIDDER),
    "award.won": NoticeKind(Audience.BIDDER, ("amount_tyiyn", "sign_deadline_at")),
    "deadline.signing": NoticeKind(Audience.BIDDER, ("sign_deadline_at",)),
    "deposit.refunded": NoticeKind(Audience.BIDDER),
    "officer.deadline": NoticeKind(Audience.OFFICER, ("due_at",)),
    "account.password_reset": NoticeKind(Audience.ANYONE, ("reset_link", "minutes"), about_lot=False, optional=False),
    # Watching (auction.watching.alerts): a saved search matched a lot just published; a watched lot changed.
    "search.match": NoticeKind(Audience.ANYONE, ("search_name", "starting_price_tyiyn", "opens_at")),
    "watch.bidding_opened": NoticeKind(Audience.ANYONE),
    "watch.extended": NoticeKind(Audience.ANYONE, ("closes_at",)),
    "watch.closed": NoticeKind(Audience.ANYONE),
    "watch.awarded": NoticeKind(Audience.ANYONE),
    "watch.failed": NoticeKind(Audience.ANYONE),
    "watch.cancelled": NoticeKind(Audience.ANYONE),
}

# Where a notice can go. E-mail needs the account's address; SMS a phone; Telegram a chat id.
CHANNELS: Final = ("email", "sms", "telegram")
DEFAULT_CHANNELS: Final = ("email",)
LANGUAGES: Final = ("ky", "ru", "en")


def choosable_kinds(audience: Audience) -> list[str]:
    """The kinds a person of this audience may switch on or off on their profile."""
    return [
        name for name, kind in NOTICE_KINDS.items() if kind.optional and kind.audience in {audience, Audience.ANYONE}
    ]


def parse_list(text: str, allowed: tuple[str, ...] | list[str]) -> list[str]:
    """A stored comma-separated list, keeping only known names, in the order ``allowed`` gives."""
    chosen = {part.strip() for part in text.split(",") if part.strip()}
    return [name for name in allowed if name in chosen]
