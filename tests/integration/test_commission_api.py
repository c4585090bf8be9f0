"""The commission's key nobody holds whole, through the relay API with software members (docs/keys.md section 2).

A 3-of-5 ceremony publishes a sealed lot; any 3 members open it, a member may stay away, a wrong share is refused
and named; every refusal is a clear 4xx. The operator test dumps everything the server holds before the opening
and finds neither a sealed amount nor anything that decrypts a bid.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.bidding.participation import ParticipationService
from auction.clock import FrozenClock
from auction.db.base import Base
from auction.db.engine import transaction
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier import dkg, group
from auction.ledger.verifier.entry import Body, parse_body, parse_leaf
from auction.ledger.verifier.sealed import b64url_encode, ciphertext_hash, encrypt_bid
from auction.settings import Settings
from tests.kit.commission import ApiCommission, Client
from tests.kit.drive import Drive
from tests.kit.keys import api_signed
from tests.kit.world import World
from tests.web.conftest import Client as WebClient
from tests.web.conftest import log_in

MEMBERS = ("officer_tokmok", "officer2_tokmok", "officer3_tokmok", "officer4_tokmok", "officer5_tokmok")
# Amounts no other number in the world spells, so finding one means finding a bid.
AMOUNTS = {"bidder": 123_456_781, "bidder2": 118_765_437, "bidder3": 119_283_746}


@pytest.fixture
async def world(world: World) -> World:
    for name in MEMBERS[2:]:
        await world.officer(name)
    await world.bidder("bidder3")
    return world


async def chain(client: Client, lot_id: int) -> list[Body]:
    """The lot's bodies as the public ledger API gives them, integrated or not."""
    got = (await client.get(f"/api/v1/ledger/lots/{lot_id}/entries")).json()
    return [parse_leaf(e["leaf"].encode()).body for e in got["integrated"]] + [
        parse_body(p["body"].encode()) for p in got["pending"]
    ]


async def sealed_draft(world: World) -> int:
    return await world.lot(stage="draft", format="sealed")


async def admit_and_seal(client: Client, world: World, drive: Drive, lot_id: int, key: bytes) -> dict[str, str]:
    """Admit the bidders, open bidding, seal each one's amount as their browser would, close; returns pseudonyms."""
    officer = await world.user("officer_tokmok")
    async with transaction(world.sessions) as session:
        participation = ParticipationService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        for name in AMOUNTS:
            application = await world.apply(name, lot_id, session, participation.ledger)
            await participation.confirm_deposit(officer, application.id, f"KICB-{name}")
    await drive.open(lot_id)
    pseudonyms = {}
    for name, amount in AMOUNTS.items():
        pseudonyms[name] = await drive.pseudonym(lot_id, name)
        ciphertext = encrypt_bid(key, lot_id, pseudonyms[name], amount)
        signed = await api_signed(
            client, world, name, lot_id, "bid.sealed", {"ciphertext_hash": ciphertext_hash(ciphertext)}
        )
        sent = await client.post(
            f"/api/v1/lots/{lot_id}/sealed-bids",
            json={"ciphertext": ciphertext, "signed": signed},
            headers={**world.auth(name), "Idempotency-Key": uuid.uuid4().hex},
        )
        assert sent.status_code == 201, sent.text
    await drive.close(lot_id)
    return pseudonyms


async def test_a_3_of_5_commission_opens_with_exactly_3_and_the_replay_agrees(
    client: Client, world: World, drive: Drive, tmp_path: Path
) -> None:
    lot_id = await sealed_draft(world)
    commission = ApiCommission(client, world, lot_id, MEMBERS, threshold=3)
    key = await commission.publish()
    sealed = next(e for e in await chain(client, lot_id) if e.kind == "lot.published").payload["sealed"]
    assert sealed["scheme"] == "achyk-dkg-ed25519/v1"
    assert sealed["public_key"] == b64url_encode(key)
    assert [m["index"] for m in sealed["members"]] == [1, 2, 3, 4, 5]
    assert dkg.check_ceremony(lot_id, sealed).public_key == key
    pseudonyms = await admit_and_seal(client, world, drive, lot_id, key)

    opening = await commission.opening()
    assert (opening["stage"], len(opening["standing"]), opening["shares"]) == ("collecting", 3, [])
    for name in ("officer2_tokmok", "officer4_tokmok"):
        await commission.share(name)
    early = await commission.open(expect=409)
    assert (early["code"], early["params"]) == ("commission.quorum_not_met", {"needed": 3, "given": 2})
    await commission.share("officer5_tokmok")
    assert (await commission.opening())["stage"] == "ready"
    outcome = await commission.open()
    assert outcome["winner"] == pseudonyms["bidder"]
    assert outcome["price"] == AMOUNTS["bidder"]
    entries = await chain(client, lot_id)
    opened = next(e for e in entries if e.kind == "sealed.opened").payload
    ids = sorted(world.user_ids[n] for n in ("officer2_tokmok", "officer4_tokmok", "officer5_tokmok"))
    assert opened["released_by"] == ids
    assert sorted(o["amount"] for o in opened["opened"]) == sorted(AMOUNTS.values())
    assert [e.actor for e in entries if e.kind == "sealed.share"] == [
        f"officer:{world.user_ids[n]}" for n in ("officer2_tokmok", "officer4_tokmok", "officer5_tokmok")
    ]
    await drive.verify(tmp_path)


async def test_a_member_who_stays_away_is_tolerated_and_a_wrong_share_is_named(
    client: Client, world: World, drive: Drive, tmp_path: Path
) -> None:
    lot_id = await sealed_draft(world)
    commission = ApiCommission(client, world, lot_id, MEMBERS[:4], threshold=3)
    key = await commission.publish()
    await admit_and_seal(client, world, drive, lot_id, key)
    await commission.share("officer_tokmok")
    wrong = await commission.share("officer2_tokmok", wrong=True, expect=422)
    assert wrong["code"] == "commission.bad_share"
    assert wrong["params"]["member_id"] == world.user_ids["officer2_tokmok"]
    assert "fails its proof of correctness" in wrong["params"]["reason"]
    # Someone else's share posted in a member's name is refused too: the proof is against the member's own Y_j.
    opening = await commission.opening()
    stolen = commission.member("officer_tokmok").opening_shares(opening["dealings"], opening["standing"])
    stolen["member"] = world.user_ids["officer3_tokmok"]
    refused = await client.post(
        f"/api/lots/{lot_id}/opening/shares", json=stolen, headers=world.auth("officer3_tokmok")
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "commission.bad_share"
    # officer4 never comes; officer2 posts their right share after all.
    await commission.share("officer2_tokmok")
    await commission.share("officer3_tokmok")
    outcome = await commission.open()
    assert outcome["price"] == AMOUNTS["bidder"]
    entries = await chain(client, lot_id)
    assert len([e for e in entries if e.kind == "sealed.share"]) == 3  # the refused ones left no entry
    await drive.verify(tmp_path)


async def test_a_drafts_relay_is_read_by_those_who_manage_it_and_not_found_by_anyone_else(
    client: WebClient, world: World
) -> None:
    """A draft's relay names its commission: until publication it is its municipality's officers' and the
    administrators', by token or by the member's browser session (a read needs no CSRF token); to anyone else the
    draft does not exist."""
    lot_id = await sealed_draft(world)
    await ApiCommission(client, world, lot_id, MEMBERS[:2], threshold=2).start()
    url = f"/api/lots/{lot_id}/ceremony"
    by_token = {
        who: (await client.get(url, headers=world.auth(who) if who else {})).status_code
        for who in (None, "bidder", "officer_naryn", "inspector", "officer_tokmok", "officer3_tokmok", "admin")
    }
    assert by_token == {
        None: 404,
        "bidder": 404,
        "officer_naryn": 404,
        "inspector": 404,
        "officer_tokmok": 200,
        "officer3_tokmok": 200,  # of the municipality, not a member: the draft's commission page shows it too
        "admin": 200,
    }
    await log_in(client, "officer2_tokmok")
    member = await client.get(url)
    assert (member.status_code, member.json()["stage"]) == (200, "keys")
    await log_in(client, "officer_naryn")
    hidden = await client.get(url)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "lot.not_found")


async def test_every_bad_ceremony_message_gets_a_clear_refusal(client: Client, world: World) -> None:
    lot_id = await sealed_draft(world)
    commission = ApiCommission(client, world, lot_id, MEMBERS[:3], threshold=2)
    state = await commission.start()
    assert state["stage"] == "keys"
    assert [m["public_key"] for m in state["members"]] == [None, None, None]
    base = f"/api/lots/{lot_id}/ceremony"
    first, second = commission.member("officer_tokmok"), commission.member("officer2_tokmok")

    async def post(path: str, who: str, body: dict[str, Any]) -> httpx.Response:
        return await client.post(f"{base}/{path}", json=body, headers=world.auth(who))

    # Nobody posts in another member's name, and a non-member posts nothing.
    assert (await post("key", "officer2_tokmok", first.key_message())).json()["code"] == "commission.not_your_message"
    outsider = await post("key", "bidder", {**first.key_message(), "member": world.user_ids["bidder"]})
    assert (outsider.status_code, outsider.json()["code"]) == (403, "commission.not_member")
    assert (await client.post(f"{base}/key", json=first.key_message())).status_code == 401
    # A proof of possession that proves nothing.
    forged = {**first.key_message(), "pok": second.key_message()["pok"]}
    bad = await post("key", "officer_tokmok", forged)
    assert (bad.status_code, bad.json()["code"]) == (422, "commission.bad_message")
    assert "pok does not prove" in bad.json()["params"]["reason"]
    not_a_point = await post("key", "officer_tokmok", {**first.key_message(), "public_key": b64url_encode(bytes(32))})
    assert not_a_point.status_code == 422
    assert "not a point" in not_a_point.json()["params"]["reason"]
    # A dealing before every key is in.
    assert (await post("key", "officer_tokmok", first.key_message())).status_code == 200
    again = await post("key", "officer_tokmok", first.key_message())
    assert (again.status_code, again.json()["code"]) == (409, "commission.already_posted")
    early = await post("dealing", "officer_tokmok", {"dealer": world.user_ids["officer_tokmok"]})
    assert (early.status_code, early.json()["code"]) == (409, "commission.wrong_stage")
    # Publication waits for a complete ceremony.
    unready = await client.post(f"/api/v1/lots/{lot_id}/sealed/publish", headers=world.auth("officer_tokmok"))
    assert (unready.status_code, unready.json()["code"]) == (409, "commission.ceremony_incomplete")


async def test_a_complaint_stops_the_ceremony_and_a_restart_keeps_it_on_record(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lot_id = await sealed_draft(world)
    commission = ApiCommission(client, world, lot_id, MEMBERS[:3], threshold=2)
    await commission.start()
    base = f"/api/lots/{lot_id}/ceremony"
    names = list(commission.members)
    for name in names:
        await client.post(f"{base}/key", json=commission.member(name).key_message(), headers=world.auth(name))
    roster_json = (await commission.ceremony())["members"]
    from auction.bidding.commission_member import members_from

    roster = members_from(roster_json)
    victim = world.user_ids["officer2_tokmok"]
    for name in names:
        cheat = victim if name == "officer3_tokmok" else None
        dealing = commission.member(name).deal(roster, 2, wrong_share_for=cheat)
        assert (await client.post(f"{base}/dealing", json=dealing, headers=world.auth(name))).status_code == 200
    dealings = (await commission.ceremony())["dealings"]
    ack = commission.member("officer2_tokmok").acknowledge(roster, dealings)
    assert ack["complaints"] == [world.user_ids["officer3_tokmok"]]
    posted = await client.post(f"{base}/acknowledgement", json=ack, headers=world.auth("officer2_tokmok"))
    assert posted.json()["stage"] == "failed"
    # A lying acknowledgement (a verification key the commitments do not give) is refused.
    liar = commission.member("officer_tokmok").acknowledge(roster, dealings)
    liar["verification_key"] = ack["verification_key"]
    refused = await client.post(f"{base}/acknowledgement", json=liar, headers=world.auth("officer_tokmok"))
    assert refused.status_code in (409, 422)
    restarted = await commission.hold()
    assert restarted["stage"] == "complete"
    async with sessions() as session:
        from auction.bidding.models import CommissionCeremony

        runs = list(await session.scalars(select(CommissionCeremony).where(CommissionCeremony.lot_id == lot_id)))
    assert len(runs) == 2
    assert runs[0].discarded_at is not None
    assert runs[1].discarded_at is None


# --- the operator test ------------------------------------------------------------------------------------------


def _spellings(value: int) -> set[str]:
    """How a scalar or amount could be written down: decimal, hex and base64url of its 32 bytes either way."""
    forms = {str(value)}
    for order in ("little", "big"):
        raw = value.to_bytes(32, order)
        forms |= {raw.hex(), b64url_encode(raw), base64.b64encode(raw).decode()}
    return forms


def _byte_strings(text: str) -> Iterator[bytes]:
    """Every hex or base64(url) run of at least 32 bytes in the text, decoded."""
    for token in re.findall(r"[0-9a-fA-F]{64,}", text):
        yield bytes.fromhex(token[: len(token) // 2 * 2])
    for token in re.findall(r"[A-Za-z0-9_\-+/]{43,}", text):
        try:
            yield base64.urlsafe_b64decode(token.replace("+", "-").replace("/", "_") + "=" * (-len(token) % 4))
        except ValueError:
            continue


def _scalars_in(text: str) -> Iterator[int]:
    """Every 32 consecutive bytes of every such run, read as a scalar both ways round."""
    for raw in set(_byte_strings(text)):
        for start in range(len(raw) - 31):
            for order in ("little", "big"):
                value = int.from_bytes(raw[start : start + 32], order)
                if 0 < value < group.L:
                    yield value


async def _dump_database(sessions: async_sessionmaker[AsyncSession]) -> str:
    rows = []
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                values = {k: v.hex() if isinstance(v, bytes) else str(v) for k, v in row.items()}
                rows.append(json.dumps({table.name: values}, ensure_ascii=False))
    return "\n".join(rows)


async def test_the_operator_holds_nothing_that_opens_a_sealed_bid(
    client: Client,
    world: World,
    drive: Drive,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[bytes] = []

    async def capture(request: httpx.Request) -> None:
        bodies.append(await request.aread())

    client.event_hooks["request"].append(capture)
    lot_id = await sealed_draft(world)
    commission = ApiCommission(client, world, lot_id, MEMBERS, threshold=3)
    key = await commission.publish()
    await admit_and_seal(client, world, drive, lot_id, key)
    published = next(e for e in await chain(client, lot_id) if e.kind == "lot.published")
    ceremony = dkg.check_ceremony(lot_id, published.payload["sealed"])
    dealings = (await commission.ceremony())["dealings"]
    # What only the members hold: their key secrets and secret shares; and the joint secret nobody ever holds.
    secrets = {sm.member: sm.secret for sm in commission.members.values()}
    shares = {sm.member: sm.secret_share(dealings) for sm in commission.members.values()}
    index = {m.member: m.index for m in ceremony.members}
    some = sorted(shares)[:3]
    joint = sum(group.lagrange_at_zero([index[m] for m in some], index[m]) * shares[m] for m in some) % group.L
    assert group.base_mul(joint) == key  # the test itself can open the bids, so the searches below can succeed

    files = "\n".join(
        p.read_bytes().decode("utf-8", "replace")
        for p in Path(settings.data_dir).rglob("*")  # noqa: ASYNC240 - a test reading the app's files, once
        if p.is_file()
    )
    logs = caplog.text + "\n".join(capsys.readouterr())
    sent = "\n".join(b.decode("utf-8", "replace") for b in bodies)
    database = await _dump_database(sessions)
    everything = "\n".join((database, files, logs, sent))

    for name, amount in AMOUNTS.items():
        assert str(amount) not in everything, name
        assert f'"amount":{amount}' not in everything, name
    forbidden = [joint, *secrets.values(), *shares.values()]
    for value in forbidden:
        for spelling in _spellings(value):
            assert spelling not in everything
    # No value anywhere is the secret of the joint key, of a member's verification key, or of a member's key.
    guarded = {ceremony.public_key, *ceremony.verification_keys.values(), *(m.public_key for m in ceremony.members)}
    scalars = set(_scalars_in(everything))
    assert len(scalars) > 200  # every 32-byte window of keys, hashes, signatures, encrypted shares below L
    assert not [s for s in scalars if group.base_mul(s) in guarded]

    # After the opening the amounts are in the database: the search above would have found them.
    for name in MEMBERS[:3]:
        await commission.share(name)
    await commission.open()
    after = await _dump_database(sessions)
    assert all(str(amount) in after for amount in AMOUNTS.values())
