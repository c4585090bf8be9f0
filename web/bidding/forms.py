"""The bidder's forms: an open bid in som (exactly to tyiyn), a sealed bid's ciphertext, and the retry key.

Every rendering of a bid form carries a fresh Idempotency-Key, so sending the same rendering twice (a double
click, a retry after a lost answer) is one bid: the service answers the second with the first receipt.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from auction.money import parse_som
from web.lib.form_errors import FormErrors, Translate
from web.lib.i18n.catalogs import N_
from web.officer.forms import BAD_AMOUNT

FILL_IN = N_("Fill this in.")
NOT_SEALED = N_("Your browser did not seal the bid. Sealed bids are encrypted by JavaScript: enable it and try again.")


@dataclass(frozen=True, slots=True)
class Submitted:
    """A bid form as sent: the retry key, and the amount or ciphertext when they could be read."""

    key: str
    amount: int | None = None
    ciphertext: str | None = None


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def idempotency_key_of(data: Mapping[str, str]) -> str:
    # A form without a key (hand-made, or a very old page) still bids once, under a key of its own.
    return str(data.get("idempotency_key", "")).strip() or new_idempotency_key()


def parse_open_bid(data: Mapping[str, str], gettext: Translate) -> tuple[Submitted | None, FormErrors]:
    errors = FormErrors()
    text = str(data.get("amount", "")).strip()
    if not text:
        errors.add("amount", gettext(FILL_IN))
        return None, errors
    try:
        amount = parse_som(text)
    except ValueError:
        errors.add("amount", gettext(BAD_AMOUNT))
        return None, errors
    return Submitted(idempotency_key_of(data), amount=amount), errors


def parse_sealed_bid(data: Mapping[str, str], gettext: Translate) -> tuple[Submitted | None, FormErrors]:
    errors = FormErrors()
    ciphertext = str(data.get("ciphertext", "")).strip()
    if not ciphertext:
        errors.add("ciphertext", gettext(NOT_SEALED))
        return None, errors
    return Submitted(idempotency_key_of(data), ciphertext=ciphertext), errors
