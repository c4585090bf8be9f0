"""Bidders register on the site: every problem shown next to its field, re-rendered with 422 for htmx to swap."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from tests.kit.world import World
from tests.web.conftest import Client, csrf_of, field_error

HTMX = {"HX-Request": "true"}


def registration(token: str, **changes: str) -> dict[str, str]:
    form = {
        "_csrf_token": token,
        "email": "Aigul@Example.kg",
        "password": "a long enough secret",
        "full_name": "Айгүл Асанова",
        "bidder_kind": "individual",
        "identity_number": "21506198500077",
        "preferred_language": "ky",
    }
    form.update(changes)
    return form


async def test_the_form_is_labelled_and_carries_a_csrf_token(client: Client, world: World) -> None:
    page = await client.get("/register?lang=en")
    assert page.status_code == 200
    assert 'name="_csrf_token"' in page.text
    for field in ("email", "password", "full_name", "bidder_kind", "identity_number", "preferred_language"):
        assert f'<label for="f-{field}">' in page.text
    assert 'hx-post="/register"' in page.text
    assert '<option value="en" selected>English</option>' in page.text


async def test_a_bidder_registers_and_is_logged_in_in_their_language(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    token = await csrf_of(client, "/register")
    response = await client.post("/register", data=registration(token), follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    home = await client.get("/")
    assert "Айгүл Асанова" in home.text
    assert '<html lang="ky">' in home.text
    async with sessions() as session:
        user = await session.scalar(select(User).where(User.email == "aigul@example.kg"))
    assert user is not None
    assert (user.role, user.preferred_language) == ("bidder", "ky")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Введите адрес e-mail, например name@example.kg."),
        ({"password": "short"}, "password", "Не меньше 10 знаков."),
        ({"identity_number": "12345"}, "identity_number", "Персональный номер — 14 цифр"),
        ({"bidder_kind": "legal_entity"}, "identity_number", "ИНН юридического лица — 14 цифр"),
        ({"full_name": ""}, "full_name", "Заполните это поле."),
        ({"bidder_kind": "robot"}, "bidder_kind", "Выберите один из вариантов."),
    ],
)
async def test_problems_are_shown_next_to_their_field(
    client: Client, world: World, changes: dict[str, str], field: str, message: str
) -> None:
    token = await csrf_of(client, "/register")
    response = await client.post("/register", data=registration(token, **changes))
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    described = re.search(rf'<(input|select) id="f-{field}"[^>]*>', response.text)
    assert described
    assert f"f-{field}-error" in described.group(0)
    assert 'aria-invalid="true"' in described.group(0)
    # What was typed comes back, except the password.
    if field != "email":
        assert 'value="Aigul@Example.kg"' in response.text
    assert "a long enough secret" not in response.text


async def test_htmx_swaps_in_the_form_alone_with_its_problems(client: Client, world: World) -> None:
    token = await csrf_of(client, "/register")
    response = await client.post(
        "/register", data=registration(token, password="short"), headers={**HTMX, "x-csrftoken": token}
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<form id="register-form"')
    assert "<html" not in response.text
    assert 'class="error-summary" role="alert"' in response.text


async def test_htmx_registration_redirects_on_the_client(client: Client, world: World) -> None:
    token = await csrf_of(client, "/register")
    response = await client.post("/register", data=registration(token), headers={**HTMX, "x-csrftoken": token})
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/"


async def test_an_existing_email_is_shown_at_the_email_field(client: Client, world: World) -> None:
    token = await csrf_of(client, "/register")
    response = await client.post("/register", data=registration(token, email="bidder@test.kg"))
    assert response.status_code == 422
    assert field_error(response.text, "email") == "Учётная запись с таким e-mail уже есть — войдите."


async def test_registration_without_the_csrf_token_is_refused(client: Client, world: World) -> None:
    form = registration("")
    del form["_csrf_token"]
    response = await client.post("/register", data=form)
    assert response.status_code == 403


async def test_next_leads_back_only_within_the_site(client: Client, world: World) -> None:
    token = await csrf_of(client, "/register")
    local = await client.post("/register", data=registration(token, next="/lots/1"), follow_redirects=False)
    assert local.headers["location"] == "/lots/1"
    client.cookies.clear()
    token = await csrf_of(client, "/register")
    away = await client.post(
        "/register",
        data=registration(token, email="other@example.kg", next="//evil.example/"),
        follow_redirects=False,
    )
    assert away.headers["location"] == "/"
