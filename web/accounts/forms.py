"""The bidder registration form."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from auction.accounts.schemas import Registration
from web.lib.form_errors import FormErrors, Translate
from web.lib.i18n.catalogs import N_

FIELDS = ("email", "password", "full_name", "bidder_kind", "identity_number", "preferred_language")
# Shown instead of pydantic's generic words for these fields' format errors.
MESSAGES = {
    "email": N_("Enter an e-mail address such as name@example.kg."),
    "password": N_("Use at least 10 characters."),
    "identity_number": N_("Enter 14 digits."),
}


def submitted_values(data: Mapping[str, str]) -> dict[str, str]:
    """What was typed, to show again on a problem; the password never goes back to the browser."""
    return {name: str(data.get(name, "")).strip() for name in FIELDS if name != "password"}


def parse_registration(data: Mapping[str, str], gettext: Translate) -> tuple[Registration | None, FormErrors]:
    errors = FormErrors()
    values = {name: data[name] for name in FIELDS if data.get(name)}
    try:
        return Registration.model_validate(values), errors
    except ValidationError as invalid:
        errors.add_validation_error(invalid, gettext, overrides=MESSAGES)
        return None, errors
