"""The administrator's console and the administrative log over HTTP: who may see them, CSRF, and each form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.admin.models import AdminAction
from auction.municipalities.models import Municipality
from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, csrf_of, field_error, log_in

ROOT = Path(__file__).resolve().parents[2]
PILOTS = (ROOT / "data" / "municipalities" / "pilots.csv").read_bytes()


async def log_lines(sessions: async_sessionmaker[AsyncSession]) -> list[AdminAction]:
    async with sessions() as session:
        return list(await session.scalars(select(AdminAction).order_by(AdminAction.id)))


async def test_anonymous_visitors_are_sent_to_log_in(client: Client, world: World) -> None:
    response = await client.get("/admin/accounts", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Faccounts"
    log = await client.get("/inspect/admin-log", follow_redirects=False)
    assert log.status_code == 303


@pytest.mark.parametrize("who", ["officer_tokmok", "inspector", "bidder"])
async def test_only_administrators_open_the_console(client: Client, world: World, who: str) -> None:
    await log_in(client, who)
    tokmok = world.municipality["tokmok"]
    for path in ("/admin/", "/admin/accounts", f"/admin/units/{tokmok}"):
        response = await client.get(f"{path}?lang=en")
        assert response.status_code == 403, path
        assert "The administrator's console is for administrators." in Page(response.text).text("main")
    token = await csrf_of(client, "/")
    refused = await client.post(
        f"/admin/units/{tokmok}/owns-property", data={"_csrf_token": token, "owns_property": "false"}
    )
    assert refused.status_code == 403
    async with world.sessions() as session:
        unit = await session.get(Municipality, tokmok)
        assert unit is not None
        assert unit.owns_property


async def test_forms_without_the_csrf_token_are_refused(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await log_in(client, "admin")
    form = {"kind": "inspector", "full_name": "Forged Inspector", "email": "forged@test.kg", "municipality": ""}
    response = await client.post("/admin/accounts", data=form)
    assert response.status_code == 403
    async with sessions() as session:
        assert await session.scalar(select(User).where(User.email == "forged@test.kg")) is None
    assert await log_lines(sessions) == []


async def test_the_units_tree_and_an_import_checked_first(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await log_in(client, "admin")
    page = await client.get("/admin/?lang=en")
    assert page.status_code == 200
    rows = Page(page.text).texts("table.units-table tbody tr")
    assert any(row.startswith("Tokmok City City tokmok") for row in rows), rows
    token = Page(page.text).csrf_token()

    broken = PILOTS + "town,city,kara-too,Г,Г,T,,true\n".encode()
    checked = await client.post(
        "/admin/units/import?lang=en",
        data={"_csrf_token": token, "action": "import"},
        files={"file": ("units.csv", broken, "text/csv")},
    )
    assert checked.status_code == 422
    problems = Page(checked.text).texts("#import-problems tr.problem")
    assert problems == [
        "16 parent_code A unit of level city cannot be under 'kara-too', which is of level aiyl_okmotu."
    ]

    preview = await client.post(
        "/admin/units/import?lang=en",
        data={"_csrf_token": token, "action": "check"},
        files={"file": ("pilots.csv", PILOTS, "text/csv")},
    )
    assert preview.status_code == 200
    assert "Importing it would create 0 units and update" in Page(preview.text).text("#import-preview")
    assert await log_lines(sessions) == []  # neither the refused import nor the check changed anything

    imported = await client.post(
        "/admin/units/import",
        data={"_csrf_token": token, "action": "import"},
        files={"file": ("pilots.csv", PILOTS, "text/csv")},
        follow_redirects=False,
    )
    assert imported.status_code == 303
    assert re.fullmatch(r"/admin/\?created=0&updated=\d+&unchanged=\d+", imported.headers["location"])
    assert [line.target for line in await log_lines(sessions)] == ["pilots.csv"]


async def test_a_units_rules_payment_details_and_property_through_its_page(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await log_in(client, "admin")
    naryn = world.municipality["naryn"]
    page = await client.get(f"/admin/units/{naryn}?lang=en")
    assert page.status_code == 200
    shown = Page(page.text)
    notice = shown.texts("table.rules-table tbody tr")[0]
    assert (
        notice == "Notice: days from publication to the applications deadline 20 0 – 90"
    )  # default and bounds (0: drill rules)
    assert shown.value("#f-workday_start_minute") == "09:00"
    token = shown.csrf_token()
    form = {
        "_csrf_token": token,
        "notice_days": "30",
        "reopen_days": "3",
        "workday_start_minute": "08:30",
        "workday_end_minute": "17:00",
        "max_lease_months": "36",
        "max_repeat_reduction_pct": "25",
        "max_attempts": "3",
        "cancel_lockout_hours": "24",
        "sign_days": "10",
        "payment_days": "30",
        "refund_days": "5",
        "max_instalments": "1",
        **{f"workday_{day}": "on" for day in range(5)},
    }
    refused = await client.post(f"/admin/units/{naryn}/rules?lang=en", data={**form, "notice_days": "365"})
    assert refused.status_code == 422
    assert field_error(refused.text, "notice_days") == "Enter a whole number from 0 to 90."
    backwards = await client.post(f"/admin/units/{naryn}/rules?lang=en", data={**form, "workday_end_minute": "08:00"})
    assert field_error(backwards.text, "workday_end_minute") == "Working hours must end after they start."
    saved = await client.post(f"/admin/units/{naryn}/rules", data=form, follow_redirects=False)
    assert saved.status_code == 303
    paid = await client.post(
        f"/admin/units/{naryn}/payment-details",
        data={"_csrf_token": token, "payment_details": "Мэрия г. Нарын; банк; р/с 1"},
        follow_redirects=False,
    )
    assert paid.status_code == 303
    empty = await client.post(
        f"/admin/units/{naryn}/payment-details?lang=en", data={"_csrf_token": token, "payment_details": " "}
    )
    assert empty.status_code == 422
    assert field_error(empty.text, "payment_details").startswith("Enter the payment details")
    marked = await client.post(
        f"/admin/units/{naryn}/owns-property", data={"_csrf_token": token, "owns_property": "false"}
    )
    assert marked.status_code == 200  # followed the redirect to the unit's page
    async with sessions() as session:
        unit = await session.get(Municipality, naryn)
        assert unit is not None
        assert unit.rules_in_force().notice_days == 30
        assert unit.rules_in_force().workday_start_minute == 8 * 60 + 30
        assert unit.payment_details == "Мэрия г. Нарын; банк; р/с 1"
        assert not unit.owns_property
    assert [line.action for line in await log_lines(sessions)] == [
        "municipality.rules_set",
        "municipality.payment_details_set",
        "municipality.owns_property_set",
    ]


async def test_accounts_are_created_with_a_one_time_password_and_deactivated(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await log_in(client, "admin")
    token = await csrf_of(client, "/admin/accounts")
    form = {"_csrf_token": token, "kind": "commission_member", "full_name": "Aigul Sydykova", "email": "aigul@test.kg"}
    no_place = await client.post("/admin/accounts?lang=en", data={**form, "municipality": ""})
    assert no_place.status_code == 422
    assert (
        field_error(no_place.text, "municipality") == "An officer belongs to exactly one municipality; others to none."
    )
    created = await client.post("/admin/accounts?lang=en", data={**form, "municipality": "tokmok"})
    assert created.status_code == 200
    password = Page(created.text).text("#created-account code.password")
    assert len(password) >= 16
    listed = Page(created.text).texts('tr.account[data-email="aigul@test.kg"] td')
    assert listed[:5] == ["Aigul Sydykova", "aigul@test.kg", "Municipal officer", "Tokmok City", "Active"]

    async with sessions() as session:
        aigul = await session.scalar(select(User).where(User.email == "aigul@test.kg"))
        assert aigul is not None
    await client.post("/logout", data={"_csrf_token": token})
    login = await csrf_of(client)
    works = await client.post(
        "/login",
        data={"email": "aigul@test.kg", "password": password, "_csrf_token": login},
        follow_redirects=False,
    )
    assert works.status_code == 303
    await client.post("/logout", data={"_csrf_token": login})

    await log_in(client, "admin")
    token = await csrf_of(client, "/admin/accounts")
    off = await client.post(
        f"/admin/accounts/{aigul.id}/deactivate", data={"_csrf_token": token}, follow_redirects=False
    )
    assert off.status_code == 303
    own = await client.post(
        f"/admin/accounts/{world.user_ids['admin']}/deactivate?lang=en", data={"_csrf_token": token}
    )
    assert own.status_code == 422
    assert "You cannot deactivate your own account" in Page(own.text).text("main")
    actions = [(line.action, line.target) for line in await log_lines(sessions)]
    assert actions == [("account.created", "aigul@test.kg"), ("account.deactivated", "aigul@test.kg")]


async def test_the_log_is_visible_to_inspectors_as_a_page_and_json(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await log_in(client, "admin")
    token = await csrf_of(client, "/admin/")
    chui = world.municipality["chui"]
    for owns in ("false", "true", "false"):
        await client.post(f"/admin/units/{chui}/owns-property", data={"_csrf_token": token, "owns_property": owns})
    await client.post("/logout", data={"_csrf_token": token})

    await log_in(client, "inspector")
    page = await client.get("/inspect/admin-log?lang=en")
    assert page.status_code == 200
    rows = Page(page.text).all("tr.admin-action")
    assert [row["data-action"] for row in rows] == ["municipality.owns_property_set"] * 3
    assert "Admin admin@test.kg" in Page(page.text).texts("tr.admin-action")[0]

    api = await client.get("/api/v1/inspect/admin-log?limit=2", headers=world.auth("inspector"))
    assert api.status_code == 200
    body = api.json()
    assert [a["details"]["owns_property"] for a in body["actions"]] == [False, True]  # newest first
    assert body["actions"][0]["actor"]["email"] == "admin@test.kg"
    older = await client.get(f"/api/v1/inspect/admin-log?before={body['next_before']}", headers=world.auth("admin"))
    assert [a["details"]["owns_property"] for a in older.json()["actions"]] == [False]
    assert older.json()["next_before"] is None

    assert (await client.get("/api/v1/inspect/admin-log", headers=world.auth("bidder"))).status_code == 403
    assert (await client.get("/api/v1/inspect/admin-log", headers=world.auth("officer_tokmok"))).status_code == 403
    assert (await client.get("/api/v1/inspect/admin-log")).status_code == 401


@pytest.mark.parametrize("who", ["officer_tokmok", "bidder"])
async def test_the_log_page_is_refused_to_others(client: Client, world: World, who: str) -> None:
    await log_in(client, who)
    response = await client.get("/inspect/admin-log?lang=en")
    assert response.status_code == 403
    assert "The administrative action log is for inspectors and administrators." in Page(response.text).text("main")
