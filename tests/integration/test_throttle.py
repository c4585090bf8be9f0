"""Throttles that hold across workers and cannot be turned against an account's owner; argon2 off the event loop.

The test client has one fixed peer address, so ``peer`` stands in for the TCP peer a real server would see (the
x-test-peer header becomes the ASGI scope's client). The app trusts 10.9.0.0/16 as its reverse proxies.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from alembic.script import ScriptDirectory
from argon2 import PasswordHasher
from httpx import Request, Response
from litestar.testing.transport import TestClientTransport
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts import passwords
from auction.accounts.models import User
from auction.accounts.schemas import Registration
from auction.accounts.service import AccountService
from auction.clock import FrozenClock
from auction.db.migrate import alembic_config, upgrade
from auction.settings import Settings
from tests.kit.page import Page
from tests.kit.site import served_site
from tests.kit.world import PASSWORD, World
from tests.web.conftest import Client, csrf_of

OFFICER = "officer_tokmok@test.kg"
OWNER_ADDRESS = "198.51.100.7"
STRANGER_ADDRESS = "203.0.113.66"
PROXY = "10.9.0.1"
REGISTRATION = {
    "email": "aigul@example.kg",
    "password": "a long enough secret",
    "full_name": "Aigul Asanova",
    "bidder_kind": "individual",
    "identity_number": "21506198500077",
}
CHEAP: dict[str, Any] = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"trusted_proxies": "10.9.0.0/16"})


@pytest.fixture(autouse=True)
def peer_from_header(monkeypatch: pytest.MonkeyPatch) -> None:
    original = TestClientTransport.parse_request

    def parse(self: TestClientTransport[Any], request: Request) -> dict[str, Any]:
        scope = original(self, request)
        scope["client"] = (request.headers.get("x-test-peer", "192.0.2.1"), 50000)
        return scope

    monkeypatch.setattr(TestClientTransport, "parse_request", parse)


@pytest.fixture
def hasher() -> Iterator[None]:
    """Whatever hasher a test installs is replaced by the suite's cheap one afterwards."""
    before = passwords._hasher
    yield
    passwords.use_hasher(before)


async def token(client: Client, email: str, password: str, peer: str, forwarded: str | None = None) -> Response:
    headers = {"x-test-peer": peer} | ({"X-Forwarded-For": forwarded} if forwarded else {})
    return await client.post("/api/v1/auth/token", json={"email": email, "password": password}, headers=headers)


async def page_login(client: Client, password: str, peer: str) -> Response:
    form = {"email": OFFICER, "password": password, "_csrf_token": await csrf_of(client, "/login?lang=en")}
    return await client.post("/login?lang=en", data=form, headers={"x-test-peer": peer}, follow_redirects=False)


async def test_a_strangers_failures_do_not_lock_the_owner_out(client: Client, world: World) -> None:
    assert (await page_login(client, PASSWORD, OWNER_ADDRESS)).status_code == 303

    answers = [(await token(client, OFFICER, f"guess {n}", STRANGER_ADDRESS)).status_code for n in range(50)]
    assert answers == [401] * 5 + [429] * 45

    # The owner's device, which logged in before, keeps its allowance; so does the owner's own address.
    assert (await page_login(client, PASSWORD, OWNER_ADDRESS)).status_code == 303
    assert (await token(client, OFFICER, PASSWORD, OWNER_ADDRESS)).status_code == 201
    refused = await token(client, OFFICER, PASSWORD, STRANGER_ADDRESS)
    assert refused.status_code == 429  # even the right password, from the stranger's address
    assert int(refused.headers["retry-after"]) > 0


async def test_the_owners_device_is_still_locked_after_its_own_five_failures(client: Client, world: World) -> None:
    first = await page_login(client, PASSWORD, OWNER_ADDRESS)
    assert first.status_code == 303
    cookie = next(c for c in first.headers.get_list("set-cookie") if c.startswith("achyk_device="))
    assert "HttpOnly" in cookie
    for _ in range(5):
        assert (await page_login(client, "wrong password", OWNER_ADDRESS)).status_code == 401
    locked = await page_login(client, PASSWORD, OWNER_ADDRESS)
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "900"
    assert "Wait 15 minutes" in locked.text


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_reset_the_limit(
    client: Client, world: World
) -> None:
    for n in range(30):
        answer = await token(client, f"nobody{n}@test.kg", "guess", STRANGER_ADDRESS, forwarded=f"198.51.100.{n}")
        assert answer.status_code == 401
    spoofed = await token(client, "nobody@test.kg", "guess", STRANGER_ADDRESS, forwarded="192.0.2.200")
    assert spoofed.status_code == 429
    assert spoofed.json()["code"] == "request.throttled"
    assert spoofed.headers["retry-after"] == "60"


@pytest.mark.own_database
async def test_the_served_site_ignores_forwarded_for_from_a_peer_it_does_not_trust(
    backend: str, database_url: str, tmp_path: Path
) -> None:
    """``auction serve`` for real: its peer here is 127.0.0.1, which no setting names as a proxy."""
    if backend != "postgres":
        pytest.skip("one real server is enough to show what uvicorn and the app believe")
    with served_site(database_url, tmp_path) as site:
        async with httpx.AsyncClient(base_url=site.url) as http:
            for n in range(30):
                answer = await http.post(
                    "/api/v1/auth/token",
                    json={"email": f"nobody{n}@test.kg", "password": "guess"},
                    headers={"X-Forwarded-For": f"198.51.100.{n}"},
                )
                assert answer.status_code == 401, answer.text
            spoofed = await http.post(
                "/api/v1/auth/token",
                json={"email": "nobody@test.kg", "password": "guess"},
                headers={"X-Forwarded-For": "192.0.2.200"},
            )
    assert spoofed.status_code == 429
    assert spoofed.json()["code"] == "request.throttled"


async def test_a_trusted_proxy_is_believed_about_its_clients(client: Client, world: World) -> None:
    for n in range(30):
        answer = await token(client, f"nobody{n}@test.kg", "guess", PROXY, forwarded=f"6.6.6.6, {OWNER_ADDRESS}")
        assert answer.status_code == 401
    # Another client behind the same proxy has its own count; the first one is at its limit.
    assert (await token(client, "nobody@test.kg", "guess", PROXY, forwarded=STRANGER_ADDRESS)).status_code == 401
    assert (await token(client, "nobody@test.kg", "guess", PROXY, forwarded=OWNER_ADDRESS)).status_code == 429


async def test_registrations_are_limited_per_address_with_a_translated_refusal(client: Client, world: World) -> None:
    peer = {"x-test-peer": STRANGER_ADDRESS}
    for _ in range(20):
        assert (await client.post("/api/v1/accounts", json={}, headers=peer)).status_code == 422
    refused = await client.post("/api/v1/accounts", json=REGISTRATION, headers=peer)
    assert refused.status_code == 429
    assert refused.json()["code"] == "request.throttled"
    assert refused.headers["retry-after"] == "3600"
    token_ = await csrf_of(client, "/register?lang=ru")
    page = await client.post("/register?lang=ru", data={**REGISTRATION, "_csrf_token": token_}, headers=peer)
    assert page.status_code == 429
    assert page.headers["retry-after"] == "3600"
    assert "Слишком много попыток с вашего сетевого адреса; подождите 60 мин." in Page(page.text).text("main")
    # Someone at another address registers as usual.
    assert (await client.post("/api/v1/accounts", json=REGISTRATION)).status_code == 201


async def test_an_unknown_account_costs_one_verification_like_a_known_one(
    client: Client, world: World, hasher: None
) -> None:
    verified: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:  # noqa: A002 - argon2's name
            verified.append(str(password))
            return super().verify(hash, password)

    passwords.use_hasher(Counting(**CHEAP))
    assert (await token(client, "nobody@test.kg", "guess one", OWNER_ADDRESS)).status_code == 401
    assert (await token(client, OFFICER, "guess two", OWNER_ADDRESS)).status_code == 401
    assert verified == ["guess one", "guess two"]


async def test_argon2_runs_off_the_event_loop_and_a_few_at_a_time(
    sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, hasher: None
) -> None:
    loop_thread = threading.get_ident()
    loop = asyncio.get_running_loop()
    started, full = asyncio.Event(), asyncio.Event()
    released = threading.Event()
    order: list[str] = []
    threads: list[int] = []

    class Blocking(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            if not armed:  # use_hasher's own dummy hash
                return super().hash(password, salt=salt)
            threads.append(threading.get_ident())
            order.append("hashing")
            loop.call_soon_threadsafe(started.set)
            released.wait(timeout=10)  # the event loop releases it, if it is free to run
            order.append("hashed")
            return super().hash(password, salt=salt)

    async def answer_meanwhile() -> None:
        await started.wait()
        order.append("the loop answered")
        released.set()

    armed = False
    passwords.use_hasher(Blocking(**CHEAP))
    armed = True
    async with sessions() as session:
        registering = AccountService(session, clock).register_bidder(Registration.model_validate(REGISTRATION))
        user, _ = await asyncio.gather(registering, answer_meanwhile())
    assert order == ["hashing", "the loop answered", "hashed"]
    assert threads != [loop_thread]
    assert user.password_hash.startswith("$argon2")

    # A burst of hashes takes at most HASHING_THREADS threads at once; the rest wait their turn.
    active, most = 0, 0
    gate = threading.Event()
    lock = threading.Lock()

    class Counting(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            nonlocal active, most
            if not armed:
                return super().hash(password, salt=salt)
            with lock:
                active += 1
                most = max(most, active)
                if active == passwords.HASHING_THREADS:
                    loop.call_soon_threadsafe(full.set)
            gate.wait(timeout=10)
            with lock:
                active -= 1
            return super().hash(password, salt=salt)

    armed = False
    passwords.use_hasher(Counting(**CHEAP))
    armed = True
    burst = [asyncio.create_task(passwords.hash_password_off_loop(f"password {n}")) for n in range(12)]
    await full.wait()
    await asyncio.sleep(0.05)  # room for any hash beyond the bound to start, if one could
    gate.set()
    await asyncio.gather(*burst)
    assert most == passwords.HASHING_THREADS


async def test_a_number_in_other_digits_is_the_same_number(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert (await client.post("/api/v1/accounts", json=REGISTRATION)).status_code == 201
    arabic_indic = "".join(chr(0x0660 + int(digit)) for digit in REGISTRATION["identity_number"])
    again = await client.post(
        "/api/v1/accounts", json={**REGISTRATION, "email": "twin@example.kg", "identity_number": arabic_indic}
    )
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "account.identity_taken"
    fullwidth = "".join(chr(0xFF10 + int(digit)) for digit in "21506198500078")
    other = await client.post(
        "/api/v1/accounts", json={**REGISTRATION, "email": "other@example.kg", "identity_number": fullwidth}
    )
    assert other.status_code == 201, other.text
    async with sessions() as session:
        stored = await session.scalar(select(User.identity_number).where(User.email == "other@example.kg"))
    assert stored == "21506198500078"


def test_the_upgrade_rewrites_other_digits_and_refuses_to_guess_between_two_accounts(tmp_path: Path) -> None:
    """0008_throttle's decision on numbers registered in other digits: rewritten when that clashes with nothing;
    where it makes two accounts hold one number, the upgrade stops and names them (ids only), changing nothing."""
    path = tmp_path / "old.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    before = ScriptDirectory.from_config(alembic_config(url)).get_revision("0008_throttle").down_revision
    upgrade(url, str(before))
    arabic_indic = "".join(chr(0x0660 + int(digit)) for digit in "21506198500077")
    fullwidth = "".join(chr(0xFF10 + int(digit)) for digit in "21506198500078")
    with sqlite3.connect(path) as db:
        for user_id, number in ((1, "21506198500077"), (2, arabic_indic), (3, fullwidth)):
            db.execute(
                "INSERT INTO users (id, email, password_hash, full_name, role, identity_number, preferred_language,"
                " is_active, created_at) VALUES (?, ?, 'x', 'A Bidder', 'bidder', ?, 'ru', 1, '2026-01-01 00:00:00')",
                (user_id, f"u{user_id}@example.kg", number),
            )
    with pytest.raises(RuntimeError, match=r"user ids, one group per number: 1, 2\)"):
        upgrade(url)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE users SET identity_number = NULL, is_active = 0 WHERE id = 2")
    upgrade(url)
    with sqlite3.connect(path) as db:
        numbers = db.execute("SELECT id, identity_number FROM users ORDER BY id").fetchall()
    assert numbers == [(1, "21506198500077"), (2, None), (3, "21506198500078")]
