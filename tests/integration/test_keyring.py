"""The deployment's keys in the database, on both engines: hosts starting together end up with one set, the first
host to agree publishes, and an app whose keys disagree fails its start-up instead of serving."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.db.engine import make_engine, make_sessionmaker
from auction.keyring.models import DeploymentKey
from auction.keyring.rules import KeyEncryptionKeyWrong, KeysDisagree, fingerprint, host_keys
from auction.keyring.service import check_host_keys, renew_session_secret, shared_secrets
from auction.settings import Settings

pytestmark = pytest.mark.own_database

KEK = b"k" * 32
HOSTS = 4


async def test_hosts_starting_together_share_the_one_sealed_set(database_url: str, clock: FrozenClock) -> None:
    engines = [make_engine(database_url) for _ in range(HOSTS)]
    try:
        sets = await asyncio.gather(*(shared_secrets(make_sessionmaker(e), KEK, clock.now()) for e in engines))
        assert all(one == sets[0] for one in sets), "two hosts made keys of their own"
        async with make_sessionmaker(engines[0])() as session:
            stored = dict((await session.execute(select(DeploymentKey.purpose, DeploymentKey.value))).all())
        assert not [secret for secret in sets[0].values() if any(secret.encode() in v for v in stored.values())]
        with pytest.raises(KeyEncryptionKeyWrong):
            await shared_secrets(make_sessionmaker(engines[0]), b"w" * 32, clock.now())
    finally:
        for engine in engines:
            await engine.dispose()


async def test_of_two_hosts_starting_with_different_keys_one_is_refused(
    database_url: str, sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    mine = host_keys(settings.resolved_secret_key(), settings.ledger_keys())
    other = replace(mine, session_fingerprint=fingerprint("another-secret-0123456789"))
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        answers = await asyncio.gather(
            *(
                check_host_keys(make_sessionmaker(e), host, clock.now())
                for e, host in zip(engines, (mine, other), strict=True)
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(len(problems) for problems in answers) == [0, 1], answers
    # Whoever won, the published fingerprint is that host's and every later start is judged by it.
    winner = mine if answers[0] == [] else other
    loser = other if winner is mine else mine
    assert await check_host_keys(sessions, winner, clock.now()) == []
    assert await check_host_keys(sessions, loser, clock.now()) != []


async def test_an_app_whose_keys_disagree_does_not_start(settings: Settings, clock: FrozenClock) -> None:
    from web.app import create_app

    async with AsyncTestClient(app=create_app(settings, clock)) as first:
        assert (await first.get("/api/v1/ledger/key")).status_code == 200
    stranger = settings.model_copy(update={"ledger_signing_key": base64.b64encode(b"x" * 32).decode()})
    # The lifespan's refusal reaches the server wrapped in the task group that ran it.
    with pytest.raises(BaseException) as refused:
        async with AsyncTestClient(app=create_app(stranger, clock)):
            pass
    reasons = refused.value.exceptions if isinstance(refused.value, BaseExceptionGroup) else (refused.value,)
    [disagree] = [reason for reason in reasons if isinstance(reason, KeysDisagree)]
    assert [problem.split(":", 1)[0] for problem in disagree.problems] == ["ACHYK_LEDGER_SIGNING_KEY"]


async def test_a_session_secret_changed_on_purpose_is_expected_from_then_on(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    old = host_keys(settings.resolved_secret_key(), settings.ledger_keys())
    assert await check_host_keys(sessions, old, clock.now()) == []
    new_secret = "the-new-session-secret-after-a-leak-0123456789"
    async with sessions() as session, session.begin():
        await renew_session_secret(session, new_secret, None, clock.now())
    assert await check_host_keys(sessions, replace(old, session_fingerprint=fingerprint(new_secret)), clock.now()) == []
    [problem] = await check_host_keys(sessions, old, clock.now())
    assert problem.startswith("ACHYK_SECRET_KEY:")


async def test_renewing_a_sealed_session_secret_seals_the_new_one_and_keeps_the_old(
    sessions: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    before = await shared_secrets(sessions, KEK, clock.now())
    async with sessions() as session, session.begin():
        await renew_session_secret(session, "a-fresh-session-secret-0123456789", KEK, clock.now())
    after = await shared_secrets(sessions, KEK, clock.now())
    assert after["ACHYK_SECRET_KEY"] == "a-fresh-session-secret-0123456789"
    assert after["ACHYK_LEDGER_SIGNING_KEY"] == before["ACHYK_LEDGER_SIGNING_KEY"]
    async with sessions() as session:
        retired = await session.scalar(
            select(DeploymentKey.purpose).where(DeploymentKey.purpose.startswith("sealed:ACHYK_SECRET_KEY.retired-"))
        )
    assert retired is not None
