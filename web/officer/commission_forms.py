"""The sealed-bid commission's form: which officers sit on it and how many of them open the bids.

Nothing secret passes through it: each member makes their own key in their own browser, on the member page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, Field, ValidationError

from web.lib.form_errors import FormErrors, Translate
from web.lib.i18n.catalogs import N_

CHOOSE_MEMBERS = N_("Choose 2 to 9 commission members.")


def member_field(member_id: int) -> str:
    return f"member_{member_id}"


@dataclass(frozen=True, slots=True)
class Commission:
    threshold: int
    members: list[int]


class CommissionForm(BaseModel):
    """The form's shape of the API's ``CommissionSetup``."""

    threshold: Annotated[int, Field(ge=2, le=9)]
    members: Annotated[list[int], Field(min_length=2, max_length=9)]


def ceremony_values(data: Mapping[str, str], candidates: Sequence[int]) -> dict[str, str]:
    """What the form shows again after a problem: the threshold and the chosen members."""
    values = {"threshold": str(data.get("threshold", "")).strip()}
    values.update({member_field(m): "on" for m in candidates if data.get(member_field(m)) == "on"})
    return values


def parse_commission(
    data: Mapping[str, str], candidates: Sequence[int], gettext: Translate
) -> tuple[Commission | None, FormErrors]:
    errors = FormErrors()
    chosen = [m for m in candidates if data.get(member_field(m)) == "on"]
    submitted = {"threshold": str(data.get("threshold", "")).strip(), "members": chosen}
    try:
        form = CommissionForm.model_validate(submitted)
    except ValidationError as invalid:
        errors.add_validation_error(invalid, gettext, overrides={"members": CHOOSE_MEMBERS})
        return None, errors
    return Commission(form.threshold, form.members), errors
