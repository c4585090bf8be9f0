"""Registration, API tokens, the login throttle, and the website's session login with CSRF."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from auction.clock import FrozenClock
from tests.kit.world import PASSWORD, World, lot_terms

Client = AsyncTestClient[Litestar]


REGISTRATION = {
    "email": "Aigul@Example.kg",
    "password": "a long enough secret",
    "full_name": "Aigul Asanova",
    "bidder_kind": "individual",
    "identity_number": "21506198500077",
}


async def test_bidder_registers_and_gets_a_token(client: Client, world: World) -> None:
    created = await client.post("/api/v1/accounts", json=REGISTRATION)
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "bidder"
    assert created.json()["email"] == "aigul@example.kg"
    token = await client.post(
        "/api/v1/auth/token", json={"email": "aigul@example.kg", "password": "a long enough secret"}
    )
    assert token.status_code == 201, token.text
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['token']}"})
    assert me.json()["full_name"] == "Aigul Asanova"
    again = await client.post("/api/v1/accounts", json=REGISTRATION)
    assert again.status_code == 409
    assert "already exists" in again.json()["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"identity_number": "12345"}, "identity_number"),
        ({"bidder_kind": "legal_entity"}, "identity_number"),
        ({"password": "short"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"role": "admin"}, "role"),
    ],
)
async def test_bad_registrations_name_the_field(
    client: Client, world: World, change: dict[str, str], field: str
) -> None:
    response = await client.post("/api/v1/accounts", json={**REGISTRATION, **change})
    assert response.status_code == 422, response.text
    assert any(field in p["field"] for p in response.json()["problems"])


async def test_login_is_throttled_per_email_across_requests(client: Client, world: World) -> None:
    credentials = {"email": "bidder@test.kg", "password": "wrong password"}
    for _ in range(5):
        response = await client.post("/api/v1/auth/token", json=credentials)
        assert response.status_code == 401
    locked = await client.post("/api/v1/auth/token", json={**credentials, "password": PASSWORD})
    assert locked.status_code == 429
    assert "wait 15 minutes" in locked.json()["message"]
    assert locked.headers["retry-after"] == "900"


async def test_throttle_window_expires(client: Client, world: World, clock: FrozenClock) -> None:
    from datetime import timedelta

    for _ in range(5):
        await client.post("/api/v1/auth/token", json={"email": "bidder@test.kg", "password": "nope nope"})
    clock.advance(timedelta(minutes=16))
    ok = await client.post("/api/v1/auth/token", json={"email": "bidder@test.kg", "password": PASSWORD})
    assert ok.status_code == 201


def csrf_token(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


async def test_web_login_needs_the_csrf_token(client: Client, world: World) -> None:
    form = await client.get("/login?lang=en")  # the site speaks Russian unless asked otherwise
    token = csrf_token(form.text)
    forged = await client.post("/login", data={"email": "bidder@test.kg", "password": PASSWORD})
    assert forged.status_code == 403
    wrong = await client.post("/login", data={"email": "bidder@test.kg", "password": "wrong!", "_csrf_token": token})
    assert wrong.status_code == 401
    assert "wrong" in wrong.text
    ok = await client.post(
        "/login",
        data={"email": "bidder@test.kg", "password": PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    cookie = ok.headers.get("set-cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    home = await client.get("/")
    assert "Bidder" in home.text


async def test_titles_are_escaped_in_pages(client: Client, world: World, clock: FrozenClock) -> None:
    auth = world.auth("officer_tokmok")
    body = lot_terms(clock.now(), title_en="<script>alert(1)</script>")
    lot = (await client.post("/api/v1/lots", json=body, headers=auth)).json()
    await client.post(f"/api/v1/lots/{lot['id']}/publish", headers=auth)
    page = await client.get(f"/lots/{lot['id']}?lang=en")  # the English title is the one shown in English
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
