"""At start-up the site logs the hashes of the scripts it serves, once per change, however many processes start."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import pytest
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.ledger.models import PLATFORM_CHAIN, LedgerEntry, PendingEntry
from auction.ledger.published_verifier import build_verifier_file
from auction.ledger.release import last_release_scripts, record_release_scripts
from auction.ledger.verifier.entry import parse_body, parse_leaf
from auction.operations.release import release_version
from auction.settings import Settings
from tests.kit.ledger import keys_of
from web.app import create_app
from web.core import WEB

pytestmark = pytest.mark.own_database


async def start_and_stop(settings: Settings, clock: FrozenClock) -> None:
    """One serving process's start-up and shut-down (its lifespan), with its own engine."""
    app = create_app(settings, clock)
    async with app.lifespan():
        await asyncio.sleep(0)


async def logged_releases(
    sessions: async_sessionmaker[AsyncSession], kind: str = "release.scripts"
) -> list[dict[str, object]]:
    """Every release.scripts (or other platform `kind`) body, integrated (the started app runs the integrator) or
    still pending."""
    mine = (PLATFORM_CHAIN, kind)
    async with sessions() as session:
        leaves = await session.scalars(
            select(LedgerEntry.leaf).where(tuple_(LedgerEntry.chain_key, LedgerEntry.kind) == mine)
        )
        bodies = [parse_leaf(leaf).body for leaf in leaves]
        pending = await session.scalars(
            select(PendingEntry.body).where(tuple_(PendingEntry.chain_key, PendingEntry.kind) == mine)
        )
        bodies += [parse_body(body) for body in pending]
    return [body.payload for body in sorted(bodies, key=lambda body: body.lot_seq)]


async def test_two_processes_starting_together_log_the_release_once(
    settings: Settings, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession], backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("several processes share one database only on PostgreSQL")
    serving = settings.model_copy(update={"run_background_jobs": True})
    await asyncio.gather(start_and_stop(serving, clock), start_and_stop(serving, clock))
    releases = await logged_releases(sessions)
    assert len(releases) == 1
    scripts = releases[0]["scripts"]
    assert isinstance(scripts, dict)
    # Every script under /static, each with the SRI hash of the file as served.
    on_disk = {"/static/" + p.relative_to(WEB / "static").as_posix() for p in (WEB / "static").rglob("*.js")}
    assert set(scripts) == on_disk
    site = (WEB / "static" / "js" / "lot-key.js").read_bytes()
    assert scripts["/static/js/lot-key.js"] == "sha384-" + base64.b64encode(hashlib.sha384(site).digest()).decode()

    # The offline verifier the desk serves is logged likewise, once (docs/ledger.md, "The downloadable verifier").
    [verifier] = await logged_releases(sessions, "verifier.published")
    assert verifier["sha256"] == build_verifier_file(release_version()).sha256

    # The same files again: nothing new. Other files: the next release is logged.
    await start_and_stop(serving, clock)
    assert len(await logged_releases(sessions)) == 1
    assert len(await logged_releases(sessions, "verifier.published")) == 1
    changed = dict(scripts) | {"/static/js/lot-key.js": "sha384-" + "A" * 64}
    admitted = await record_release_scripts(sessions, keys_of(settings), clock, "0.1.1", changed)
    assert admitted is not None
    async with sessions() as session:
        assert await last_release_scripts(session) == changed
    assert len(await logged_releases(sessions)) == 2


async def test_a_process_without_background_jobs_logs_nothing(
    settings: Settings, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await start_and_stop(settings, clock)  # the tests' settings run no background jobs
    assert await logged_releases(sessions) == []
