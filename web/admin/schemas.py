"""The administrative log as the API answers it: every action's details in one concrete shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from auction.accounts.models import Role
from auction.admin.service import LoggedAction


class ActorOut(BaseModel):
    id: int
    full_name: str
    email: str
    role: Role


class RulesOut(BaseModel):
    """A municipality's rules, as `municipality.rules` ledger entries record them (docs/rules.md)."""

    notice_days: int
    reopen_days: int
    workdays: list[int]
    workday_start_minute: int
    workday_end_minute: int
    max_lease_months: int
    max_repeat_reduction_pct: int
    max_attempts: int
    cancel_lockout_hours: int
    sign_days: int
    payment_days: int
    refund_days: int
    max_instalments: int


class RuleChange(BaseModel):
    rule: str
    before: int | list[int]
    after: int | list[int]


class AdminActionDetails(BaseModel):
    """What changed; which fields are present depends on the action (docs/municipalities.md has the table)."""

    via: str = Field(description="console or cli")
    # units.imported
    rows: int | None = None
    created: list[str] | None = Field(default=None, description="codes of the units created")
    updated: list[str] | None = Field(default=None, description="codes of the units updated")
    unchanged: int | None = None
    sha256: str | None = Field(default=None, description="of the imported file")
    # account.created, account.deactivated, account.reactivated
    user: int | None = None
    role: str | None = None
    full_name: str | None = None
    municipality: str | None = Field(default=None, description="an officer's municipality code")
    password: str | None = Field(default=None, description="given or one-time; never the password")
    duty: str | None = None
    # municipality.rules_set
    rules: RulesOut | None = None
    changed: list[RuleChange] | None = None
    # municipality.payment_details_set
    payment_details: str | None = None
    previous: str | None = None
    # municipality.contacts_set
    contacts: dict[str, str | None] | None = None
    # municipality.owns_property_set
    owns_property: bool | None = None

    @classmethod
    def of(cls, details: dict[str, Any]) -> AdminActionDetails:
        shaped = dict(details)
        if isinstance(shaped.get("changed"), dict):
            shaped["changed"] = [
                {"rule": name, "before": pair[0], "after": pair[1]} for name, pair in shaped["changed"].items()
            ]
        return cls.model_validate(shaped)


class AdminActionOut(BaseModel):
    id: int
    at: datetime = Field(description="When, UTC.")
    action: str = Field(description="What was done: units.imported, account.created, municipality.rules_set, ...")
    target: str = Field(description="What it was done to: a unit's code, an account's e-mail, a file's name.")
    details: AdminActionDetails
    actor: ActorOut | None = Field(description="The administrator; null: the operator at the server's command line.")

    @classmethod
    def of(cls, logged: LoggedAction) -> AdminActionOut:
        action, actor = logged.action, logged.actor
        return cls(
            id=action.id,
            at=action.at,
            action=str(action.action),
            target=action.target,
            details=AdminActionDetails.of(action.details),
            actor=None
            if actor is None
            else ActorOut(id=actor.id, full_name=actor.full_name, email=actor.email, role=actor.role),
        )


class AdminLogOut(BaseModel):
    actions: list[AdminActionOut]
    next_before: int | None = Field(description="Pass as ?before= for the next (older) page; null on the last.")
