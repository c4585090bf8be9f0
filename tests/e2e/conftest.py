"""A real site for the browser: ``auction serve`` on a free port over a fresh database, and Debian's chromium."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock, SystemClock
from auction.settings import Settings
from tests.kit.ports import free_port
from tests.kit.world import World, build_world

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 60
CHROMIUM_INSTALLED = CHROMIUM.exists()
# The site's log key (Ed25519 seed): tests that play the operator, who holds it, sign with it.
LEDGER_SIGNING_SEED = b"e" * 32


@dataclass(frozen=True)
class Site:
    url: str
    world: World
    backend: str


@pytest.fixture
async def site(
    backend: str, database_url: str, sessions: async_sessionmaker[AsyncSession], settings: Settings, tmp_path: Path
) -> AsyncIterator[Site]:
    """The site as deployed: a separate process, its own data directory, the pilot and one account per role."""
    # The server keeps real time; the world's accounts are stamped with it too. The lots are made through
    # the server's API, so the world's own ledger keys sign nothing here.
    world = await build_world(sessions, FrozenClock(SystemClock().now()), settings.ledger_keys())
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ACHYK_DATA_DIR": str(tmp_path / "data"),
        "ACHYK_SECRET_KEY": "e2e-secret-key-with-enough-length-0123456789",
        # On PostgreSQL the site refuses to generate keys of its own: every host must be given the same ones.
        "ACHYK_LEDGER_SIGNING_KEY": base64.b64encode(LEDGER_SIGNING_SEED).decode(),
        "ACHYK_LEDGER_PSEUDONYM_KEY": base64.b64encode(b"q" * 32).decode(),
        "ACHYK_LOG_LEVEL": "WARNING",
        # Passkeys are bound to a host name: an IP address is no relying party, while localhost is a secure one.
        "ACHYK_WEBAUTHN_RP_ID": "localhost",
        "ACHYK_WEBAUTHN_ORIGIN": f"http://localhost:{port}",
    }
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(  # noqa: ASYNC220 - started once and left running; nothing here waits on it
        [sys.executable, "-m", "web.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://localhost:{port}"
    try:
        await _wait_until_up(url, server, tmp_path / "server.log")
        yield Site(url, world, backend)
    finally:
        server.terminate()
        try:
            await asyncio.to_thread(server.wait, 15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


async def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient() as probe:
        for _ in range(STARTUP_SECONDS * 5):
            if server.poll() is not None:
                pytest.fail(f"auction serve exited with {server.returncode}:\n{tail(log)}")
            try:
                if (await probe.get(f"{url}/static/css/site.css")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    pytest.fail(f"auction serve did not answer within {STARTUP_SECONDS} s:\n{tail(log)}")


def tail(log: Path) -> str:
    """The end of the server's output, to say why it did not start."""
    return log.read_text(errors="replace")[-4000:]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM_INSTALLED:
        pytest.skip("/usr/bin/chromium is missing: scripts/test installs it (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()
