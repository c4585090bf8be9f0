"""The officer's forms after the award: a payment against a schedule line, a deposit refund, the instalments."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from web.lib.fields import SomAmount, filled
from web.lib.form_errors import FormErrors, Translate

Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=100)]


class PaymentForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    number: int = Field(ge=1)
    amount: SomAmount = Field(gt=0, description="Tyiyn, typed in som.")
    paid_on: date
    bank_reference: Reference


class RefundForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    bank_reference: Reference


class InstalmentsForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    instalments: int = Field(ge=1, le=60)


Form = TypeVar("Form", bound=BaseModel)


def parse(model: type[Form], data: Mapping[str, str], gettext: Translate) -> tuple[Form | None, FormErrors]:
    """The form's values, or its problems by field."""
    errors = FormErrors()
    try:
        return model.model_validate(filled(data, model.model_fields)), errors
    except ValidationError as invalid:
        errors.add_validation_error(invalid, gettext)
        return None, errors
