"""``auction admin ...``: set up a real municipality from the server's shell, the first administrator included.

Every command runs in one transaction with its line in the administrative action log. Bad input is a message on
stderr and exit 2, like the rest of the ``auction`` command; nothing is changed then.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role
from auction.admin.schemas import StaffAccount
from auction.admin.service import Actor, AdminService, ImportReport, InvalidUnits
from auction.clock import SystemClock
from auction.errors import DomainError
from auction.ledger.verifier.municipal_rules import DEFAULT_RULES, MunicipalRules, RulesInvalid, parse_rules
from auction.settings import Settings

if TYPE_CHECKING:
    from auction.ledger.admission import LedgerWriter

T = TypeVar("T")
ROLES = (Role.OFFICER.value, Role.INSPECTOR.value, Role.ADMIN.value)
# Rules given as a list or a time of day on the command line; every other rule is a whole number.
WORKDAYS = "workdays"


class BadInput(Exception):
    """What the operator must change; printed, exit 2."""


def add_commands(commands: Any, upgrade: Callable[[Settings], None]) -> None:
    """The ``admin`` command group, added to the ``auction`` parser; ``upgrade`` migrates an embedded database."""
    admin = commands.add_parser("admin", help="set up the platform: administrative units, staff accounts, settings")
    admin_commands = admin.add_subparsers(title="admin commands")

    def runner(action: Callable[[argparse.Namespace, Settings], int]) -> Callable[[argparse.Namespace, Settings], int]:
        return command(action, upgrade)

    imported = admin_commands.add_parser(
        "import-units", help="create or update administrative units from a CSV file (docs/municipalities.md)"
    )
    imported.add_argument("file", help="the UTF-8 CSV file")
    imported.add_argument("--dry-run", action="store_true", help="check the file and report, change nothing")
    imported.add_argument("--as", dest="as_email", default="", help="the administrator's e-mail the log names")
    imported.set_defaults(run=runner(_import_units))

    create = admin_commands.add_parser(
        "create-user", help="create an officer, inspector or administrator account (the first administrator too)"
    )
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True, help="the person's full name")
    create.add_argument("--municipality", default="", help="an officer's municipality code (one owning property)")
    create.add_argument("--commission", action="store_true", help="an officer made to sit on commissions")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin instead of making a one-time one"
    )
    create.add_argument("--as", dest="as_email", default="", help="the administrator's e-mail the log names")
    create.set_defaults(run=runner(_create_user))

    rules = admin_commands.add_parser("set-rules", help="set a municipality's rules (recorded in the ledger)")
    rules.add_argument("code", help="the municipality's code")
    rules.add_argument("--as", dest="as_email", required=True, help="the administrator's e-mail")
    rules.add_argument("--defaults", action="store_true", help="start from the law's defaults, not the rules in force")
    for rule in fields(MunicipalRules):
        option = "--" + rule.name.replace("_", "-")
        if rule.name == WORKDAYS:
            rules.add_argument(option, metavar="DAYS", help="working weekdays, Monday 0: e.g. 0,1,2,3,4")
        else:
            rules.add_argument(option, metavar="N", type=int, help=f"default {getattr(DEFAULT_RULES, rule.name)}")
    rules.set_defaults(run=runner(_set_rules))

    payment = admin_commands.add_parser(
        "set-payment-details", help="set where a municipality's bidders and winners pay (shown on every lot)"
    )
    payment.add_argument("code", help="the municipality's code")
    payment.add_argument("--text", required=True, help="recipient, bank, account, purpose")
    payment.add_argument("--as", dest="as_email", default="", help="the administrator's e-mail the log names")
    payment.set_defaults(run=runner(_set_payment_details))


def command(
    action: Callable[[argparse.Namespace, Settings], int], upgrade: Callable[[Settings], None]
) -> Callable[[argparse.Namespace, Settings], int]:
    """A platform command's ``run``: an embedded database migrated first, and BadInput printed on stderr, exit 2.
    ``auction inspection-key`` runs this way too."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        if settings.is_embedded:
            upgrade(settings)  # a fresh install's first command may be this one
        try:
            return action(args, settings)
        except BadInput as bad:
            print(bad, file=sys.stderr)
            return 2

    return run


def run_in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """One transaction on the configured database; a refusal rolls it back and becomes BadInput."""
    from auction.db.engine import opened, transaction

    async def go() -> T:
        async with opened(settings.resolved_database_url) as sessions, transaction(sessions) as session:
            return await work(session)

    try:
        return asyncio.run(go())
    except InvalidUnits as invalid:
        raise BadInput("\n".join([invalid.message, *map(str, invalid.problems)])) from invalid
    except DomainError as refusal:
        raise BadInput(refusal.message) from refusal


async def _actor(session: AsyncSession, email: str) -> Actor:
    if not email:
        return Actor.command_line()
    user = await AdminService(session, SystemClock()).administrator(email)
    if user is None:
        raise BadInput(f"--as {email}: there is no active administrator with this e-mail.")
    return Actor.command_line(user)


def ledger_writer(session: AsyncSession, settings: Settings) -> LedgerWriter:
    """The configured ledger writer for a command's transaction, as the web app's (web/lib/deps.py)."""
    from auction.ledger.admission import LedgerWriter
    from auction.ledger.witness_config import witness_config

    return LedgerWriter(
        session,
        settings.ledger_keys(),
        SystemClock(),
        backlog_limit=settings.ledger_backlog_limit,
        max_merge_delay_seconds=settings.ledger_max_merge_delay_seconds,
        witnesses=witness_config(settings),
    )


def _service(session: AsyncSession, settings: Settings) -> AdminService:
    ledger = ledger_writer(session, settings)
    return AdminService(session, ledger.clock, ledger)


def _import_units(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as unreadable:
        raise BadInput(f"{path}: {unreadable.strerror or unreadable}") from unreadable

    async def work(session: AsyncSession) -> ImportReport:
        actor = await _actor(session, args.as_email)
        return await _service(session, settings).import_units(actor, data, filename=path.name, dry_run=args.dry_run)

    report = run_in_transaction(settings, work)
    if report.problems:  # a dry run reports them; a real import raised them
        print(f"{len(report.problems)} problems; an import would change nothing:", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    created, updated = len(report.created), len(report.updated)
    if args.dry_run:
        print(f"The file is correct: an import would create {created} units and update {updated}; ", end="")
    else:
        print(f"Imported: created {created} units, updated {updated}; ", end="")
    print(f"{report.unchanged} unchanged.")
    return 0


def _create_user(args: argparse.Namespace, settings: Settings) -> int:
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    try:
        account = StaffAccount(
            email=args.email,
            full_name=args.name,
            role=Role(args.role),
            municipality=args.municipality or None,
            password=password,
            duty="commission member" if args.commission else None,
        )
    except ValidationError as invalid:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in invalid.errors())
        raise BadInput(problems.replace("full_name", "--name")) from invalid

    async def work(session: AsyncSession) -> tuple[str, str, str]:
        actor = await _actor(session, args.as_email)
        user, made = await _service(session, settings).create_account(actor, account)
        return user.email, str(user.role), made

    email, role, made = run_in_transaction(settings, work)
    print(f"Created {role} {email}.")
    if not args.password_stdin:
        print(f"One-time password (shown once; hand it over in person): {made}")
    return 0


def _set_rules(args: argparse.Namespace, settings: Settings) -> int:
    given: dict[str, Any] = {}
    for rule in fields(MunicipalRules):
        value = getattr(args, rule.name)
        if value is None:
            continue
        if rule.name == WORKDAYS:
            try:
                value = [int(day) for day in str(value).split(",") if day.strip()]
            except ValueError as bad:
                raise BadInput("--workdays takes weekday numbers, Monday 0, separated by commas: 0,1,2,3,4") from bad
        given[rule.name] = value

    async def work(session: AsyncSession) -> MunicipalRules:
        actor = await _actor(session, args.as_email)
        service = _service(session, settings)
        unit = await service.municipalities.by_code(args.code)
        start = DEFAULT_RULES if args.defaults else unit.rules_in_force()
        try:
            rules = parse_rules({**start.payload(), **given})
        except RulesInvalid as invalid:
            raise BadInput(str(invalid)) from invalid
        await service.set_rules(actor, unit.id, rules)
        return rules

    rules = run_in_transaction(settings, work)
    shown = ", ".join(f"{name}={value}" for name, value in rules.payload().items())
    print(f"Rules of {args.code} set and recorded in the ledger: {shown}")
    return 0


def _set_payment_details(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session: AsyncSession) -> None:
        actor = await _actor(session, args.as_email)
        service = _service(session, settings)
        unit = await service.municipalities.by_code(args.code)
        await service.set_payment_details(actor, unit.id, args.text)

    run_in_transaction(settings, work)
    print(f"Payment details of {args.code} set.")
    return 0
