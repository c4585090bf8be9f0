"""The sealed-bid commission's forms: the publication ceremony and the opening after the close.

Each member types their own passphrase into a field named after them. The passphrases go straight to the
service and nowhere else: they are never put back into a page, a log line or an error message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from auction.errors import DomainError
from web.bidding.schemas import MemberSecret, Opening, Threshold
from web.lib.fields import filled
from web.lib.form_errors import FormErrors, Translate
from web.lib.i18n.catalogs import N_
from web.lib.i18n.domain_messages import Refusal

CHOOSE_MEMBERS = N_("Choose at least two commission members.")
PASSPHRASES_DIFFER = N_("The two passphrases differ; type them again.")
NO_PASSPHRASES = N_("Commission members enter their passphrases here to open the bids.")


def member_field(member_id: int) -> str:
    return f"member_{member_id}"


def passphrase_field(member_id: int) -> str:
    return f"passphrase_{member_id}"


def repeat_field(member_id: int) -> str:
    return f"passphrase_again_{member_id}"


@dataclass(frozen=True, slots=True)
class Commission:
    threshold: int
    # (user id, passphrase) pairs; kept out of repr so that no traceback or debug print shows them.
    members: list[tuple[int, str]] = field(repr=False)


class TypedTwice(MemberSecret):
    """A member's passphrase, typed twice: a mistyped one would lock this member's share for good."""

    # Left blank, it differs from the first: the member is asked to type it again, as for a typo.
    passphrase_again: str = Field(default="", repr=False)

    @model_validator(mode="after")
    def _typed_the_same(self) -> TypedTwice:
        if self.passphrase != self.passphrase_again:
            raise PydanticCustomError("passphrases_differ", "The two passphrases differ.")
        return self


class CommissionForm(BaseModel):
    """The key ceremony's form: the API's publication shape (``SealedPublication``), each passphrase typed twice."""

    threshold: Threshold
    members: Annotated[list[TypedTwice], Field(min_length=2, max_length=255)]


def ceremony_values(data: Mapping[str, str], candidates: Sequence[int]) -> dict[str, str]:
    """What the ceremony form shows again after a problem: the threshold and the chosen members, no secrets."""
    values = {"threshold": str(data.get("threshold", "")).strip()}
    values.update({member_field(m): "on" for m in candidates if data.get(member_field(m)) == "on"})
    return values


def parse_commission(
    data: Mapping[str, str], candidates: Sequence[int], gettext: Translate
) -> tuple[Commission | None, FormErrors]:
    errors = FormErrors()
    chosen = [m for m in candidates if data.get(member_field(m)) == "on"]
    members = [{"member_id": m, **_renamed(filled(data, (passphrase_field(m), repeat_field(m))), m)} for m in chosen]
    if len(chosen) < 2:
        # pydantic checks a list's length only once its items are valid; the person hears both at once.
        errors.add("members", gettext(CHOOSE_MEMBERS))
    # The threshold goes as typed, blank included: a blank is "not a whole number", as it always was.
    submitted = {"threshold": str(data.get("threshold", "")).strip(), "members": members}
    try:
        form = CommissionForm.model_validate(submitted)
    except ValidationError as invalid:
        errors.add_validation_error(
            invalid,
            gettext,
            overrides={"members": CHOOSE_MEMBERS, **{repeat_field(m): PASSPHRASES_DIFFER for m in chosen}},
            field_of=lambda loc: _member_field(loc, chosen),
        )
        return None, errors
    return Commission(form.threshold, [(m.member_id, m.passphrase) for m in form.members]), errors


def parse_opening(
    data: Mapping[str, str], members: Sequence[int], gettext: Translate
) -> tuple[list[tuple[int, str]] | None, FormErrors]:
    """The passphrases typed by the members present; the service says whether they are enough."""
    errors = FormErrors()
    present = [m for m in members if data.get(passphrase_field(m))]
    releases = [{"member_id": m, "passphrase": str(data[passphrase_field(m)])} for m in present]
    try:
        opening = Opening.model_validate({"releases": releases})
    except ValidationError as invalid:
        errors.add_validation_error(
            invalid, gettext, overrides={"releases": NO_PASSPHRASES}, field_of=lambda loc: _member_field(loc, present)
        )
        return None, errors
    return [(m.member_id, m.passphrase) for m in opening.releases], errors


def _renamed(typed: dict[str, str], member_id: int) -> dict[str, str]:
    """A member's two form fields under the model's names."""
    names = {passphrase_field(member_id): "passphrase", repeat_field(member_id): "passphrase_again"}
    return {names[name]: value for name, value in typed.items()}


def _member_field(loc: tuple[int | str, ...], members: Sequence[int]) -> str | None:
    """The form field of an error: a member's passphrase fields are named after the member."""
    if len(loc) < 2 or not isinstance(loc[1], int):
        return str(loc[0]) if loc else None  # the threshold, or the list of members as a whole
    member_id = members[loc[1]]
    if len(loc) == 2 or loc[2] == "passphrase_again":
        return repeat_field(member_id)  # the two did not match, or the second was left blank
    return passphrase_field(member_id)


# Refusals about one member's passphrase; they name the member, whose field shows them.
PASSPHRASE_REFUSALS = frozenset(
    {
        "commission.passphrase_too_short",
        "commission.passphrase_not_text",
        "commission.passphrase_wrong",
        "commission.share_altered",
    }
)


def add_commission_refusal(errors: FormErrors, refusal: DomainError, explain: Callable[[Refusal], str]) -> None:
    """A refusal about one member's passphrase goes to that member's field; any other to its own field."""
    member = refusal.params.get("member_id")
    if refusal.code in PASSPHRASE_REFUSALS and isinstance(member, int):
        errors.add(passphrase_field(member), explain(refusal))
    else:
        errors.add_refusal(refusal, explain)
