"""Server-side sessions: logout and "sign out everywhere" end a session for whoever holds a copy of its cookie, a
session has an absolute lifetime and an idle limit (on the injected clock), a login always gets a new id, and CSRF
tokens are bound to the session, with cross-origin changes refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from litestar.testing import AsyncTestClient

from auction.clock import FrozenClock
from auction.settings import Settings
from tests.kit.page import Page
from tests.kit.world import PASSWORD, World
from tests.web.conftest import Client, csrf_of, log_in

SESSION = "achyk_session"
# The names tests.kit.world.build_world gives its bidders.
BIDDER, BIDDER2 = "Bidder", "Nurlan Beishenov"


def signed_in_as(html: str) -> str:
    """The name the layout shows for the signed-in account, or "" for an anonymous visitor."""
    page = Page(html)
    if not page.has("li.who"):
        return ""
    return page.text("li.who").removesuffix(page.text("li.who .role")).strip()


async def who_with(client: Client, cookie: str) -> str:
    """Whom a browser holding only this session cookie is signed in as."""
    client.cookies.clear()
    client.cookies.set(SESSION, cookie)
    return signed_in_as((await client.get("/?lang=en")).text)


async def session_of(client: Client, who: str) -> str:
    """A fresh browser's login as `who`; its session cookie."""
    client.cookies.clear()
    await log_in(client, who)
    cookie = client.cookies.get(SESSION)
    assert cookie
    return cookie


@pytest.fixture
async def strict_client(settings: Settings, clock: FrozenClock) -> AsyncIterator[Client]:
    """The app with the production session limits (the shared fixture relaxes them for tests that move days)."""
    from web.app import create_app

    # The production defaults (README): a session lasts 12 hours at most and 2 hours unused.
    strict = settings.model_copy(update={"session_lifetime_seconds": 12 * 3600, "session_idle_seconds": 2 * 3600})
    async with AsyncTestClient(app=create_app(strict, clock)) as test_client:
        yield test_client


async def test_a_copied_cookie_is_worthless_after_logout(client: Client, world: World) -> None:
    stolen = await session_of(client, "bidder")
    assert await who_with(client, stolen) == BIDDER

    client.cookies.set(SESSION, stolen)
    token = csrf_token_of(await client.get("/"))
    out = await client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303

    assert await who_with(client, stolen) == ""
    refused = await client.get("/officer/", follow_redirects=False)
    assert refused.status_code in {302, 303}


def csrf_token_of(response: object) -> str:
    return Page(response.text).csrf_token()  # type: ignore[attr-defined]


async def test_sign_out_everywhere_ends_the_other_sessions(client: Client, world: World) -> None:
    phone, laptop, here = [await session_of(client, "bidder") for _ in range(3)]
    other = await session_of(client, "bidder2")

    client.cookies.clear()
    client.cookies.set(SESSION, here)
    listed = Page((await client.get("/account/sessions?lang=en")).text)
    assert len(listed.all("#session-list tbody tr")) == 3
    assert len(listed.all("#session-list tbody tr.current")) == 1
    answer = await client.post(
        "/account/sessions/revoke-all", data={"_csrf_token": listed.csrf_token()}, follow_redirects=False
    )
    assert answer.status_code == 303

    for cookie in (phone, laptop, here):
        assert await who_with(client, cookie) == ""
    assert await who_with(client, other) == BIDDER2


async def test_the_api_signs_an_account_out_everywhere(client: Client, world: World) -> None:
    browsers = [await session_of(client, "bidder") for _ in range(2)]
    client.cookies.clear()
    auth = world.auth("bidder")
    assert len((await client.get("/api/v1/me/sessions", headers=auth)).json()) == 2

    answer = await client.post("/api/v1/me/sessions/revoke-all", headers=auth)

    assert answer.status_code == 201, answer.text
    assert answer.json() == {"revoked": 2}
    assert [await who_with(client, cookie) for cookie in browsers] == ["", ""]


@pytest.mark.own_database
async def test_a_session_ends_at_its_absolute_lifetime_however_active(
    strict_client: Client, world: World, clock: FrozenClock
) -> None:
    cookie = await session_of(strict_client, "bidder")
    name = BIDDER
    # Busy all day: a request every 90 minutes keeps it from going idle, never past its 12 hours.
    for _ in range(7):
        clock.advance(timedelta(minutes=90))
        assert await who_with(strict_client, cookie) == name
    clock.advance(timedelta(minutes=90))  # 12 h after the login
    assert await who_with(strict_client, cookie) == ""


@pytest.mark.own_database
async def test_an_idle_session_ends(strict_client: Client, world: World, clock: FrozenClock) -> None:
    name = BIDDER
    cookie = await session_of(strict_client, "bidder")
    clock.advance(timedelta(hours=1, minutes=58))
    assert await who_with(strict_client, cookie) == name  # which counts as use
    clock.advance(timedelta(hours=1, minutes=58))
    assert await who_with(strict_client, cookie) == name

    clock.advance(timedelta(hours=2, minutes=1))
    assert await who_with(strict_client, cookie) == ""


async def test_a_login_gets_a_new_session_id(client: Client, world: World) -> None:
    """Session fixation: an id planted in the victim's browser (here the attacker's own session) is not the one
    the victim's login signs in, and the planted one ends."""
    planted = await session_of(client, "bidder2")
    client.cookies.clear()
    client.cookies.set(SESSION, planted)
    token = await csrf_of(client)
    answer = await client.post(
        "/login",
        data={"email": "bidder@test.kg", "password": PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    fresh = answer.cookies.get(SESSION)
    assert fresh
    assert fresh != planted

    assert await who_with(client, fresh) == BIDDER
    assert await who_with(client, planted) == ""


async def test_a_csrf_token_of_another_session_is_refused(client: Client, world: World) -> None:
    """The same browser: a token from the page of the previous person's session, or from before the login, is no
    good once someone is signed in (with a double-submit cookie alone, both would pass)."""
    anonymous_token = await csrf_of(client)
    await log_in(client, "bidder")
    first_token = await csrf_of(client, "/?lang=en")
    await client.post("/logout", data={"_csrf_token": first_token}, follow_redirects=False)
    await log_in(client, "bidder2")

    for stale in (first_token, anonymous_token):
        refused = await client.post(
            "/account/sessions/revoke-all?lang=en", data={"_csrf_token": stale}, follow_redirects=False
        )
        assert refused.status_code == 403
        assert "The form has expired or was sent from another site." in Page(refused.text).text("main")
    assert signed_in_as((await client.get("/?lang=en")).text) == BIDDER2


async def test_the_csrf_header_of_another_session_is_refused_on_the_key_routes(client: Client, world: World) -> None:
    """The /api/ routes a signed-in browser calls with x-csrftoken (the passkeys) check the session's token."""
    await log_in(client, "bidder")
    first_token = await csrf_of(client, "/?lang=en")
    await client.post("/logout", data={"_csrf_token": first_token}, follow_redirects=False)
    await log_in(client, "bidder2")  # the same browser, as a double-submit cookie would not notice
    second_token = await csrf_of(client, "/?lang=en")

    stolen = await client.post("/api/me/passkeys/options", headers={"x-csrftoken": first_token})
    own = await client.post("/api/me/passkeys/options", headers={"x-csrftoken": second_token})

    assert stolen.status_code == 403, stolen.text
    assert stolen.json()["code"] == "auth.csrf_header_missing"
    assert own.status_code in {200, 201}, own.text


@pytest.mark.parametrize("header", ["origin", "referer"])
async def test_a_change_from_another_origin_is_refused(client: Client, world: World, header: str) -> None:
    await log_in(client, "bidder")
    token = await csrf_of(client, "/?lang=en")
    source = "https://evil.example" if header == "origin" else "https://evil.example/page.html"

    refused = await client.post(
        "/logout?lang=en", data={"_csrf_token": token}, headers={header: source}, follow_redirects=False
    )

    assert refused.status_code == 403
    assert "This request came from another site (https://evil.example)." in Page(refused.text).text("main")
    assert signed_in_as((await client.get("/?lang=en")).text) == BIDDER
    # From our own origin the same form works.
    same = await client.post(
        "/logout", data={"_csrf_token": token}, headers={header: "http://testserver.local/"}, follow_redirects=False
    )
    assert same.status_code == 303


async def test_bearer_clients_are_not_held_to_origin_or_csrf(client: Client, world: World) -> None:
    answer = await client.get("/api/v1/me", headers={**world.auth("bidder"), "origin": "https://tool.example"})
    assert answer.status_code == 200
    revoked = await client.post(
        "/api/v1/me/sessions/revoke-all", headers={**world.auth("bidder"), "origin": "https://tool.example"}
    )
    assert revoked.status_code == 201, revoked.text


@pytest.mark.own_database
async def test_secure_cookies_carry_the_host_prefix(settings: Settings, clock: FrozenClock, world: World) -> None:
    from web.app import create_app

    secure = settings.model_copy(update={"secure_cookies": True})
    app = create_app(secure, clock)
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as browser:
        form = await browser.get("/login")
        set_cookie = form.headers.get_list("set-cookie")
        csrf = next(line for line in set_cookie if line.startswith("__Host-csrftoken="))
        assert "Secure" in csrf
        assert "Path=/" in csrf
        assert "Domain" not in csrf
        token = Page(form.text).csrf_token()
        answer = await browser.post(
            "/login",
            data={"email": "bidder@test.kg", "password": PASSWORD, "_csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        session = next(
            line for line in answer.headers.get_list("set-cookie") if line.startswith("__Host-achyk_session=")
        )
        assert "Secure" in session
        assert "HttpOnly" in session
        assert "Path=/" in session
        assert "Domain" not in session
        assert not any(
            line.startswith(("achyk_session=", "csrftoken=")) for line in answer.headers.get_list("set-cookie")
        )
        assert signed_in_as((await browser.get("/?lang=en")).text) == BIDDER


async def test_a_form_post_reads_the_body_once_as_a_real_server_delivers_it(client: Client, world: World) -> None:
    """The CSRF check reads a form's body before the app does. A real server (uvicorn) hands the body over once
    and then holds ``receive`` until the client goes away: anything further in that asks the server for the body
    again waits forever (every form POST hung so in a browser). The test client answers a disconnect instead,
    which hid it; here a second ``receive`` before the response has started is noted, then answered likewise."""
    token = await csrf_of(client)
    body = urlencode({"email": "bidder@test.kg", "password": PASSWORD, "_csrf_token": token}).encode()
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/login",
        "raw_path": b"/login",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver.local"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            (b"cookie", cookies.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver.local", 80),
        "state": {},
    }
    delivered = started = False
    asked_again: list[str] = []
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        if not started:
            asked_again.append("receive() after the whole body, before any answer")
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
            statuses.append(message["status"])

    # The app runs on the test client's own event loop (its portal's thread), where its engine lives.
    await asyncio.to_thread(client.blocking_portal.call, client.app, scope, receive, send)
    assert not asked_again, asked_again
    assert statuses == [303]
