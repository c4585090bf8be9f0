"""Problems with a submitted form, each attached to the field the person must change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from auction.errors import DomainError
from auction.lots.service import InvalidTerms
from web.lib.i18n.catalogs import N_
from web.lib.i18n.domain_messages import Refusal

Translate = Callable[[str], str]

# pydantic's error types, in words a person filling in a form can act on.
VALIDATION_MESSAGES: dict[str, str] = {
    "missing": N_("Fill this in."),
    "string_too_short": N_("Too short: at least %(min_length)s characters."),
    "string_too_long": N_("Too long: at most %(max_length)s characters."),
    "string_pattern_mismatch": N_("This is not in the expected form."),
    "enum": N_("Choose one of the options."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "decimal_parsing": N_("Enter a number such as 12.5."),
    "decimal_max_places": N_("Use at most %(decimal_places)s digits after the point."),
    "greater_than": N_("Must be more than %(gt)s."),
    "greater_than_equal": N_("Must be at least %(ge)s."),
    "less_than_equal": N_("Must be at most %(le)s."),
    "timezone_aware": N_("Enter a date and time."),
    "datetime_parsing": N_("Enter a date and time."),
}


@dataclass
class FormErrors:
    """Messages by field name (already in the reader's language), plus those that belong to no field."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    # The log's signed refusal (achyk-refusal/v1) of a bidder's action, offered for download beside the problem.
    signed_refusal: str | None = None

    def add(self, name: str | None, message: str) -> None:
        if name:
            messages = self.fields.setdefault(name, [])
            if message not in messages:
                messages.append(message)
        elif message not in self.general:
            self.general.append(message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def outside(self, shown: Iterable[str]) -> list[str]:
        """Messages of fields the form does not show, so they are not lost: they go to the summary."""
        visible = set(shown)
        return [m for name, messages in self.fields.items() if name not in visible for m in messages]

    def add_validation_error(
        self,
        error: ValidationError,
        gettext: Translate,
        overrides: dict[str, str] | None = None,
        field_of: Callable[[tuple[int | str, ...]], str | None] | None = None,
    ) -> None:
        """pydantic's complaints, by field; ``overrides`` gives a field a message of its own.

        ``field_of`` names the form field of an error's location, for models whose shape is not the form's
        (a list of members, each with fields of its own); by default it is the location's first part.
        """
        for item in error.errors(include_url=False):
            name = field_of(item["loc"]) if field_of else (str(item["loc"][0]) if item["loc"] else None)
            if name in self.fields:
                continue  # the form already said what is wrong with this field, more precisely
            if overrides and name in overrides and item["type"] != "missing":
                self.add(name, gettext(overrides[name]))
                continue
            template = VALIDATION_MESSAGES.get(item["type"])
            if template is None:
                self.add(name, str(item["msg"]))
                continue
            context: dict[str, Any] = dict(item.get("ctx") or {})
            self.add(name, gettext(template) % {k: str(v) for k, v in context.items()})

    async def attempt(
        self, db_session: AsyncSession, action: Awaitable[object], explain: Callable[[Refusal], str]
    ) -> bool:
        """Run one domain action in a savepoint: True if it was done; a refusal becomes errors and leaves nothing."""
        try:
            async with db_session.begin_nested():
                await action
        except DomainError as refusal:
            self.add_refusal(refusal, explain)
            return False
        return True

    def add_refusal(self, refusal: DomainError, explain: Callable[[Refusal], str]) -> None:
        """A domain refusal: every problem of invalid terms at its field, else at the refusal's field."""
        if refusal.refusal is not None:
            self.signed_refusal = refusal.refusal
        if isinstance(refusal, InvalidTerms):
            for problem in refusal.problems:
                self.add(problem.field, explain(problem))
        else:
            self.add(refusal.field, explain(refusal))
