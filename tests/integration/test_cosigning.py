"""The platform collects witness cosignatures: storage, quorum time, health, re-signing and refresh (docs/witnesses.md).

The witnesses are tests.kit.witness.TestWitness, called through the Cosigner's submit seam: real signatures, a real
consistency check against what each remembers, their own clocks. The real `achyk-witness serve` over HTTP is tested
with the witness program.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock, as_utc
from auction.db.engine import transaction
from auction.ledger.admission import LedgerWriter
from auction.ledger.cosigning import Cosigner
from auction.ledger.integrator import Integrator
from auction.ledger.models import (
    CheckpointCosignature,
    SignedCheckpoint,
    WitnessHealth,
    WitnessState,
)
from auction.ledger.verifier.note import Checkpoint, open_checkpoint
from auction.ledger.verifier.witnessing import checkpoint_time, verify_cosignatures
from auction.ledger.witness_config import WitnessConfig
from auction.settings import Settings
from tests.kit.ledger import keys_of, verifier
from tests.kit.witness import Platform, three_witnesses

# Rounds open sessions of their own while others are open: real connections, not one shared transaction.
pytestmark = pytest.mark.own_database


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@pytest.fixture
def platform(sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock) -> Platform:
    return Platform(sessions, keys_of(settings), clock, three_witnesses(keys_of(settings), clock))


async def test_the_integrator_signs_a_time_line_with_its_clock(platform: Platform, clock: FrozenClock) -> None:
    await platform.admit(3)
    note = (await platform.newest()).note
    checkpoint, _ = open_checkpoint(note, [verifier(platform.keys)])
    assert checkpoint.size == 3
    assert checkpoint.extensions == (f"time {int(clock.now().timestamp())}",)


async def test_a_witness_down_still_leaves_a_quorum_of_two_of_three(platform: Platform, clock: FrozenClock) -> None:
    a, b, c = platform.witnesses
    c.down = True
    await platform.admit(5)
    newest = await platform.newest()

    done = await platform.cosigner.step()

    assert done is not None
    assert done.cosigned == 2
    # The quorum time is the 2nd smallest of the witnesses' own timestamps: B's (+2 s), not the platform's clock.
    now = int(clock.now().timestamp())
    assert done.witnessed_at == at(now + 2)
    [witnessed] = await platform.witnessed()
    assert (witnessed.checkpoint_id, witnessed.size, as_utc(witnessed.witnessed_at)) == (newest.id, 5, at(now + 2))
    async with platform.sessions() as session:
        lines = list(await session.scalars(select(CheckpointCosignature.line)))
        sizes = dict((await session.execute(select(WitnessState.witness_vkey, WitnessState.size))).all())
    found = verify_cosignatures(newest.note + "".join(lines), [w.key for w in platform.witnesses])
    assert {cosignature.witness for cosignature in found} == {a.key, b.key}
    assert sizes == {a.key.vkey: 5, b.key.vkey: 5}
    health = await platform.health()
    assert (health.unwitnessed_since, health.witnessed_size) == (None, 5)
    assert health.witnessed_until is not None
    assert as_utc(health.witnessed_until) == at(now + 2)

    # The tree grows: each witness gets a consistency proof from the size it cosigned, and checks it.
    clock.advance(timedelta(seconds=1))
    await platform.admit(4)
    done = await platform.cosigner.step()
    assert done is not None
    assert done.cosigned == 2
    assert [r.old for r in a.requests] == [0, 5]
    assert len(a.requests[1].proof) > 0
    assert (a.size, b.size, c.size) == (9, 9, 0)
    assert [w.size for w in await platform.witnessed()] == [5, 9]


async def test_a_hung_witness_does_not_hold_back_the_quorum_the_others_made(
    platform: Platform, clock: FrozenClock
) -> None:
    c = platform.witnesses[2]
    c.hung = asyncio.Event()
    # The round may wait for C as long as the test likes: only the order of events is checked, not a duration.
    platform.cosigner.config = replace(platform.cosigner.config, timeout_seconds=3600)
    await platform.admit(3)
    newest = await platform.newest()

    running = asyncio.create_task(platform.cosigner.step())
    for _ in range(3000):
        if (await platform.health()).witnessed_size == 3 or running.done():
            break
        await asyncio.sleep(0.01)
    # A and B made the quorum: it is stored and counts (health) while C has not answered yet.
    assert not running.done()
    [witnessed] = await platform.witnessed()
    now = int(clock.now().timestamp())
    assert (witnessed.checkpoint_id, as_utc(witnessed.witnessed_at)) == (newest.id, at(now + 2))
    health = await platform.health()
    assert (health.unwitnessed_since, health.witnessed_size) == (None, 3)

    c.hung.set()
    done = await running
    assert done is not None
    assert (done.cosigned, done.witnessed_at) == (3, at(now + 2))
    assert await platform.count(CheckpointCosignature) == 3
    assert len(await platform.witnessed()) == 1
    assert c.size == 3


async def test_below_the_quorum_nothing_is_witnessed_and_the_outage_shows(
    platform: Platform, clock: FrozenClock
) -> None:
    a, b, _ = platform.witnesses
    a.down = b.down = True
    await platform.admit(2)
    first = await platform.newest()

    done = await platform.cosigner.step()

    assert done is not None
    assert (done.cosigned, done.witnessed_at) == (1, None)
    assert await platform.witnessed() == []
    health = await platform.health()
    assert health.unwitnessed_since is not None
    assert as_utc(health.unwitnessed_since) == as_utc(first.signed_at)
    assert (health.witnessed_until, health.witnessed_size) == (None, 0)

    # Sent once; a few seconds later the same tree is signed again with a fresh time, which witnesses accept.
    clock.advance(timedelta(seconds=3))
    assert await platform.cosigner.step() is None
    clock.advance(timedelta(seconds=3))
    a.down = False
    done = await platform.cosigner.step()
    fresh = await platform.newest()
    assert fresh.id != first.id
    assert (fresh.size, fresh.root) == (first.size, first.root)
    assert checkpoint_time(Checkpoint.from_note(fresh.note)) == int(clock.now().timestamp())
    assert done is not None
    assert done.checkpoint_id == fresh.id
    assert done.witnessed_at is not None
    health = await platform.health()
    assert (health.unwitnessed_since, health.witnessed_size) == (None, 2)


async def test_a_witness_that_remembers_another_size_is_asked_again_from_it(
    platform: Platform, clock: FrozenClock
) -> None:
    a = platform.witnesses[0]
    await platform.admit(3)
    await platform.cosigner.step()
    # The platform forgot what the witnesses hold (a restored backup): they say so with 409 and their size.
    async with transaction(platform.sessions) as session:
        await session.execute(delete(WitnessState))
    clock.advance(timedelta(seconds=1))
    await platform.admit(2)

    done = await platform.cosigner.step()

    assert done is not None
    assert done.cosigned == 3
    assert [r.old for r in a.requests] == [0, 0, 3]
    async with platform.sessions() as session:
        assert set(await session.scalars(select(WitnessState.size))) == {5}


async def test_a_forged_cosignature_is_not_stored(
    platform: Platform, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    _a, b, c = platform.witnesses
    b.forges = c.forges = True
    await platform.admit(1)
    with caplog.at_level(logging.WARNING, logger="auction.ledger.cosigning"):
        done = await platform.cosigner.step()
    assert done is not None
    assert (done.cosigned, done.witnessed_at) == (1, None)
    assert await platform.count(CheckpointCosignature) == 1
    bad = [r.getMessage() for r in caplog.records if "bad cosignature" in r.getMessage()]
    assert len(bad) == 2
    assert all(b.url in m or c.url in m for m in bad)


async def test_an_idle_log_is_re_signed_and_witnessed_every_refresh(platform: Platform, clock: FrozenClock) -> None:
    await platform.admit(1)
    await platform.cosigner.step()
    signed = await platform.count(SignedCheckpoint)
    until = (await platform.health()).witnessed_until

    clock.advance(timedelta(seconds=20))
    assert await platform.cosigner.step() is None
    assert await platform.count(SignedCheckpoint) == signed

    clock.advance(timedelta(seconds=10))
    done = await platform.cosigner.step()
    assert done is not None
    assert done.witnessed_at is not None
    assert await platform.count(SignedCheckpoint) == signed + 1
    health = await platform.health()
    assert until is not None
    assert health.witnessed_until is not None
    assert as_utc(health.witnessed_until) - as_utc(until) == timedelta(seconds=30)
    assert health.unwitnessed_since is None


async def test_without_witnesses_the_health_row_vouches_for_nothing(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    async with transaction(sessions) as session:
        health = await session.get(WitnessHealth, 1)
        assert health is not None
        health.unwitnessed_since = health.witnessed_until = clock.now()
    keys = keys_of(settings)
    integrator = Integrator(sessions, keys, clock)
    nobody = WitnessConfig((), 0, 10, 2.0)

    async def unreachable(url: str, body: str) -> tuple[int, str, str]:
        raise AssertionError("no witness is asked when none is configured")

    cosigner = Cosigner(sessions, keys, clock, nobody, unreachable, integrator.sign_current_tree)
    assert await cosigner.step() is None
    async with sessions() as session:
        health = await session.get(WitnessHealth, 1)
    assert health is not None
    assert (health.unwitnessed_since, health.witnessed_until) == (None, None)


async def test_the_leader_loop_has_each_new_checkpoint_cosigned(platform: Platform) -> None:
    """The integrator's own loop starts the rounds (beside it, after each batch); waited for, not timed."""
    integrator = Integrator(platform.sessions, platform.keys, platform.clock, interval_seconds=0.01)
    integrator.cosigner = platform.cosigner
    async with transaction(platform.sessions) as session:
        await LedgerWriter(session, platform.keys, platform.clock).record("notice.posted", None, "system", {})
    stop = asyncio.Event()
    loop = asyncio.create_task(integrator.run(stop))
    try:
        for _ in range(1000):
            if await platform.witnessed():
                break
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await loop
    [witnessed] = await platform.witnessed()
    assert (witnessed.size, witnessed.checkpoint_id) == (1, (await platform.newest()).id)
