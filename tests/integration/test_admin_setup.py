"""Setting up municipalities as an administrator: the units import is an all-or-nothing, idempotent upsert that
scales to the whole country, and every administrative action is logged with the change, in its transaction."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from auction.accounts.models import Role, User
from auction.admin.models import AdminAction, AdminActionKind
from auction.admin.schemas import StaffAccount
from auction.admin.service import Actor, AdminService, InvalidUnits
from auction.db.engine import transaction
from auction.errors import Conflict, InvalidInput, PermissionDenied
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.municipal_rules import MunicipalRules
from auction.municipalities.models import Municipality
from auction.municipalities.units_csv import HEADER
from tests.kit.drive import Drive
from tests.kit.world import World

ROOT = Path(__file__).resolve().parents[2]
PILOTS = (ROOT / "data" / "municipalities" / "pilots.csv").read_bytes()
HEAD = ",".join(HEADER)


def country(regions: int = 7, districts: int = 6, aiyl_okmotu: int = 14) -> bytes:
    """A file the size of the whole country (about 600 units), children listed before their parents."""
    lines = [HEAD]
    for r in range(regions):
        for d in range(districts):
            for a in range(aiyl_okmotu):
                code = 41700000000000 + r * 1_000_000 + d * 1000 + a + 1
                lines.append(f"ao-{r}-{d}-{a},aiyl_okmotu,d-{r}-{d},Айыл {a},Айыл {a},Aiyl {a},{code},true")
            lines.append(f"d-{r}-{d},district,r-{r},Район {d},Район {d},District {d},,true")
        lines.append(f"r-{r},region,,Облус {r},Область {r},Region {r},,false")
    return ("\n".join(lines) + "\n").encode()


class acting:  # noqa: N801 - reads as a sentence: async with acting(world) as (service, actor)
    """An administrator's service in one committed transaction."""

    def __init__(self, world: World, who: str = "admin") -> None:
        self.world, self.who = world, who

    async def __aenter__(self) -> tuple[AdminService, Actor]:
        self._scope = transaction(self.world.sessions)
        session = await self._scope.__aenter__()
        try:
            user = await session.get(User, self.world.user_ids[self.who])
            actor = Actor.admin(user)
        except BaseException as refused:
            await self._scope.__aexit__(type(refused), refused, refused.__traceback__)
            raise
        ledger = LedgerWriter(session, self.world.keys, self.world.clock)
        return AdminService(session, self.world.clock, ledger), actor

    async def __aexit__(self, *exc: Any) -> None:
        await self._scope.__aexit__(*exc)


async def log_lines(world: World) -> list[AdminAction]:
    async with world.sessions() as session:
        return list(await session.scalars(select(AdminAction).order_by(AdminAction.id)))


async def unit_count(world: World) -> int:
    async with world.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Municipality)) or 0)


async def test_importing_the_pilots_over_the_seed_then_again_changes_nothing_the_second_time(world: World) -> None:
    async with acting(world) as (service, actor):
        first = await service.import_units(actor, PILOTS, filename="pilots.csv")
    # The seed has the same codes; the file adds the classifier codes and marks the grouping regions.
    assert first.created == []
    assert set(first.updated) >= {"chui", "nookat", "tyup"}
    async with acting(world) as (service, actor):
        again = await service.import_units(actor, PILOTS, filename="pilots.csv")
    assert (again.created, again.updated, again.unchanged) == ([], [], 14)
    async with world.sessions() as session:
        chui = await session.scalar(select(Municipality).where(Municipality.code == "chui"))
        assert chui is not None
        assert (chui.classifier_code, chui.owns_property) == ("41708000000000", False)
    lines = await log_lines(world)
    assert [(line.action, line.target, line.actor_id) for line in lines] == [
        (AdminActionKind.UNITS_IMPORTED, "pilots.csv", world.user_ids["admin"])
    ] * 2
    assert lines[1].details["updated"] == []
    assert lines[1].details["unchanged"] == 14
    assert lines[0].details["via"] == "console"
    assert len(lines[0].details["sha256"]) == 64


async def test_a_file_with_one_bad_line_imports_nothing_and_logs_nothing(world: World) -> None:
    before = await unit_count(world)
    bad = country(regions=1, districts=2, aiyl_okmotu=3) + b"town,city,ao-0-0-0,A,B,C,,true\n"
    with pytest.raises(InvalidUnits) as refused:
        async with acting(world) as (service, actor):
            await service.import_units(actor, bad)
    assert [(p.line, p.problem.code) for p in refused.value.problems] == [(11, "units.parent_level_wrong")]
    assert await unit_count(world) == before
    assert await log_lines(world) == []
    async with acting(world) as (service, actor):
        preview = await service.import_units(actor, bad, dry_run=True)
    assert [p.line for p in preview.problems] == [11]
    assert await unit_count(world) == before


async def test_the_whole_country_imports_in_a_few_statements_and_again_as_unchanged(world: World, backend: str) -> None:
    data = country()
    before = await unit_count(world)
    statements: list[str] = []
    async with acting(world) as (service, actor):
        bind = service.session.bind
        assert bind is not None
        sync_engine = bind.sync_engine  # an engine or the test's shared connection: both know their engine

        def count(_: Any, __: Any, statement: str, *rest: Any) -> None:
            statements.append(statement.split(None, 1)[0].upper())

        event.listen(sync_engine, "before_cursor_execute", count)
        try:
            report = await service.import_units(actor, data, filename="country.csv")
        finally:
            event.remove(sync_engine, "before_cursor_execute", count)
    assert len(report.created) == 7 * 6 * 15 + 7 == 637
    assert await unit_count(world) == before + 637
    # One read of the units, inserts batched by depth (regions, districts, aiyl okmotu): no query per row.
    assert statements.count("SELECT") <= 2, statements
    if backend == "postgres":
        # PostgreSQL takes the new units in batches with RETURNING; SQLite, in process, gets one INSERT each.
        assert len(statements) < 100, len(statements)
    async with acting(world) as (service, actor):
        again = await service.import_units(actor, data)
    assert (again.created, again.updated, again.unchanged) == ([], [], 637)
    async with world.sessions() as session:
        ao = await session.scalar(select(Municipality).where(Municipality.code == "ao-6-5-13"))
        district = await session.scalar(select(Municipality).where(Municipality.code == "d-6-5"))
        assert ao is not None
        assert district is not None
        assert ao.parent_id == district.id


async def test_an_import_moves_classifier_codes_between_units_in_one_go(world: World) -> None:
    two = f"{HEAD}\nchui,region,,Ч,Ч,C,111,false\ntalas,region,,Т,Т,T,222,true\n".encode()
    swapped = f"{HEAD}\nchui,region,,Ч,Ч,C,222,false\ntalas,region,,Т,Т,T,111,true\n".encode()
    async with acting(world) as (service, actor):
        await service.import_units(actor, two)
    async with acting(world) as (service, actor):
        report = await service.import_units(actor, swapped)
    assert sorted(report.updated) == ["chui", "talas"]


async def test_staff_accounts_are_created_logged_and_deactivated(world: World) -> None:
    async with acting(world) as (service, actor):
        officer, password = await service.create_account(
            actor,
            StaffAccount(
                email="Asel@Tokmok.kg",
                full_name="Asel Bekova",
                role=Role.OFFICER,
                municipality="tokmok",
                duty="commission member",
            ),
        )
        officer_id = officer.id
    assert len(password) >= 16
    async with acting(world) as (service, actor):
        await service.set_active(actor, officer_id, active=False)
    async with world.sessions() as session:
        stored = await session.get(User, officer_id)
        assert stored is not None
        assert not stored.is_active
    created, deactivated = await log_lines(world)
    assert (created.action, created.target) == (AdminActionKind.ACCOUNT_CREATED, "asel@tokmok.kg")
    assert created.details == {
        "via": "console",
        "user": officer_id,
        "role": "officer",
        "full_name": "Asel Bekova",
        "municipality": "tokmok",
        "password": "one-time",
        "duty": "commission member",
    }
    assert password not in str(created.details)
    assert deactivated.action == AdminActionKind.ACCOUNT_DEACTIVATED


@pytest.mark.parametrize(
    ("account", "code"),
    [
        (StaffAccount(email="a@b.kg", full_name="No Place", role=Role.OFFICER), "account.officer_municipality"),
        (
            StaffAccount(email="a@b.kg", full_name="Grouping", role=Role.OFFICER, municipality="chui-x"),
            "municipality.code_unknown",
        ),
        (
            StaffAccount(email="a@b.kg", full_name="Inspector", role=Role.INSPECTOR, municipality="tokmok"),
            "account.officer_municipality",
        ),
        (StaffAccount(email="a@b.kg", full_name="Bidder", role=Role.BIDDER), "admin.role_not_staff"),
    ],
)
async def test_accounts_that_break_a_rule_are_refused_and_not_logged(
    world: World, account: StaffAccount, code: str
) -> None:
    with pytest.raises(InvalidInput if code != "municipality.code_unknown" else Exception) as refused:
        async with acting(world) as (service, actor):
            await service.create_account(actor, account)
    assert getattr(refused.value, "code", None) == code
    assert await log_lines(world) == []


async def test_an_officer_needs_a_unit_that_owns_property(world: World) -> None:
    async with acting(world) as (service, actor):
        await service.set_owns_property(actor, world.municipality["chui"], owns=False)
    with pytest.raises(InvalidInput) as refused:
        async with acting(world) as (service, actor):
            await service.create_account(
                actor, StaffAccount(email="x@chui.kg", full_name="Chui Officer", role=Role.OFFICER, municipality="chui")
            )
    assert refused.value.code == "admin.officer_needs_property_owner"
    assert [line.action for line in await log_lines(world)] == [AdminActionKind.OWNS_PROPERTY_SET]


async def test_an_administrator_cannot_deactivate_themselves_and_others_cannot_act(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        async with acting(world) as (service, actor):
            await service.set_active(actor, world.user_ids["admin"], active=False)
    assert refused.value.code == "admin.self_deactivation"
    for who in ("officer_tokmok", "inspector", "bidder"):
        with pytest.raises(PermissionDenied):
            async with acting(world, who):
                pass
    assert await log_lines(world) == []


async def test_rules_and_payment_details_are_logged_with_what_changed(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    naryn = world.municipality["naryn"]
    async with acting(world) as (service, actor):
        await service.set_rules(actor, naryn, MunicipalRules(notice_days=30))
        await service.set_payment_details(actor, naryn, "  Мэрия г. Нарын; банк; р/с 1  ")
    rules, payment = await log_lines(world)
    assert (rules.action, rules.target) == (AdminActionKind.RULES_SET, "naryn")
    assert rules.details["changed"] == {"notice_days": [20, 30]}
    assert payment.details == {"via": "console", "payment_details": "Мэрия г. Нарын; банк; р/с 1", "previous": None}
    with pytest.raises(InvalidInput):
        async with acting(world) as (service, actor):
            await service.set_payment_details(actor, naryn, "   ")
    await drive.verify(tmp_path)  # the rules entry the set_rules call made is in a valid ledger


async def test_a_refused_rules_change_leaves_no_log_line(world: World) -> None:
    # A municipality that does not exist: set_rules refuses after nothing was written, and the log stays empty.
    with pytest.raises(Exception) as refused:
        async with acting(world) as (service, actor):
            await service.set_rules(actor, 999_999, MunicipalRules())
    assert getattr(refused.value, "code", None) == "municipality.not_found"
    assert await log_lines(world) == []


async def test_the_log_reads_newest_first_a_page_at_a_time(world: World) -> None:
    async with acting(world) as (service, actor):
        for owns in (False, True, False, True, False):
            await service.set_owns_property(actor, world.municipality["chui"], owns=owns)
    async with world.sessions() as session:
        service = AdminService(session, world.clock)
        first, after = await service.log(limit=2)
        second, after2 = await service.log(before=after, limit=2)
        third, last = await service.log(before=after2, limit=2)
    ids = [line.action.id for line in first + second + third]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == 5
    assert last is None
    assert first[0].actor is not None
    assert first[0].actor.email == "admin@test.kg"


@pytest.mark.own_database
async def test_two_imports_at_once_one_wins_and_the_other_is_told_to_check_again(world: World, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite takes one writer at a time: the second import waits for the first to end instead")
    data = country(regions=1, districts=1, aiyl_okmotu=2)
    first, second = acting(world), acting(world)
    service_a, actor_a = await first.__aenter__()
    await service_a.import_units(actor_a, data)  # written, not committed yet
    service_b, actor_b = await second.__aenter__()
    racing = asyncio.create_task(service_b.import_units(actor_b, data))
    await asyncio.sleep(0.3)
    assert not racing.done()  # it waits on the first import's new codes
    await first.__aexit__(None, None, None)
    with pytest.raises(Conflict) as refused:
        await racing
    await second.__aexit__(type(refused.value), refused.value, None)
    assert refused.value.code == "units.import_concurrent"
    assert [line.target for line in await log_lines(world)] == ["units.csv"]  # the winner's line only
