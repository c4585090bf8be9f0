"""The bidder's forms: an open bid in som (exactly to tyiyn), a sealed bid's ciphertext, and the retry key.

Every rendering of a bid form carries a fresh Idempotency-Key, so sending the same rendering twice (a double
click, a retry after a lost answer) is one bid: the service answers the second with the first receipt.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from web.lib.fields import SomAmount, filled
from web.lib.form_errors import FormErrors, Translate
from web.lib.i18n.catalogs import N_
from web.officer.forms import BAD_AMOUNT

NOT_HASHED = N_(
    "Your browser did not seal the offer. Run-off offers are hashed and signed by JavaScript: enable it and try again."
)
NOT_SEALED = N_("Your browser did not seal the bid. Sealed bids are encrypted by JavaScript: enable it and try again.")


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class BidForm(BaseModel):
    """What every bid form carries: the key that makes sending it twice one bid."""

    model_config = ConfigDict(extra="ignore")

    # A form without a key (hand-made, or a very old page) still bids once, under a key of its own.
    key: Annotated[str, StringConstraints(strip_whitespace=True)] = Field(
        alias="idempotency_key", default_factory=new_idempotency_key
    )


class OpenBid(BidForm):
    amount: SomAmount = Field(description="Tyiyn, typed in som.")


class SealedBid(BidForm):
    # Sealed in the browser: the amount itself never reaches the server.
    ciphertext: Annotated[str, StringConstraints(strip_whitespace=True)]


class RunoffOfferForm(BidForm):
    amount: SomAmount = Field(description="Tyiyn, typed in som.")
    # Drawn and hashed with the amount in the browser, which signs the hash (runoff.offer).
    nonce: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


Form = TypeVar("Form", bound=BidForm)


def idempotency_key_of(data: Mapping[str, str]) -> str:
    return BidForm.model_validate(filled(data, ("idempotency_key",))).key


def parse_open_bid(data: Mapping[str, str], gettext: Translate) -> tuple[OpenBid | None, FormErrors]:
    return _parse(OpenBid, data, gettext, {"amount": BAD_AMOUNT})


def parse_runoff_offer(data: Mapping[str, str], gettext: Translate) -> tuple[RunoffOfferForm | None, FormErrors]:
    return _parse(RunoffOfferForm, data, gettext, {"amount": BAD_AMOUNT, "nonce": NOT_HASHED}, {"nonce": NOT_HASHED})


def parse_sealed_bid(data: Mapping[str, str], gettext: Translate) -> tuple[SealedBid | None, FormErrors]:
    return _parse(SealedBid, data, gettext, {"ciphertext": NOT_SEALED}, missing={"ciphertext": NOT_SEALED})


def _parse(
    form: type[Form],
    data: Mapping[str, str],
    gettext: Translate,
    overrides: dict[str, str],
    missing: dict[str, str] | None = None,
) -> tuple[Form | None, FormErrors]:
    errors = FormErrors()
    values = filled(data, [field.alias or name for name, field in form.model_fields.items()])
    for name, message in (missing or {}).items():
        if name not in values:
            errors.add(name, gettext(message))  # said before pydantic would say "Fill this in."
    try:
        parsed = form.model_validate(values)
    except ValidationError as invalid:
        errors.add_validation_error(invalid, gettext, overrides=overrides)
        return None, errors
    return parsed, errors


def _json_field(data: Mapping[str, str], name: str) -> object:
    """A hidden field the page's script filled with JSON; absent or unreadable is None (refused as unsigned)."""
    text = data.get(name, "").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def signed_of(data: Mapping[str, str]) -> dict[str, Any] | None:
    """The bidder's signature the page's script put in the hidden `signed` field (docs/keys.md 1.2)."""
    signed = _json_field(data, "signed")
    return signed if isinstance(signed, dict) else None


def keys_of(data: Mapping[str, str]) -> object:
    """The key objects an application puts on the lot, from the hidden `keys` field."""
    return _json_field(data, "keys")


def limit_of(data: Mapping[str, str]) -> int:
    """The Dutch price the bidder signed for, in tyiyn, from the hidden `limit` field (0 when absent)."""
    text = data.get("limit", "").strip()
    return int(text) if text.isdigit() and len(text) <= 16 else 0
