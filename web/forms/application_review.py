"""The officer's review of an application: confirm the deposit by its bank reference, or reject with a reason.

The forms check the same shapes as the API (its request models), so both refuse the same input.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from web.controllers.bidding_schemas import DepositConfirmation, Rejection
from web.forms.errors import FormErrors, Translate


def parse_confirmation(data: Mapping[str, str], gettext: Translate) -> tuple[str | None, FormErrors]:
    errors = FormErrors()
    try:
        return DepositConfirmation(bank_reference=str(data.get("bank_reference", ""))).bank_reference, errors
    except ValidationError as invalid:
        errors.add_validation_error(invalid, gettext)
        return None, errors


def parse_rejection(data: Mapping[str, str], gettext: Translate) -> tuple[str | None, FormErrors]:
    errors = FormErrors()
    try:
        return Rejection(reason=str(data.get("reason", ""))).reason, errors
    except ValidationError as invalid:
        errors.add_validation_error(invalid, gettext)
        return None, errors
