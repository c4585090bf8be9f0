"""The rules of law a municipality trades under: one setting per rule, published in every lot it puts up.

Standard library only. The platform enforces these at publication and while an auction runs, and the replay
checks every lot against the rules its `lot.published` entry carries, which must be the municipality's rules
last recorded in the ledger (`municipality.rules`). docs/rules.md gives each default's legal source.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime, time, timedelta, timezone
from typing import Any

# Kyrgyzstan has kept UTC+6 all year since 2005: a fixed offset needs no time-zone database in the verifier.
BISHKEK = timezone(timedelta(hours=6), "Asia/Bishkek")

# Bounds a municipality's setting must stay within, whatever its council decides: (low, high) inclusive.
BOUNDS: dict[str, tuple[int, int]] = {
    # 0 only for drills and test platforms that run auctions at once; every lot's `rules` shows it to all.
    "notice_days": (0, 90),
    "reopen_days": (1, 60),
    "workday_start_minute": (0, 24 * 60 - 1),
    "workday_end_minute": (1, 24 * 60),
    "max_lease_months": (1, 49 * 12),
    "max_repeat_reduction_pct": (0, 90),
    "max_attempts": (1, 10),
    "cancel_lockout_hours": (0, 30 * 24),
    "sign_days": (1, 60),
    "payment_days": (1, 365),
    "refund_days": (1, 60),
    "max_instalments": (1, 60),
}


@dataclass(frozen=True, slots=True)
class MunicipalRules:
    """One municipality's settings; the defaults are the ones Kyrgyz law gives (docs/rules.md)."""

    # Whole days between publication and the applications deadline.
    notice_days: int = 20
    # An amendment of a material term reopens applications for at least this many days.
    reopen_days: int = 3
    # Bidding opens and closes on working days (Monday 0 … Sunday 6) within these minutes of the day, Bishkek time.
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    workday_start_minute: int = 9 * 60
    workday_end_minute: int = 18 * 60
    # A lease term may not exceed this; a longer one needs a new council decision.
    max_lease_months: int = 36
    # A repeat auction after a failure may cut the starting price by at most this much per round.
    max_repeat_reduction_pct: int = 25
    # Auctions of one property in all: the first and its repeats.
    max_attempts: int = 3
    # No cancellation of a published or running auction this close to its close, except by a recorded order.
    cancel_lockout_hours: int = 24
    # The winner signs within this many days of the award.
    sign_days: int = 10
    # A sale is paid within this many days of signing (or by the instalment schedule).
    payment_days: int = 30
    # Deposits of bidders who did not win are refunded within this many days of the result.
    refund_days: int = 5
    # A sale may be paid in at most this many instalments (1: in one payment).
    max_instalments: int = 1

    def payload(self) -> dict[str, Any]:
        """The rules as the ledger records them (`lot.published.rules`, `municipality.rules.rules`)."""
        data = asdict(self)
        data["workdays"] = list(self.workdays)
        return data

    def within_working_hours(self, moment: datetime) -> bool:
        """Whether an instant falls on a working day within working hours, in Bishkek."""
        local = moment.astimezone(BISHKEK)
        seconds = (local - local.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
        start, end = self.workday_start_minute * 60, self.workday_end_minute * 60
        return local.weekday() in self.workdays and start <= seconds <= end

    @property
    def workday_hours(self) -> tuple[time, time]:
        """The working hours as clock times, for people."""
        start, end = self.workday_start_minute, self.workday_end_minute
        return time(start // 60, start % 60), time(end // 60 % 24, end % 60)


DEFAULT_RULES = MunicipalRules()
RULE_NAMES = frozenset(field.name for field in fields(MunicipalRules))


class RulesInvalid(ValueError):
    """A rules object the ledger or an administrator gave that is not a valid set of municipal rules."""


def parse_rules(data: object) -> MunicipalRules:
    """Exactly the fields of `MunicipalRules`, each an integer within its bounds; anything else is refused."""
    if not isinstance(data, dict):
        raise RulesInvalid("rules must be an object")
    missing, unknown = RULE_NAMES - data.keys(), data.keys() - RULE_NAMES
    if missing or unknown:
        raise RulesInvalid(f"rules fields differ: missing {sorted(missing)}, unknown {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, (low, high) in BOUNDS.items():
        value = data[name]
        if type(value) is not int or not low <= value <= high:
            raise RulesInvalid(f"rules.{name} must be an integer from {low} to {high}")
        values[name] = value
    days = data["workdays"]
    if (
        not isinstance(days, list)
        or not days
        or any(type(day) is not int or not 0 <= day <= 6 for day in days)
        or days != sorted(set(days))
    ):
        raise RulesInvalid("rules.workdays must be distinct weekday numbers 0-6 (Monday 0), ascending")
    if values["workday_start_minute"] >= values["workday_end_minute"]:
        raise RulesInvalid("rules.workday_start_minute must come before rules.workday_end_minute")
    return MunicipalRules(workdays=tuple(days), **values)


# The platform-chain entry that records a municipality's rules whenever an administrator sets them.
MUNICIPALITY_RULES_KIND = "municipality.rules"
MUNICIPALITY_RULES_FIELDS = frozenset({"municipality", "code", "rules"})


def municipality_rules_problem(actor: str, payload: dict[str, Any]) -> str | None:
    """What is wrong with a `municipality.rules` body (its fields are exactly the table's), or None."""
    if not actor.startswith("admin:"):
        return f"actor {actor!r} is not an administrator"
    municipality, code = payload["municipality"], payload["code"]
    if type(municipality) is not int or municipality < 1:
        return "municipality must be a positive integer"
    if not isinstance(code, str) or not 1 <= len(code) <= 64:
        return "code must be a string of 1 to 64 characters"
    try:
        parse_rules(payload["rules"])
    except RulesInvalid as invalid:
        return str(invalid)
    return None
