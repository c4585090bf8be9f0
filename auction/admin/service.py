"""The administrator's use cases; each writes its change and its line in the action log in the caller's transaction.

The web console acts as a logged-in administrator; the command line on the server acts as the operator, who may
name an administrator account (``--as``) or, to make the very first one, none. Either way the log says who.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role, User
from auction.accounts.permissions import require_role
from auction.accounts.service import AccountService
from auction.admin.models import AdminAction, AdminActionKind
from auction.admin.schemas import PAYMENT_DETAILS_MAX, STAFF_ROLES, StaffAccount
from auction.clock import Clock
from auction.errors import Conflict, InvalidInput, NotFound
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.municipal_rules import MunicipalRules
from auction.municipalities.contacts import clean_contacts
from auction.municipalities.models import Municipality
from auction.municipalities.service import MunicipalityService
from auction.municipalities.units_csv import KnownUnit, UnitProblem, UnitRow, parse_units

LOG_PAGE_MAX = 200
UNIT_FIELDS = ("name_ky", "name_ru", "name_en", "classifier_code", "owns_property")


class InvalidUnits(InvalidInput):
    """The units file has problems; each names its line. Nothing was imported."""

    def __init__(self, problems: list[UnitProblem]) -> None:
        super().__init__("units.file_invalid", count=len(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an administrator's account, or the operator at the server's command line (no account)."""

    user: User | None
    via: str

    @classmethod
    def admin(cls, user: User | None, via: str = "console") -> Actor:
        return cls(require_role(user, Role.ADMIN), via)

    @classmethod
    def command_line(cls, user: User | None = None) -> Actor:
        """The operator; with an account, that account must be an administrator's."""
        return cls(require_role(user, Role.ADMIN) if user is not None else None, "cli")


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, in a dry run, would do): codes created and updated, and the file's problems."""

    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[UnitProblem] = field(default_factory=list)
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class LoggedAction:
    """One line of the log as inspectors read it: the action and who did it (none: the server's command line)."""

    action: AdminAction
    actor: User | None


class AdminService:
    def __init__(self, session: AsyncSession, clock: Clock, ledger: LedgerWriter | None = None) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.municipalities = MunicipalityService(session, ledger)

    async def import_units(
        self, actor: Actor, data: bytes, *, filename: str = "units.csv", dry_run: bool = False
    ) -> ImportReport:
        """Create or update the file's units by code, all or nothing; a dry run only reports.

        Re-importing the same file changes nothing (and says so). A unit missing from the file is left as it is:
        units are never deleted, since lots and accounts refer to them.
        """
        everything = list(await self.session.scalars(select(Municipality)))
        by_code = {m.code: m for m in everything}
        code_of = {m.id: m.code for m in everything}
        known = {
            m.code: KnownUnit(m.level, code_of.get(m.parent_id) if m.parent_id else None, m.classifier_code)
            for m in everything
        }
        parsed = parse_units(data, known)
        report = ImportReport(rows=len(parsed.rows), problems=parsed.problems, dry_run=dry_run)
        if parsed.problems:
            if dry_run:
                return report
            raise InvalidUnits(parsed.problems)
        for row in parsed.rows:
            unit = by_code.get(row.code)
            if unit is None:
                report.created.append(row.code)
            elif _differs(unit, row, known[row.code].parent_code):
                report.updated.append(row.code)
            else:
                report.unchanged += 1
        if dry_run:
            return report
        try:
            await self._write(parsed.rows, by_code)
        except IntegrityError as clash:
            # Another import committed the same codes since this one read the units: its caller's transaction
            # rolls back, and the file is to be checked again against what is there now.
            raise Conflict("units.import_concurrent") from clash
        digest = hashlib.sha256(data).hexdigest()
        details = {
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "sha256": digest,
        }
        await self._log(actor, AdminActionKind.UNITS_IMPORTED, filename[:300] or "units.csv", details)
        return report

    async def _write(self, rows: list[UnitRow], by_code: dict[str, Municipality]) -> None:
        # Classifier codes are unique: one that moves from a unit to another would collide half-way through.
        moving = [
            by_code[row.code]
            for row in rows
            if row.code in by_code and by_code[row.code].classifier_code != row.classifier_code
        ]
        for unit in moving:
            unit.classifier_code = None
        if moving:
            await self.session.flush()
        pending: set[str] = set()  # codes of new units not flushed yet: they have no id
        for row in rows:  # parents first: a parent new in this file gets its id before its children need it
            if row.parent_code in pending:
                await self.session.flush()
                pending.clear()
            parent_id = by_code[row.parent_code].id if row.parent_code is not None else None
            found = by_code.get(row.code)
            if found is None:
                unit = Municipality(code=row.code, level=row.level)
                self.session.add(unit)
                by_code[row.code] = unit
                pending.add(row.code)
            else:
                unit = found
            unit.parent_id = parent_id
            for name in UNIT_FIELDS:
                setattr(unit, name, getattr(row, name))
        await self.session.flush()

    async def create_account(self, actor: Actor, account: StaffAccount) -> tuple[User, str]:
        """A staff account and its password (the one given, or a new one-time one to hand over)."""
        if account.role not in STAFF_ROLES:
            raise InvalidInput("admin.role_not_staff", field="role")
        municipality: Municipality | None = None
        if account.role == Role.OFFICER:
            if not account.municipality:
                raise InvalidInput("account.officer_municipality", field="municipality")
            municipality = await self.municipalities.by_code(account.municipality)
            if not municipality.owns_property:
                raise InvalidInput("admin.officer_needs_property_owner", field="municipality", code=municipality.code)
        elif account.municipality:
            raise InvalidInput("account.officer_municipality", field="municipality")
        password = account.password or one_time_password()
        user = await AccountService(self.session, self.clock).create_user(
            email=account.email,
            password=password,
            full_name=account.full_name,
            role=account.role,
            municipality_id=municipality.id if municipality else None,
        )
        details: dict[str, Any] = {
            "user": user.id,
            "role": str(user.role),
            "full_name": user.full_name,
            "municipality": municipality.code if municipality else None,
            "password": "given" if account.password else "one-time",
        }
        if account.duty:
            details["duty"] = account.duty
        await self._log(actor, AdminActionKind.ACCOUNT_CREATED, user.email, details)
        return user, password

    async def set_active(self, actor: Actor, user_id: int, *, active: bool) -> User:
        """Deactivate a staff account (it can no longer log in or use its tokens) or bring it back."""
        user = await self.session.scalar(select(User).where(User.id == user_id).with_for_update())
        if user is None or user.role not in STAFF_ROLES:
            raise NotFound("admin.account_not_found", user_id=user_id)
        if not active and actor.user is not None and actor.user.id == user.id:
            raise InvalidInput("admin.self_deactivation")
        if user.is_active != active:
            user.is_active = active
            kind = AdminActionKind.ACCOUNT_REACTIVATED if active else AdminActionKind.ACCOUNT_DEACTIVATED
            await self._log(actor, kind, user.email, {"user": user.id, "role": str(user.role)})
        return user

    async def set_rules(self, actor: Actor, municipality_id: int, rules: MunicipalRules) -> Municipality:
        """The municipality's rules, recorded in the ledger by MunicipalityService and logged here."""
        admin = require_role(actor.user, Role.ADMIN)  # the ledger entry names the administrator's account
        before = (await self.municipalities.get(municipality_id)).rules_in_force().payload()
        unit = await self.municipalities.set_rules(admin, municipality_id, rules)
        after = rules.payload()
        changed = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
        await self._log(actor, AdminActionKind.RULES_SET, unit.code, {"rules": after, "changed": changed})
        return unit

    async def set_payment_details(self, actor: Actor, municipality_id: int, text: str) -> Municipality:
        """Where bidders pay deposits and winners pay, as every lot of the municipality shows it."""
        cleaned = text.strip().replace("\r\n", "\n")
        if not cleaned or len(cleaned) > PAYMENT_DETAILS_MAX:
            raise InvalidInput("admin.payment_details_invalid", field="payment_details", max_length=PAYMENT_DETAILS_MAX)
        unit = await self._locked(municipality_id)
        previous, unit.payment_details = unit.payment_details, cleaned
        if previous != cleaned:
            details = {"payment_details": cleaned, "previous": previous}
            await self._log(actor, AdminActionKind.PAYMENT_DETAILS_SET, unit.code, details)
        return unit

    async def set_contacts(self, actor: Actor, municipality_id: int, raw: Mapping[str, str]) -> Municipality:
        """How citizens reach the unit's office, as its public contact page shows it."""
        contacts = clean_contacts(raw)
        unit = await self._locked(municipality_id)
        previous = {name: getattr(unit, name) for name in contacts}
        if previous != contacts:
            for name, value in contacts.items():
                setattr(unit, name, value)
            await self._log(actor, AdminActionKind.CONTACTS_SET, unit.code, {"contacts": contacts})
        return unit

    async def set_owns_property(self, actor: Actor, municipality_id: int, *, owns: bool) -> Municipality:
        """Whether the unit owns property it may put up: only such a unit gets officers."""
        unit = await self._locked(municipality_id)
        if unit.owns_property != owns:
            unit.owns_property = owns
            await self._log(actor, AdminActionKind.OWNS_PROPERTY_SET, unit.code, {"owns_property": owns})
        return unit

    async def administrator(self, email: str) -> User | None:
        """The active administrator with this e-mail, whom the command line may act as."""
        return await self.session.scalar(
            select(User).where(User.email == email.strip().lower(), User.role == Role.ADMIN, User.is_active.is_(True))
        )

    async def staff(self) -> list[User]:
        """Officers, inspectors and administrators, by role then name."""
        rows = await self.session.scalars(
            select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.role, User.full_name, User.id)
        )
        return list(rows)

    async def log(self, *, before: int | None = None, limit: int = 50) -> tuple[list[LoggedAction], int | None]:
        """The log newest first, ``limit`` lines older than the line ``before``; and where the next page starts."""
        limit = max(1, min(limit, LOG_PAGE_MAX))
        query = select(AdminAction, User).outerjoin(User, User.id == AdminAction.actor_id)
        if before is not None:
            query = query.where(AdminAction.id < before)
        rows = (await self.session.execute(query.order_by(AdminAction.id.desc()).limit(limit + 1))).all()
        page = [LoggedAction(action, actor) for action, actor in rows[:limit]]
        return page, (page[-1].action.id if len(rows) > limit else None)

    async def _locked(self, municipality_id: int) -> Municipality:
        found = await self.session.scalar(
            select(Municipality).where(Municipality.id == municipality_id).with_for_update()
        )
        if found is None:
            raise NotFound("municipality.not_found", field="municipality_id", municipality_id=municipality_id)
        return found

    async def _log(self, actor: Actor, kind: AdminActionKind, target: str, details: dict[str, Any]) -> None:
        self.session.add(
            AdminAction(
                actor_id=actor.user.id if actor.user else None,
                at=self.clock.now(),
                action=kind,
                target=target,
                details={"via": actor.via, **details},
            )
        )
        await self.session.flush()


def one_time_password() -> str:
    """A password to hand over once (16 URL-safe characters, 96 bits); its holder changes it."""
    return secrets.token_urlsafe(12)


def _differs(unit: Municipality, row: UnitRow, parent_code: str | None) -> bool:
    return parent_code != row.parent_code or any(getattr(unit, name) != getattr(row, name) for name in UNIT_FIELDS)
