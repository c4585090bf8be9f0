"""The administrator's forms: a municipality's rules (each with its default and bounds), staff accounts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from auction.accounts.models import Role
from auction.admin.schemas import StaffAccount
from auction.ledger.verifier.municipal_rules import BOUNDS, DEFAULT_RULES, MunicipalRules, RulesInvalid, parse_rules
from web.lib.form_errors import FormErrors, Translate
from web.lib.i18n.catalogs import N_

WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))
CLOCK = re.compile(r"([01]?[0-9]|2[0-4]):([0-5][0-9])")
MINUTE_RULES = frozenset({"workday_start_minute", "workday_end_minute"})
# What each rule means, in the words of the form; the units are in the label.
RULE_LABELS: Mapping[str, str] = {
    "notice_days": N_("Notice: days from publication to the applications deadline"),
    "reopen_days": N_("Days applications reopen after a material change"),
    "workdays": N_("Working days"),
    "workday_start_minute": N_("Working hours start (Bishkek time)"),
    "workday_end_minute": N_("Working hours end (Bishkek time)"),
    "max_lease_months": N_("Longest lease term, months"),
    "max_repeat_reduction_pct": N_("Largest cut of the starting price per repeat auction, per cent"),
    "max_attempts": N_("Auctions of one property at most (the first and its repeats)"),
    "cancel_lockout_hours": N_("No cancellation this many hours before the close"),
    "sign_days": N_("Days the winner has to sign"),
    "payment_days": N_("Days to pay for a sale after signing"),
    "refund_days": N_("Days to refund the deposits of those who did not win"),
    "max_instalments": N_("Instalments of a sale at most"),
}
OUT_OF_BOUNDS = N_("Enter a whole number from %(low)s to %(high)s.")
NOT_A_TIME = N_("Enter a time of day such as 09:00.")
NO_WORKDAY = N_("Choose at least one working day.")
HOURS_BACKWARDS = N_("Working hours must end after they start.")
# The console's account kinds: a commission member is an officer of the municipality, recorded as such.
ACCOUNT_KINDS: Mapping[str, tuple[Role, str | None]] = {
    "officer": (Role.OFFICER, None),
    "commission_member": (Role.OFFICER, "commission member"),
    "inspector": (Role.INSPECTOR, None),
    "admin": (Role.ADMIN, None),
}
ACCOUNT_KIND_LABELS: Mapping[str, str] = {
    "officer": N_("Municipal officer"),
    "commission_member": N_("Commission member (an officer of the municipality)"),
    "inspector": N_("Inspector"),
    "admin": N_("Administrator"),
}
ACCOUNT_FIELDS = ("email", "full_name", "kind", "municipality")


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One rule as the form shows it: its field, label, default and bounds, as text for people."""

    name: str
    label: str
    default: str
    low: str
    high: str


def clock_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def rule_rows() -> list[RuleRow]:
    """Every rule but the working days (a row of checkboxes), in the order the law's defaults are declared."""
    rows = []
    for name, label in RULE_LABELS.items():
        if name == "workdays":
            continue
        low, high = BOUNDS[name]
        default = getattr(DEFAULT_RULES, name)
        if name in MINUTE_RULES:
            rows.append(RuleRow(name, label, clock_time(default), clock_time(low), clock_time(high)))
        else:
            rows.append(RuleRow(name, label, str(default), str(low), str(high)))
    return rows


def rules_values(rules: MunicipalRules) -> dict[str, str]:
    """The form's values for rules in force."""
    values = {name: str(value) for name, value in rules.payload().items() if name != "workdays"}
    for name in MINUTE_RULES:
        values[name] = clock_time(getattr(rules, name))
    for day in rules.workdays:
        values[f"workday_{day}"] = "on"
    return values


def parse_rules_form(data: Mapping[str, str], gettext: Translate) -> tuple[MunicipalRules | None, FormErrors]:
    """The rules as submitted, or each field's problem in the reader's language."""
    errors = FormErrors()
    values: dict[str, Any] = {}
    for name, (low, high) in BOUNDS.items():
        text = str(data.get(name, "")).strip()
        if name in MINUTE_RULES:
            match = CLOCK.fullmatch(text)
            minutes = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
            if not low <= minutes <= high:
                errors.add(name, gettext(NOT_A_TIME))
            values[name] = minutes
            continue
        if not re.fullmatch(r"[0-9]{1,6}", text) or not low <= int(text) <= high:
            errors.add(name, gettext(OUT_OF_BOUNDS) % {"low": low, "high": high})
            continue
        values[name] = int(text)
    values["workdays"] = [day for day in range(7) if data.get(f"workday_{day}")]
    if not values["workdays"]:
        errors.add("workdays", gettext(NO_WORKDAY))
    if errors:
        return None, errors
    try:
        return parse_rules(values), errors
    except RulesInvalid:
        # Each value is within its bounds, so what is left is the order of the working hours.
        errors.add("workday_end_minute", gettext(HOURS_BACKWARDS))
        return None, errors


def parse_account_form(data: Mapping[str, str], gettext: Translate) -> tuple[StaffAccount | None, FormErrors]:
    errors = FormErrors()
    kind = ACCOUNT_KINDS.get(str(data.get("kind", "")))
    if kind is None:
        errors.add("kind", gettext(N_("Choose one of the options.")))
        return None, errors
    role, duty = kind
    try:
        account = StaffAccount(
            email=str(data.get("email", "")),
            full_name=str(data.get("full_name", "")),
            role=role,
            municipality=str(data.get("municipality", "")) or None,
            duty=duty,
        )
    except ValidationError as invalid:
        errors.add_validation_error(invalid, gettext, overrides={"email": N_("Enter an e-mail address.")})
        return None, errors
    return account, errors
