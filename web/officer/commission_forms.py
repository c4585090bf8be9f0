"""The sealed-bid commission's forms: the publication ceremony and the opening after the close.

Each member types their own passphrase into a field named after them. The passphrases go straight to the
service and nowhere else: they are never put back into a page, a log line or an error message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from auction.errors import DomainError
from web.lib.form_errors import FormErrors, Translate
from web.lib.i18n.catalogs import N_
from web.lib.i18n.domain_messages import Refusal

FILL_IN = N_("Fill this in.")
CHOOSE_MEMBERS = N_("Choose at least two commission members.")
PASSPHRASES_DIFFER = N_("The two passphrases differ; type them again.")
WHOLE_NUMBER = N_("Enter a whole number.")
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
    if len(chosen) < 2:
        errors.add("members", gettext(CHOOSE_MEMBERS))
    members = []
    for member_id in chosen:
        passphrase = str(data.get(passphrase_field(member_id), ""))
        if not passphrase:
            errors.add(passphrase_field(member_id), gettext(FILL_IN))
        elif passphrase != str(data.get(repeat_field(member_id), "")):
            # A mistyped passphrase would lock this member's share for good: ask for it twice.
            errors.add(repeat_field(member_id), gettext(PASSPHRASES_DIFFER))
        members.append((member_id, passphrase))
    try:
        threshold = int(str(data.get("threshold", "")).strip())
    except ValueError:
        errors.add("threshold", gettext(WHOLE_NUMBER))
        return None, errors
    if errors:
        return None, errors
    return Commission(threshold, members), errors


def parse_opening(
    data: Mapping[str, str], members: Sequence[int], gettext: Translate
) -> tuple[list[tuple[int, str]] | None, FormErrors]:
    """The passphrases typed by the members present; the service says whether they are enough."""
    errors = FormErrors()
    releases = [(m, str(data[passphrase_field(m)])) for m in members if data.get(passphrase_field(m))]
    if not releases:
        errors.add("releases", gettext(NO_PASSPHRASES))
        return None, errors
    return releases, errors


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
