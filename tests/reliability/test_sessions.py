"""Sessions across hosts: two app processes over one PostgreSQL database (the only thing they share), each with its
own data directory. A login on one host works on the other, and a logout on either ends it on both."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock, SystemClock
from tests.kit.page import Page
from tests.kit.site import served_site, site_ledger_keys
from tests.kit.world import PASSWORD, build_world

pytestmark = [pytest.mark.postgres, pytest.mark.own_database]


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("two hosts share a PostgreSQL database, as deployed")


def signed_in(response: httpx.Response) -> bool:
    return response.status_code == 200 and Page(response.text).has("#session-list")


async def test_a_session_is_one_across_hosts_and_a_logout_on_either_ends_it(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    await build_world(sessions, FrozenClock(SystemClock().now()), site_ledger_keys(tmp_path / "a" / "data"))
    with served_site(database_url, tmp_path / "a") as one, served_site(database_url, tmp_path / "b") as two:
        async with httpx.AsyncClient(timeout=30) as browser:
            form = await browser.get(f"{one.url}/login")
            token = Page(form.text).csrf_token()
            login = await browser.post(
                f"{one.url}/login", data={"email": "bidder@test.kg", "password": PASSWORD, "_csrf_token": token}
            )
            assert login.status_code == 303, login.text
            cookie = login.cookies["achyk_session"]

            # The other host knows the session (cookies are per host name; both are localhost here, as behind
            # one load balancer), and its page's CSRF token is the same one, bound to the session.
            on_two = await browser.get(f"{two.url}/account/sessions")
            assert signed_in(on_two), on_two.text[:500]
            session_token = Page(on_two.text).csrf_token()
            assert session_token == Page((await browser.get(f"{one.url}/account/sessions")).text).csrf_token()

            out = await browser.post(f"{two.url}/logout", data={"_csrf_token": session_token})
            assert out.status_code == 303, out.text

        # A copy of the cookie, kept from before the logout, opens nothing on the first host.
        async with httpx.AsyncClient(timeout=30, cookies={"achyk_session": cookie}) as thief:
            stolen = await thief.get(f"{one.url}/account/sessions")
            assert stolen.status_code == 303
            assert stolen.headers["location"].startswith("/login")
