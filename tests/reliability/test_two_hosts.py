"""Two app hosts against one PostgreSQL database (issue 12, "Keys fork across hosts").

Two ``auction serve`` processes with separate data directories share one database, as a deployment behind a load
balancer does. Receipts from either host, and the ledger exported from either, verify offline under one key; a
session made on one host is a session on the other. A third host whose keys are not the deployment's is refused
before it serves (exit 2, naming the setting). With only ACHYK_KEY_ENCRYPTION_KEY set, the hosts share the one
set of keys the first of them made and sealed in the database; a host with another key-encryption key is refused.
"""

from __future__ import annotations

import asyncio
import base64
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock, SystemClock
from tests.kit.site import (
    ROOT,
    ServedSite,
    SiteAuction,
    free_port,
    log_vkey,
    site_environment,
    site_ledger_keys,
    start_site,
)
from tests.kit.world import PASSWORD, World, build_world

pytestmark = [pytest.mark.postgres, pytest.mark.own_database]

# Generous: a deadline only bounds how long a poll may wait for what must happen, it asserts no speed.
DEADLINE = 60.0
# A refused host exits at once; one that is wrongly let through serves until this stops it.
REFUSAL_SECONDS = 45.0
KEY_ENCRYPTION_KEY = base64.b64encode(b"k" * 32).decode()
# Every key left to the database: the environment's empty values override the kit's configured ones.
KEYS_FROM_DATABASE = {
    "ACHYK_SECRET_KEY": "",
    "ACHYK_LEDGER_SIGNING_KEY": "",
    "ACHYK_LEDGER_PSEUDONYM_KEY": "",
    "ACHYK_KEY_ENCRYPTION_KEY": KEY_ENCRYPTION_KEY,
}
CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _two_hosts_postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("hosts share a PostgreSQL database; the embedded one belongs to one host")


def other_seed(byte: bytes) -> str:
    return base64.b64encode(byte * 32).decode()


def ahead(seconds: float) -> str:
    return (SystemClock().now() + timedelta(seconds=seconds)).isoformat()


async def start_hosts(database_url: str, home: Path, count: int, settings: Mapping[str, str]) -> list[ServedSite]:
    """`count` hosts started at the same instant, each with its own data directory under `home`/host<n>."""
    for number in range(1, count + 1):
        (home / f"host{number}").mkdir()
    return list(
        await asyncio.gather(
            *(
                asyncio.to_thread(start_site, database_url, home / f"host{number}", settings)
                for number in range(1, count + 1)
            )
        )
    )


def refused_host(database_url: str, directory: Path, settings: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`auction serve` for a host that must be refused: its exit and output (a timeout means it served)."""
    port = free_port()
    environment = site_environment(database_url, directory / "data", port, settings)
    command = [sys.executable, "-m", "web.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.run(
        command, env=environment, cwd=ROOT, capture_output=True, text=True, timeout=REFUSAL_SECONDS, check=False
    )


def cli(environment: Mapping[str, str], *words: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "web.cli", *map(str, words)]
    return subprocess.run(
        command, env=dict(environment), cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


async def log_in(host: ServedSite, email: str, password: str) -> httpx.AsyncClient:
    """A browser that logged in on `host` through the login form; its cookies are the session."""
    browser = httpx.AsyncClient(base_url=host.url, timeout=30)
    form = await browser.get("/login")
    token = CSRF_INPUT.search(form.text)
    assert token, form.text
    answer = await browser.post(
        "/login", data={"email": email, "password": password, "_csrf_token": token.group(1), "next": ""}
    )
    assert answer.status_code == 303, answer.text
    return browser


async def until_integrated(auction: SiteAuction, count: int) -> None:
    deadline = time.monotonic() + DEADLINE
    while True:
        bids = [e for e in await auction.chain() if e["kind"] == "bid.placed"]
        if len(bids) >= count and all("index" in e for e in bids):
            return
        assert time.monotonic() < deadline, f"the bids were not integrated: {bids}"
        await asyncio.sleep(0.2)


async def test_two_hosts_share_one_set_of_keys_and_a_host_with_other_keys_is_refused(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    world: World = await build_world(sessions, FrozenClock(SystemClock().now()), site_ledger_keys(tmp_path / "data"))
    hosts = await start_hosts(database_url, tmp_path, 2, {})
    try:
        async with (
            httpx.AsyncClient(base_url=hosts[0].url, timeout=30) as api1,
            httpx.AsyncClient(base_url=hosts[1].url, timeout=30) as api2,
        ):
            on_host1 = SiteAuction(api1, world)
            await on_host1.create(
                applications_close_at=ahead(8), bidding_opens_at=ahead(9), bidding_closes_at=ahead(600)
            )
            on_host2 = SiteAuction(api2, world, lot_id=on_host1.lot_id)
            await on_host1.admit("bidder")
            await on_host2.admit("bidder2")
            await on_host2.until_open(DEADLINE)
            receipts: list[Path] = []
            for who, at in (("bidder", on_host1), ("bidder2", on_host2), ("bidder", on_host2)):
                placed = await at.bid(who)
                assert placed.status_code == 201, placed.text
                receipts.append(tmp_path / f"receipt-{len(receipts)}.txt")
                receipts[-1].write_text(placed.json()["receipt"], encoding="utf-8")
            await until_integrated(on_host1, 3)

            # Both hosts publish one key, and an inspector verifies the ledger and every receipt under it.
            assert (await api1.get("/api/v1/ledger/key")).text.strip() == log_vkey()
            assert (await api2.get("/api/v1/ledger/key")).text.strip() == log_vkey()
            # One receipt per run of the verifier; each host's export proves the other host's receipts too.
            for api, receipt in ((api1, receipts[2]), (api2, receipts[0])):
                export = await api.get("/api/v1/ledger/export")
                assert export.status_code == 200, export.text
                bundle = tmp_path / "ledger.zip"
                bundle.write_bytes(export.content)
                verified = cli(
                    hosts[0].environment, "ledger", "verify", bundle, "--key", log_vkey(), "--receipt", receipt
                )
                assert verified.returncode == 0, verified.stdout + verified.stderr

            # A session made on host 1 is a session on host 2 (a load balancer may send the next request anywhere).
            browser = await log_in(hosts[0], "bidder@test.kg", PASSWORD)
            try:
                on_host2_page = await browser.get(f"{hosts[1].url}/me/bids")
            finally:
                await browser.aclose()
            assert on_host2_page.status_code == 200, on_host2_page.text[:500]
            assert "/login" not in str(on_host2_page.url)

        # A third host with keys of its own is refused before it serves, naming what differs.
        signing = refused_host(database_url, tmp_path / "host3", {"ACHYK_LEDGER_SIGNING_KEY": other_seed(b"x")})
        assert signing.returncode == 2, signing.stdout + signing.stderr
        assert "will not serve" in signing.stderr
        assert "ACHYK_LEDGER_SIGNING_KEY:" in signing.stderr, signing.stderr
        assert "ACHYK_SECRET_KEY:" not in signing.stderr, signing.stderr
        secrets = refused_host(
            database_url,
            tmp_path / "host3",
            {"ACHYK_LEDGER_PSEUDONYM_KEY": other_seed(b"y"), "ACHYK_SECRET_KEY": "a-secret-no-other-host-has-0123"},
        )
        assert secrets.returncode == 2, secrets.stdout + secrets.stderr
        assert "ACHYK_LEDGER_PSEUDONYM_KEY:" in secrets.stderr, secrets.stderr
        assert "ACHYK_SECRET_KEY:" in secrets.stderr, secrets.stderr
        assert "ACHYK_LEDGER_SIGNING_KEY:" not in secrets.stderr, secrets.stderr
    finally:
        for host in hosts:
            await asyncio.to_thread(host.stop)


async def test_hosts_with_only_a_key_encryption_key_share_the_keys_the_first_one_sealed_in_the_database(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    hosts = await start_hosts(database_url, tmp_path, 2, KEYS_FROM_DATABASE)
    try:
        keys = [(await asyncio.to_thread(httpx.get, f"{host.url}/api/v1/ledger/key")).text.strip() for host in hosts]
        assert keys[0] == keys[1], keys
        assert keys[0] != log_vkey(), "the hosts sign with a key of the database's, not the kit's configured one"
        # A form (and its session-bound CSRF token) from host 1 is accepted by host 2: one session secret.
        async with httpx.AsyncClient(base_url=hosts[0].url, timeout=30) as browser:
            form = await browser.get("/login")
            token = CSRF_INPUT.search(form.text)
            assert token, form.text
            refused_password = await browser.post(
                f"{hosts[1].url}/login",
                data={"email": "nobody@test.kg", "password": "wrong", "_csrf_token": token.group(1), "next": ""},
            )
            assert refused_password.status_code == 401, (refused_password.status_code, refused_password.text[:300])
        for host in hosts:
            data = host.log.parent / "data"
            kept = [path.name for path in data.iterdir()] if data.exists() else []
            assert not [name for name in kept if "key" in name], f"a host kept keys of its own: {kept}"
        from auction.keyring.models import DeploymentKey  # here, so that the first test also runs on older code

        async with sessions() as session:
            rows = dict((await session.execute(select(DeploymentKey.purpose, DeploymentKey.value))).all())
        sealed = {purpose for purpose in rows if purpose.startswith("sealed:")}
        assert sealed == {
            "sealed:ACHYK_SECRET_KEY",
            "sealed:ACHYK_LEDGER_SIGNING_KEY",
            "sealed:ACHYK_LEDGER_PSEUDONYM_KEY",
        }
    finally:
        for host in hosts:
            await asyncio.to_thread(host.stop)

    # A host given another key-encryption key cannot open the sealed set: refused, saying which setting.
    wrong = refused_host(
        database_url, tmp_path / "host3", {**KEYS_FROM_DATABASE, "ACHYK_KEY_ENCRYPTION_KEY": other_seed(b"w")}
    )
    assert wrong.returncode == 2, wrong.stdout + wrong.stderr
    assert "ACHYK_KEY_ENCRYPTION_KEY" in wrong.stderr, wrong.stderr
    assert "Traceback" not in wrong.stderr, wrong.stderr
    # A configured key still wins over the database's, and the start-up check then refuses it.
    configured = refused_host(
        database_url, tmp_path / "host3", {**KEYS_FROM_DATABASE, "ACHYK_LEDGER_SIGNING_KEY": other_seed(b"x")}
    )
    assert configured.returncode == 2, configured.stdout + configured.stderr
    assert "ACHYK_LEDGER_SIGNING_KEY:" in configured.stderr, configured.stderr

    # Rotation keeps working: the new key is sealed in the database, the next host signs with it and passes.
    environment = site_environment(database_url, tmp_path / "admin" / "data", free_port(), KEYS_FROM_DATABASE)
    rotated = cli(environment, "ledger", "rotate-key")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    (tmp_path / "host4").mkdir()
    after = await asyncio.to_thread(start_site, database_url, tmp_path / "host4", KEYS_FROM_DATABASE)
    try:
        new_key = (await asyncio.to_thread(httpx.get, f"{after.url}/api/v1/ledger/key")).text.strip()
        assert new_key not in (keys[0], ""), new_key
    finally:
        await asyncio.to_thread(after.stop)
