"""The officer's lot form: som to exact tyiyn, Bishkek wall-clock time to UTC, blanks to "not given"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import ValidationError

from auction.clock import BISHKEK
from auction.lots.models import Lot
from auction.lots.payment import PAYMENT_FIELDS
from auction.lots.schemas import LotAmend, LotCreate, LotTerms
from auction.money import parse_som
from web.lib.form_errors import FormErrors, Translate
from web.lib.formatting import moment_input, som_input
from web.lib.i18n.catalogs import N_

MONEY_FIELDS = ("starting_price", "bid_step", "deposit", "floor_price", "valuation")
MOMENT_FIELDS = ("applications_close_at", "bidding_opens_at", "bidding_closes_at")
TEXT_FIELDS = (
    "title_ky",
    "title_ru",
    "title_en",
    "description_ky",
    "description_ru",
    "description_en",
    "address",
    "registration_number",
    "area_sqm",
    "permitted_use",
    "lease_extension_decision",
    "council_decision",
    *PAYMENT_FIELDS,
)
NUMBER_FIELDS = (
    "lease_term_months",
    "soft_close_minutes",
    "max_extension_minutes",
    "price_drop_interval_seconds",
    "indexation_percent",
)
# Ticked or not; a box left unticked is not sent at all, so it reads as false.
FLAG_FIELDS = ("sitting_tenant",)
CHOICE_FIELDS = ("deal", "kind", "format", "rent_period", "single_participant_rule")
TERM_FIELDS = (*CHOICE_FIELDS, *TEXT_FIELDS, *MONEY_FIELDS, *MOMENT_FIELDS, *NUMBER_FIELDS, *FLAG_FIELDS)
AMENDMENT_FIELDS = ("reason", "reopen_applications")

# A new lot starts from the schema's own defaults, so the form and the API agree.
NEW_LOT_VALUES: dict[str, str] = {
    "deal": "sale",
    "format": "open_ascending",
    "soft_close_minutes": str(LotTerms.model_fields["soft_close_minutes"].default),
    "max_extension_minutes": str(LotTerms.model_fields["max_extension_minutes"].default),
    "single_participant_rule": LotTerms.model_fields["single_participant_rule"].default.value,
}

BAD_AMOUNT = N_("Enter an amount in som, such as 1250 or 1250.50.")
BAD_MOMENT = N_("Enter a date and time, such as 2026-06-08 15:00.")

Terms = TypeVar("Terms", LotCreate, LotAmend)


def lot_form_values(lot: Lot) -> dict[str, str]:
    """A lot's terms as the form shows them for editing."""
    values: dict[str, str] = {}
    for name in TERM_FIELDS:
        value = getattr(lot, name)
        if name in MONEY_FIELDS:
            values[name] = som_input(value)
        elif name in MOMENT_FIELDS:
            values[name] = moment_input(value)
        elif name in FLAG_FIELDS:
            values[name] = "on" if value else ""
        elif value is None:
            values[name] = ""
        else:
            values[name] = str(getattr(value, "value", value))
    return values


def submitted_values(data: Mapping[str, str]) -> dict[str, str]:
    """The fields as typed, to show them again when something is wrong."""
    names = (*TERM_FIELDS, *AMENDMENT_FIELDS, "municipality_id")
    return {name: str(data[name]).strip() for name in names if name in data}


def parse_lot_form(
    data: Mapping[str, str], model: type[Terms], gettext: Translate, *, may_choose_municipality: bool
) -> tuple[Terms | None, FormErrors]:
    """The form as ``LotCreate`` or ``LotAmend``, or the problems to show next to the fields."""
    errors = FormErrors()
    values: dict[str, object] = {}
    for name, text in submitted_values(data).items():
        # Left blank, optional terms stay unset and required ones are reported as missing.
        if not text or (name == "municipality_id" and not may_choose_municipality):
            continue
        if model is LotCreate and name in AMENDMENT_FIELDS:
            continue
        value = _read(name, text)
        if value is None:
            errors.add(name, gettext(BAD_AMOUNT if name in MONEY_FIELDS else BAD_MOMENT))
        else:
            values[name] = value
    try:
        terms = model.model_validate(values)
    except ValidationError as invalid:
        errors.add_validation_error(invalid, gettext)
        return None, errors
    return (None, errors) if errors else (terms, errors)


def _read(name: str, text: str) -> object | None:
    """One field's value for the schema; None when money or a moment cannot be read."""
    if name in MONEY_FIELDS:
        try:
            return parse_som(text)
        except ValueError:
            return None
    if name in MOMENT_FIELDS:
        return _bishkek_moment(text)
    if name == "reopen_applications" or name in FLAG_FIELDS:
        return text in {"on", "true", "1"}
    return text


def _bishkek_moment(text: str) -> datetime | None:
    """``2026-06-08T15:00`` on a Bishkek wall clock, as an aware UTC moment (Bishkek has no DST)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BISHKEK)
    return moment.astimezone(UTC)
