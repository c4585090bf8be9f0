"""The inspectors' link key: one tag per bidder across lots, where the public sees one pseudonym per lot.

Pure. A bidder's pseudonym is HMAC(pseudonym key, lot|user) (auction/ledger/keys.py), so open data cannot tell that
two lots had the same bidder. The link tag is HMAC(inspection key, user): the same for a bidder on every lot, and
computable only with the key the inspectors hold. The ledger pins the key's fingerprint (`inspection.key`) and
records each use (`inspection.linked`) with a hash of the result (docs/inspection.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import rfc8785

from auction.redflags.rules import award_made
from auction.refusals import Problem
from auction.statistics.stories import LotStory

KEY_BYTES = 32
# The key's name where people give it (the inspection form's field, the API's JSON); never logged
# (web/lib/log_redaction.py).
KEY_FIELD = "inspection_key"
LINK_PREFIX = "l-"
_FINGERPRINT_DOMAIN = b"achyk-inspection-key/v1|"
# A demo deployment's key, known to everyone who reads this line: never a real deployment's (auction/demo.py).
DEMO_KEY = hashlib.sha256(b"achyk-demo-inspection-key").digest()


class KeyMalformed(ValueError):
    """The pasted key is not the base64url of 32 bytes: ``problem`` says what is wrong, for the person pasting it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def new_key() -> bytes:
    """A fresh inspection key."""
    return secrets.token_bytes(KEY_BYTES)


def encode_key(key: bytes) -> str:
    """The key as people carry it: base64url without padding (43 characters)."""
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode()


def parse_key(text: str) -> bytes:
    """The key from what an inspector pasted: base64url (or standard base64), padding and whitespace optional."""
    cleaned = "".join(text.split())
    if not cleaned:
        raise KeyMalformed(Problem("inspection.key_missing", field=KEY_FIELD))
    normal = cleaned.rstrip("=").replace("+", "-").replace("/", "_")
    try:
        raw = base64.urlsafe_b64decode(normal + "=" * (-len(normal) % 4))
    except (binascii.Error, ValueError):
        raise KeyMalformed(Problem("inspection.key_malformed", field=KEY_FIELD)) from None
    if encode_key(raw) != normal:  # stray characters the decoder skipped, or an impossible length
        raise KeyMalformed(Problem("inspection.key_malformed", field=KEY_FIELD))
    if len(raw) != KEY_BYTES:
        raise KeyMalformed(Problem("inspection.key_length", field=KEY_FIELD, length=len(raw)))
    return raw


def fingerprint(key: bytes) -> str:
    """What the ledger pins of a key: hex SHA-256 of a domain-separated encoding, never usable as the key."""
    return hashlib.sha256(_FINGERPRINT_DOMAIN + key).hexdigest()


def link_tag(key: bytes, user_id: int) -> str:
    """The bidder's tag under the key: the same on every lot, different under another key."""
    digest = hmac.new(key, f"achyk-link/v1|{user_id}".encode(), hashlib.sha256)
    return LINK_PREFIX + digest.hexdigest()[:16]


def result_hash(links: Iterable[tuple[int, str, str]]) -> str:
    """Hex SHA-256 of the RFC 8785 bytes of the sorted list of [lot, pseudonym, link]: what the inspector was shown."""
    rows: list[list[int | str]] = [[lot, pseudonym, link] for lot, pseudonym, link in sorted(links)]
    return hashlib.sha256(rfc8785.dumps(rows)).hexdigest()


def demo_inspection_key() -> str:
    """The demo's inspection key as printed for `make run`: public, for trying the inspectors' page only."""
    return encode_key(DEMO_KEY)


@dataclass(slots=True)
class LinkedBidder:
    """One bidder as the inspector sees them: a link tag and the lots in scope they applied for, bid on, won."""

    link: str
    applied: list[int] = field(default_factory=list)
    bid: list[int] = field(default_factory=list)
    won: list[int] = field(default_factory=list)


def linked_bidders(links: Mapping[tuple[int, str], str], stories: Iterable[LotStory]) -> list[LinkedBidder]:
    """Each link tag with its lots, those in most lots first. Bids and wins (the auction's winner, whether or not
    they signed) come from the lots' stories (the signed ledger); a lot not yet covered by a signed checkpoint shows
    only its application."""
    by_lot = {story.lot: story for story in stories}
    bidders: defaultdict[str, LinkedBidder] = defaultdict(lambda: LinkedBidder(""))
    for (lot, pseudonym), tag in sorted(links.items()):
        bidder = bidders[tag]
        bidder.link = tag
        bidder.applied.append(lot)
        story = by_lot.get(lot)
        if story is None:
            continue
        if any(bid.bidder == pseudonym for bid in story.bids):
            bidder.bid.append(lot)
        won = award_made(story)  # the auction's winner (`award.made`), as the flags
        if won is not None and won.bidder == pseudonym:
            bidder.won.append(lot)
    return sorted(bidders.values(), key=lambda b: (-len(b.applied), -len(b.won), b.link))
