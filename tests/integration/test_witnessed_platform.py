"""The platform and its witnesses as deployed: three ``achyk-witness serve`` processes and ``auction serve`` on
loopback, over a PostgreSQL database of its own, bids through the real API (docs/witnesses.md end to end).

An inspector trusts the exported ledger under the platform's policy and under one written from the witnesses' own
keys, not without one; remembers what it verified, so a bundle that drops its newest entries with their checkpoint
fails; the monitor follows the growing log. A witness down costs nothing; two down stop binding actions once the grace
has passed, and the outage extends the close of a lot in its final window. The operator, holding the log key, shows
two branches to different witnesses: each refuses the other's, keeps the evidence, and the verifier rejects one
branch against the other.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock, SystemClock
from auction.ledger.verifier.bundle import read_bundle, write_bundle
from auction.ledger.verifier.note import Checkpoint, parse_vkey
from auction.ledger.verifier.witnessing import (
    PolicyWitness,
    TrustPolicy,
    WitnessKey,
    parse_policy,
    verify_cosignatures,
)
from tests.kit.site import (
    LEDGER_ORIGIN,
    ServedSite,
    SiteAuction,
    log_signing_key,
    log_vkey,
    site_ledger_keys,
    start_site,
)
from tests.kit.witnesses import RunningWitness, TestLog, add_checkpoint_body, start_witness, witness_command
from tests.kit.world import World, build_world

pytestmark = [pytest.mark.postgres, pytest.mark.own_database]

GRACE = 5
QUORUM = 2
NAMES = ("witness1.audit.test.kg", "witness2.prosecutor.test.kg", "witness3.civic.test.kg")
# Generous: a deadline only bounds how long a poll may wait for what must happen, it asserts no speed.
DEADLINE = 60.0
T = TypeVar("T")


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("the served platform runs on PostgreSQL, as deployed (the site refuses keys of its own there)")


@dataclass
class Platform:
    """The served site, its three witnesses (restartable on their directories and ports) and an API client."""

    site: ServedSite
    witnesses: list[RunningWitness]
    world: World
    api: httpx.AsyncClient
    home: Path

    @property
    def keys(self) -> list[WitnessKey]:
        return [w.key for w in self.witnesses]

    def stop_witness(self, number: int) -> None:
        self.witnesses[number].stop()

    def restart_witness(self, number: int) -> None:
        old = self.witnesses[number]
        port = int(old.url.rsplit(":", 1)[1])
        again = start_witness(self.home, old.name, [log_vkey()], directory=old.directory, port=port)
        assert (again.url, again.vkey) == (old.url, old.vkey)
        self.witnesses[number] = again

    def inspector_policy(self, path: Path, quorum: int = QUORUM) -> Path:
        """The policy an inspector writes from the keys the log's and the witnesses' owners published."""
        policy = TrustPolicy(
            logs=(parse_vkey(log_vkey()),),
            witnesses=tuple(PolicyWitness(w.key, w.url) for w in self.witnesses),
            quorum=quorum,
            grace_seconds=GRACE,
        )
        path.write_text(policy.text(), encoding="utf-8")
        return path

    async def published(self) -> str:
        answer = await self.api.get("/api/v1/ledger/checkpoint")
        assert answer.status_code == 200, answer.text
        return answer.text

    async def checkpoints(self) -> list[dict[str, object]]:
        """Every signed checkpoint with its cosignature lines, oldest first (all pages)."""
        items: list[dict[str, object]] = []
        while page := (await self.api.get("/api/v1/ledger/checkpoints", params={"after": _last_id(items)})).json():
            items += page
        return items

    def cosigners(self, note: str) -> set[str]:
        """The names of the witnesses whose valid cosignature the note carries (raises on a forged one)."""
        return {c.witness.name for c in verify_cosignatures(note, self.keys)}


def _last_id(items: list[dict[str, object]]) -> int:
    return int(str(items[-1]["id"])) if items else 0


@pytest.fixture
async def platform(
    database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> AsyncIterator[Platform]:
    # The world's accounts and bidder keys are written straight to the database; everything else goes through the API.
    world = await build_world(sessions, FrozenClock(SystemClock().now()), site_ledger_keys(tmp_path / "data"))
    # The witnesses pin the log's key, which the test (the operator) holds; the platform then names the witnesses.
    witnesses: list[RunningWitness] = []
    site: ServedSite | None = None
    try:
        for name in NAMES:
            witnesses.append(await asyncio.to_thread(start_witness, tmp_path, name, [log_vkey()]))
        settings = {
            "ACHYK_WITNESSES": "; ".join(f"{w.vkey} {w.url}" for w in witnesses),
            "ACHYK_WITNESS_QUORUM": str(QUORUM),
            "ACHYK_WITNESS_GRACE_SECONDS": str(GRACE),
            "ACHYK_WITNESS_REFRESH_SECONDS": "1",
            "ACHYK_WITNESS_TIMEOUT_SECONDS": "1",
        }
        site = await asyncio.to_thread(start_site, database_url, tmp_path, settings)
        async with httpx.AsyncClient(base_url=site.url, timeout=30) as api:
            yield Platform(site, witnesses, world, api, tmp_path)
    finally:
        if site is not None:
            await asyncio.to_thread(site.stop)
        for witness in witnesses:
            await asyncio.to_thread(witness.stop)


async def until(what: str, probe: Callable[[], Awaitable[T | None]], seconds: float = DEADLINE) -> T:
    """Poll `probe` until it returns something, failing with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while (found := await probe()) is None:
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        await asyncio.sleep(0.2)
    return found


def ahead(seconds: float) -> str:
    """An instant `seconds` from now by the real clock, which the server keeps, as the API takes it."""
    return (SystemClock().now() + timedelta(seconds=seconds)).isoformat()


def verify(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    """The offline verifier as an inspector runs it."""
    command = [sys.executable, "-m", "auction.ledger.verifier", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def witness_cli(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    command = [*witness_command(), *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


async def open_lot(platform: Platform, closes_in: float, soft_close_minutes: int) -> SiteAuction:
    """An open ascending lot with bidder and bidder2 approved, opened by the server's scheduler."""
    auction = SiteAuction(platform.api, platform.world)
    await auction.create(
        applications_close_at=ahead(10),
        bidding_opens_at=ahead(11),
        bidding_closes_at=ahead(closes_in),
        soft_close_minutes=soft_close_minutes,
        max_extension_minutes=60,
    )
    for who in ("bidder", "bidder2"):
        await auction.admit(who)
    await auction.until_open(DEADLINE)
    return auction


async def witnessed_bid(platform: Platform, auction: SiteAuction, who: str) -> str:
    """`who` bids; returns the first published checkpoint that covers the bid (it carries a quorum)."""
    answer = await auction.bid(who)
    assert answer.status_code == 201, answer.text

    async def integrated_index() -> int | None:
        bids = [e for e in await auction.chain() if e["kind"] == "bid.placed"]
        return int(bids[-1]["index"]) if bids and "index" in bids[-1] else None

    index = await until("the bid to be integrated", integrated_index)

    async def covering() -> str | None:
        note = await platform.published()
        return note if Checkpoint.from_note(note).size > index else None

    return await until(f"a witnessed checkpoint covering entry {index}", covering)


async def test_real_witnesses_cosign_the_platform_and_an_inspector_trusts_only_what_they_vouch_for(
    platform: Platform, tmp_path: Path
) -> None:
    policy = tmp_path / "platform.policy"
    policy.write_text((await platform.api.get("/api/v1/ledger/policy")).text, encoding="utf-8")
    independent = platform.inspector_policy(tmp_path / "inspector.policy")
    # The platform's own statement names the same keys, witnesses, quorum and grace the inspector got from the owners.
    assert parse_policy(policy.read_text()) == parse_policy(independent.read_text())

    auction = await open_lot(platform, closes_in=600, soft_close_minutes=1)
    monitor_state = tmp_path / "monitor"
    first_seen = await witnessed_bid(platform, auction, "bidder")
    watched = witness_cli(
        "monitor", "--url", platform.site.url, "--policy", independent, "--state", monitor_state, "--once"
    )
    assert watched.returncode == 0, watched.stdout + watched.stderr
    first_size = monitored_size(watched.stdout)

    # Every checkpoint the platform publishes carries a quorum of valid cosignatures.
    published = [first_seen]
    for who in ("bidder2", "bidder", "bidder2", "bidder"):
        published.append(await witnessed_bid(platform, auction, who))
    for note in published:
        assert len(platform.cosigners(note)) >= QUORUM, note
    sizes = [Checkpoint.from_note(note).size for note in published]
    assert sizes == sorted(sizes)
    assert sizes[0] < sizes[-1]

    grown = witness_cli(
        "monitor", "--url", platform.site.url, "--policy", independent, "--state", monitor_state, "--once"
    )
    assert grown.returncode == 0, grown.stdout + grown.stderr
    assert first_size < sizes[-1] <= monitored_size(grown.stdout)

    # The checkpoints list shows each checkpoint's cosignature lines; those with a quorum time carry the quorum.
    items = await platform.checkpoints()
    witnessed = [c for c in items if c["witnessed_at"] is not None]
    assert witnessed, items
    for item in items:
        lines = [str(line) + "\n" for line in item["cosignatures"]]  # type: ignore[attr-defined]
        names = platform.cosigners(str(item["note"]) + "".join(lines))
        assert len(names) == len(lines), item
        if item["witnessed_at"] is not None:
            assert len(names) >= QUORUM, item

    # The inspector exports the bundle and verifies it: trusted under either policy, not without one.
    export = await platform.api.get("/api/v1/ledger/export")
    assert export.status_code == 200, export.text
    bundle = tmp_path / "ledger.zip"
    bundle.write_bytes(export.content)
    for given in (policy, independent):
        trusted = verify(bundle, "--policy", given)
        assert trusted.returncode == 0, trusted.stdout + trusted.stderr
        assert "OK" in trusted.stdout, trusted.stdout
    untrusted = verify(bundle)
    assert untrusted.returncode == 3, untrusted.stdout + untrusted.stderr
    assert "NOT TRUSTED" in untrusted.stdout

    # Truncation: the inspector remembers the bundle it verified; a copy without its newest entries and the
    # checkpoints over them is consistent with itself, but not with what the inspector saw.
    state = tmp_path / "state"
    state.mkdir()
    remembered = verify(bundle, "--policy", independent, "--state", state)
    assert remembered.returncode == 0, remembered.stdout + remembered.stderr
    truncated = truncate(bundle, tmp_path / "truncated", platform)
    alone = verify(truncated, "--policy", independent)
    assert alone.returncode == 0, alone.stdout + alone.stderr
    dropped = verify(truncated, "--policy", independent, "--state", state)
    assert dropped.returncode == 1, dropped.stdout + dropped.stderr
    assert "truncated" in dropped.stdout, dropped.stdout

    await split_view(platform, tmp_path)


def monitored_size(output: str) -> int:
    """The size in the monitor's ``OK <origin> size <n> witnessed by <k> of <n>`` line."""
    words = output.split()
    assert words[:3] == ["OK", LEDGER_ORIGIN, "size"], output
    assert words[4:6] == ["witnessed", "by"], output
    assert int(words[6]) >= QUORUM, output
    return int(words[3])


def truncate(bundle: Path, target: Path, platform: Platform) -> Path:
    """The bundle cut back to its newest witnessed checkpoint smaller than its size (entries and notes after it go)."""
    with read_bundle(bundle) as opened:
        notes, leaves, vkeys = opened.checkpoints(), list(opened.entries()), opened.vkeys
    size = len(leaves)
    kept_size = max(
        Checkpoint.from_note(n).size
        for n in notes
        if Checkpoint.from_note(n).size < size and len(platform.cosigners(n)) >= QUORUM
    )
    kept = [n for n in notes if Checkpoint.from_note(n).size <= kept_size]
    write_bundle(target, leaves[:kept_size], kept, vkeys, LEDGER_ORIGIN)
    return target


async def split_view(platform: Platform, tmp_path: Path) -> None:
    """The operator signs two branches of its log from the tree every witness cosigned and shows them apart."""
    size = await until("all three witnesses to hold the same tree", lambda: _common_size(platform))
    leaves: list[bytes] = []
    while len(leaves) < size:
        page = (await _entries(platform, len(leaves), size)).json()
        leaves += [bytes.fromhex(e["leaf_hash"]) for e in page]
    tree = Checkpoint.from_note(await platform.published())
    # The operator's own platform would keep sending the honest branch; it is the operator's to stop.
    await asyncio.to_thread(platform.site.stop)
    branch_a = TestLog(origin=LEDGER_ORIGIN, key=log_signing_key(), leaves=list(leaves))
    branch_b = TestLog(origin=LEDGER_ORIGIN, key=log_signing_key(), leaves=list(leaves))
    branch_a.grow(2, salt="branch A ")
    branch_b.grow(2, salt="branch B ")
    assert (tree.size, branch_a.root(size)) == (size, tree.root)
    assert branch_a.root(size + 2) != branch_b.root(size + 2)
    note_a, note_b = branch_a.note(size + 2), branch_b.note(size + 2)
    to_a = add_checkpoint_body(size, branch_a.proof(size, size + 2), note_a)
    to_b = add_checkpoint_body(size, branch_b.proof(size, size + 2), note_b)
    w1, w2, w3 = platform.witnesses

    async def show(witness: RunningWitness, body: bytes) -> httpx.Response:
        return await platform.api.post(witness.url + "/add-checkpoint", content=body)

    cosigned_a = [await show(w1, to_a)]
    cosigned_b = await show(w2, to_b)
    assert (cosigned_a[0].status_code, cosigned_b.status_code) == (200, 200), (cosigned_a[0].text, cosigned_b.text)
    # Each witness, shown the other branch: first as it was sent (a stale size, no evidence), then from the size
    # it cosigned (a fork: the log signed two trees of one size, evidence kept).
    for witness, body, note in ((w1, to_b, note_b), (w2, to_a, note_a)):
        stale = await show(witness, body)
        assert (stale.status_code, stale.text) == (409, f"{size + 2}\n"), stale.text
        forked = await show(witness, add_checkpoint_body(size + 2, [], note))
        assert forked.status_code == 409, forked.text
        kept = witness_cli("evidence", "--dir", witness.directory)
        assert kept.returncode == 0, kept.stderr
        assert kept.stdout.count("=== evidence") == 1, kept.stdout
        assert "fork" in kept.stdout, kept.stdout
        assert note in kept.stdout, kept.stdout
    # The third witness sees branch A first: A has its quorum, B never can.
    cosigned_a.append(await show(w3, to_a))
    assert cosigned_a[1].status_code == 200, cosigned_a[1].text
    assert (await show(w3, add_checkpoint_body(size + 2, [], note_b))).status_code == 409
    checkpoint_a = tmp_path / "branch-a.checkpoint"
    checkpoint_a.write_text(note_a + "".join(r.text for r in cosigned_a), encoding="utf-8")
    checkpoint_b = tmp_path / "branch-b.checkpoint"
    checkpoint_b.write_text(note_b + cosigned_b.text, encoding="utf-8")
    assert platform.cosigners(checkpoint_a.read_text()) == {w1.name, w3.name}

    strict, lenient = platform.inspector_policy(tmp_path / "q2.policy"), platform.inspector_policy(tmp_path / "q1", 1)
    state = tmp_path / "split-state"
    state.mkdir()
    seen_a = verify("--checkpoint", checkpoint_a, "--policy", strict, "--state", state)
    assert seen_a.returncode == 0, seen_a.stdout + seen_a.stderr
    # Under the quorum B lacks the cosignatures; even an inspector who asks for one remembers A and sees the split.
    short = verify("--checkpoint", checkpoint_b, "--policy", strict, "--state", state)
    assert short.returncode == 1, short.stdout + short.stderr
    split = verify("--checkpoint", checkpoint_b, "--policy", lenient, "--state", state)
    assert split.returncode == 1, split.stdout + split.stderr
    assert "split view" in split.stdout, split.stdout


async def _entries(platform: Platform, start: int, end: int) -> httpx.Response:
    return await platform.api.get("/api/v1/ledger/entries", params={"start": start, "end": min(end, start + 100)})


async def _common_size(platform: Platform) -> int | None:
    """The tree size every witness last cosigned and the platform publishes, once they agree."""
    published = Checkpoint.from_note(await platform.published()).size
    sizes = set()
    for witness in platform.witnesses:
        about = (await platform.api.get(witness.url + "/")).text
        line = next(line for line in about.splitlines() if line.startswith(f"cosigned {LEDGER_ORIGIN} "))
        sizes.add(int(line.split()[3]) if "size" in line else -1)
    return published if sizes == {published} else None


async def test_one_witness_down_costs_nothing_two_stop_binding_actions_and_the_outage_extends_the_close(
    platform: Platform,
) -> None:
    # The whole auction lies in its final (soft-close) window, so any outage hits it; the close is far enough away
    # that the outage is over before it.
    auction = await open_lot(platform, closes_in=150, soft_close_minutes=5)
    original_close = str((await auction.state())["closes_at"])
    w1, w2, _w3 = (w.name for w in platform.witnesses)
    assert len(platform.cosigners(await witnessed_bid(platform, auction, "bidder"))) >= QUORUM

    # One witness down: the other two still make the quorum on every new checkpoint.
    await asyncio.to_thread(platform.stop_witness, 2)
    for who in ("bidder2", "bidder"):
        assert platform.cosigners(await witnessed_bid(platform, auction, who)) == {w1, w2}

    # Two down: once a checkpoint has lacked its quorum for longer than the grace, binding actions wait.
    await asyncio.to_thread(platform.stop_witness, 1)
    bidders = iter(("bidder2", "bidder") * 100)

    async def refused() -> httpx.Response | None:
        answer = await auction.bid(next(bidders))
        if answer.status_code == 201:
            return None
        return answer

    refusal = await until("a bid refused for want of witnesses", refused)
    assert refusal.status_code == 503, refusal.text
    assert refusal.headers["Retry-After"] == "60"
    assert "ledger.unwitnessed" in refusal.text or "witness" in refusal.text.lower(), refusal.text

    # The witnesses come back on their directories and ports. The outage hit the lot's final window: the scheduler
    # extends its close and says why in the ledger. (A bid accepted first would have moved the close by the soft
    # close already, and the outage rule then rightly leaves it: so the test waits for the extension before bidding.)
    for number in (1, 2):
        await asyncio.to_thread(platform.restart_witness, number)

    async def outage_extension() -> dict[str, object] | None:
        chain = await auction.chain()
        found = [e for e in chain if e["kind"] == "auction.extended" and '"reason":"outage"' in _text(e)]
        return found[0] if found else None

    extension = await until("auction.extended with reason outage", outage_extension)
    assert '"outage_from"' in _text(extension)
    assert '"outage_to"' in _text(extension)
    assert str((await auction.state())["closes_at"]) > original_close

    # Bidding resumes, witnessed again.
    async def accepted() -> httpx.Response | None:
        answer = await auction.bid(next(bidders))
        return answer if answer.status_code == 201 else None

    await until("a bid accepted again", accepted)
    published = await platform.published()
    assert len(platform.cosigners(published)) >= QUORUM


def _text(entry: dict[str, object]) -> str:
    """An entry's bytes as the public chain shows them: the leaf once integrated, the body while pending."""
    return str(entry.get("leaf", entry.get("body", "")))
