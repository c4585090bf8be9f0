"""The platform as deployed, for tests and benches: ``auction serve`` as a separate process on a free loopback port,
over a database and a data directory of its own, and an API client that drives a lot through it.

`start_site` runs the server with the log keys below (on PostgreSQL the site refuses to generate keys of its own, and
tests that play the operator, who holds the signing key, sign with it too), waits until it answers and returns a
`ServedSite`; `served_site` is the same as a context manager that always stops it. `SiteAuction` is one lot driven
over HTTP as an officer and API bidders do, with the bidders' statements signed by the world's software keys.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.keys import LedgerKeys, load_keys
from auction.ledger.verifier.municipal_rules import MunicipalRules
from auction.ledger.verifier.note import VerifierKey
from tests.kit.keys import api_application, api_signed
from tests.kit.world import World, lot_terms

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60.0
STOP_SECONDS = 15.0
# The site's log key (Ed25519 seed) and pseudonym key: tests that play the operator, who holds them, use them.
LEDGER_SIGNING_SEED = b"e" * 32
LEDGER_PSEUDONYM_SEED = b"q" * 32
LEDGER_ORIGIN = "achyk.example.kg/ledger"  # the settings' default origin, which the site keeps
SECRET_KEY = "e2e-secret-key-with-enough-length-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def log_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(LEDGER_SIGNING_SEED)


def log_vkey() -> str:
    """The served site's log verifier key, as `auction ledger vkey` prints it (the key is named after the origin)."""
    return VerifierKey.from_public_key(LEDGER_ORIGIN, log_signing_key()).vkey


def site_ledger_keys(data_dir: Path) -> LedgerKeys:
    """The served site's ledger keys, for a world built beside it (its pseudonyms must be the site's)."""
    return load_keys(
        origin=LEDGER_ORIGIN,
        key_name="",
        signing_seed=base64.b64encode(LEDGER_SIGNING_SEED).decode(),
        pseudonym_seed=base64.b64encode(LEDGER_PSEUDONYM_SEED).decode(),
        data_dir=data_dir,
    )


@dataclass
class ServedSite:
    """A running ``auction serve``: where it answers, its process and its output file."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    environment: dict[str, str]

    def tail(self) -> str:
        """The end of the server's output, to say why it failed."""
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_SECONDS)


def site_environment(database_url: str, data_dir: Path, port: int, settings: Mapping[str, str]) -> dict[str, str]:
    """The server's environment: this interpreter's, the database, the keys above, then `settings` (ACHYK_…)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "ACHYK_DATA_DIR": str(data_dir),
        "ACHYK_SECRET_KEY": SECRET_KEY,
        "ACHYK_LEDGER_SIGNING_KEY": base64.b64encode(LEDGER_SIGNING_SEED).decode(),
        "ACHYK_LEDGER_PSEUDONYM_KEY": base64.b64encode(LEDGER_PSEUDONYM_SEED).decode(),
        "ACHYK_LOG_LEVEL": "WARNING",
        # Passkeys are bound to a host name: an IP address is no relying party, while localhost is a secure one.
        "ACHYK_WEBAUTHN_RP_ID": "localhost",
        "ACHYK_WEBAUTHN_ORIGIN": f"http://localhost:{port}",
        **settings,
    }


def start_site(
    database_url: str,
    directory: Path,
    settings: Mapping[str, str] | None = None,
    *,
    workers: int = 1,
    startup_seconds: float = STARTUP_SECONDS,
) -> ServedSite:
    """``auction serve`` on a free port of 127.0.0.1 over `database_url` (migrated), data in `directory`/data,
    with `workers` app processes.

    Returns once it serves a static file; raises RuntimeError with its output if it exits or stays silent.
    """
    port = free_port()
    environment = site_environment(database_url, directory / "data", port, settings or {})
    log = directory / "server.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "web.cli", "serve"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    site = ServedSite(f"http://localhost:{port}", process, log, environment)
    deadline = time.monotonic() + startup_seconds
    with httpx.Client() as probe:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"auction serve exited with {process.returncode}:\n{site.tail()}")
            try:
                if probe.get(f"{site.url}/static/css/site.css").status_code == 200:
                    return site
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    site.stop()
    raise RuntimeError(f"auction serve did not answer within {startup_seconds} s:\n{site.tail()}")


@contextmanager
def served_site(database_url: str, directory: Path, settings: Mapping[str, str] | None = None) -> Iterator[ServedSite]:
    """`start_site` as a context: the server is stopped however the block ends."""
    site = start_site(database_url, directory, settings)
    try:
        yield site
    finally:
        site.stop()


DRILL_RULES = MunicipalRules(
    notice_days=0, workdays=tuple(range(7)), workday_start_minute=0, workday_end_minute=24 * 60
)


@dataclass
class SiteAuction:
    """One open ascending lot driven over a served site's API: the officer makes it, bidders apply and bid.

    The server keeps real time, so each statement is stamped with the real clock (the world's frozen clock is moved
    to now before a bidder signs)."""

    api: httpx.AsyncClient
    world: World
    officer: str = "officer_tokmok"
    lot_id: int = 0

    async def create(self, **terms: Any) -> int:
        """Create and publish a lot of `terms` (ISO times by the real clock); returns its id.

        A served site runs auctions within seconds, by the real clock, at whatever hour the tests run: the
        municipality takes drill rules first (no notice, every hour of every day), recorded in the ledger like any.
        """
        if not self.world.drill:
            self.world.clock.set(datetime.now(UTC))
            await self.world.set_rules("tokmok", DRILL_RULES)
            self.world.drill = True
        auth = self.world.auth(self.officer)
        created = await self.api.post("/api/v1/lots", json=lot_terms(datetime.now(UTC), **terms), headers=auth)
        assert created.status_code == 201, created.text
        self.lot_id = int(created.json()["id"])
        published = await self.api.post(f"/api/v1/lots/{self.lot_id}/publish", headers=auth)
        assert published.status_code == 200, published.text
        return self.lot_id

    async def admit(self, who: str) -> None:
        """`who` applies with their kit key and the officer confirms the deposit."""
        self.world.clock.set(datetime.now(UTC))
        body = await api_application(self.api, self.world, who, self.lot_id)
        applied = await self.api.post(
            f"/api/v1/lots/{self.lot_id}/applications", json=body, headers=self.world.auth(who)
        )
        assert applied.status_code == 201, applied.text
        confirmed = await self.api.post(
            f"/api/v1/applications/{applied.json()['id']}/confirm-deposit",
            json={"bank_reference": f"KICB-{who}"},
            headers=self.world.auth(self.officer),
        )
        assert confirmed.status_code == 200, confirmed.text

    async def state(self) -> dict[str, Any]:
        answer = await self.api.get(f"/api/v1/lots/{self.lot_id}/auction")
        assert answer.status_code == 200, answer.text
        state: dict[str, Any] = answer.json()
        return state

    async def until_open(self, deadline_seconds: float) -> dict[str, Any]:
        """Poll the live state until the server's scheduler has opened the lot."""
        deadline = time.monotonic() + deadline_seconds
        while (state := await self.state())["state"] != "bidding":
            assert time.monotonic() < deadline, f"lot {self.lot_id} did not open: {state}"
            await asyncio.sleep(0.2)
        return state

    async def bid(self, who: str, amount: int | None = None) -> httpx.Response:
        """`who` bids `amount` (default the minimum next bid), signed; the server's answer, whatever it is."""
        return await self.send_bid(who, *await self.prepare_bid(who, amount))

    async def prepare_bid(self, who: str, amount: int | None = None) -> tuple[int, dict[str, Any] | None]:
        """The amount (default the minimum next bid) and `who`'s signature on it, as their client prepares a bid."""
        if amount is None:
            amount = int((await self.state())["minimum_next_bid"])
        self.world.clock.set(datetime.now(UTC))
        return amount, await api_signed(self.api, self.world, who, self.lot_id, "bid.placed", {"amount": amount})

    async def send_bid(self, who: str, amount: int, signed: dict[str, Any] | None) -> httpx.Response:
        return await self.api.post(
            f"/api/v1/lots/{self.lot_id}/bids",
            json={"amount": amount, "signed": signed},
            headers={**self.world.auth(who), "Idempotency-Key": uuid.uuid4().hex},
        )

    async def chain(self) -> list[dict[str, Any]]:
        """The lot's ledger chain as the public API shows it: integrated entries, then pending bodies."""
        answer = await self.api.get(f"/api/v1/ledger/lots/{self.lot_id}/entries")
        assert answer.status_code == 200, answer.text
        chain = answer.json()
        return [*chain["integrated"], *chain["pending"]]
