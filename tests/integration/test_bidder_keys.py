"""Bidder keys (docs/keys.md 1): signed statements taken and refused by the service, passkeys registered through
the API, recovery by a second key or an officer's re-identification, and an operator's forgery the verifier names."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from auction.accounts.models import BidderKey
from auction.bidding.auction import AuctionService, BidReceipt
from auction.bidding.keys import LOT_KEYS_MAX, KeyService
from auction.bidding.models import Bid
from auction.bidding.participation import ParticipationService
from auction.db.engine import transaction
from auction.errors import DomainError
from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.verifier import statements as st
from auction.ledger.verifier.canonical import format_time, parse_time
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.verify import verify_bundle
from auction.lots.models import Lot, LotState
from tests.kit.drive import Drive
from tests.kit.keys import Ed25519Signer, SoftwareAuthenticator, StatementSigner, api_signed, sign
from tests.kit.ledger import forge_bundle, records_of
from tests.kit.world import World

Client = AsyncTestClient[Litestar]


async def bid_with(world: World, lot_id: int, who: str, amount: int, signed: dict[str, Any] | None) -> BidReceipt:
    bidder = await world.user(who)
    async with transaction(world.sessions) as session:
        auctions = AuctionService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        return await auctions.place_bid(bidder, lot_id, amount, uuid.uuid4().hex, signed)


async def refused(action: Awaitable[Any]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await action
    return caught.value


async def count_bids(world: World) -> int:
    async with world.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Bid)) or 0)


async def register_passkey(world: World, who: str, authenticator: SoftwareAuthenticator) -> None:
    """A passkey on ``who``'s account, as the API stores one after verifying its registration."""
    user = await world.user(who)
    async with transaction(world.sessions) as session:
        await KeyService(session, world.clock).add_passkey(user, authenticator.key, "Y3JlZA", "phone")


async def add_lot_key(world: World, lot_id: int, who: str, key: dict[str, str], signer: StatementSigner) -> Admitted:
    bidder = await world.user(who)
    async with transaction(world.sessions) as session:
        signed = await world.signed(who, lot_id, "bidder.key.added", {"key": key}, signer=signer, session=session)
        participation = ParticipationService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        return await participation.add_key(bidder, lot_id, key, signed)


# --- signatures accepted -----------------------------------------------------------------------------------


async def test_ed25519_and_passkey_signatures_are_accepted_and_replay_clean(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    passkey = SoftwareAuthenticator()
    await register_passkey(world, "bidder2", passkey)
    lot_id = await world.lot("applications", bidders=("bidder",))
    # bidder2 applies with both keys, signing the application with the passkey.
    keys = sorted([dict(world.signers["bidder2"].key), passkey.key], key=st.key_id)
    async with transaction(world.sessions) as session:
        ledger = LedgerWriter(session, world.keys, world.clock)
        signed = await world.signed(
            "bidder2", lot_id, "application.submitted", {"keys": keys}, signer=passkey, session=session
        )
        bidder2 = await world.user("bidder2")
        participation = ParticipationService(session, world.clock, ledger)
        application = await participation.apply(bidder2, lot_id, keys, signed)
        officer = await world.user("officer_tokmok")
        await participation.confirm_deposit(officer, application.id, "KICB-2")
    await drive.open(lot_id)
    await drive.bid(lot_id, "bidder", 100_000_00)
    signed = await world.signed("bidder2", lot_id, "bid.placed", {"amount": 105_000_00}, signer=passkey)
    assert "authenticator_data" in signed
    await bid_with(world, lot_id, "bidder2", 105_000_00, signed)
    await drive.bid(lot_id, "bidder2", 110_000_00)  # and the Ed25519 key, next in the same sequence
    await drive.close(lot_id)
    await drive.verify(tmp_path)


# --- each refusal ------------------------------------------------------------------------------------------


async def test_each_bad_statement_is_refused_and_leaves_nothing(world: World, drive: Drive) -> None:
    lot_id = await world.lot("bidding")
    first = await world.signed("bidder", lot_id, "bid.placed", {"amount": 100_000_00})
    await bid_with(world, lot_id, "bidder", 100_000_00, first)
    amount = 105_000_00
    fields = {"amount": amount}

    async def signed_by(signer: StatementSigner, **changes: Any) -> dict[str, Any]:
        stmt = await world.statement("bidder", lot_id, "bid.placed", fields)
        return sign(signer, {**stmt, **changes})

    stranger = Ed25519Signer()
    kit = world.signers["bidder"]
    late = format_time(world.clock.now() - timedelta(minutes=6))
    other_amount = await world.signed("bidder", lot_id, "bid.placed", {"amount": 999_000_00})
    cases: list[tuple[dict[str, Any] | None, str]] = [
        (None, "statement.missing"),
        ({"key_id": st.key_id(kit.key)}, "statement.missing"),
        (other_amount, "statement.bad_signature"),  # signed for another amount
        ({**await signed_by(kit), "sig": other_amount["sig"]}, "statement.bad_signature"),
        (await signed_by(stranger), "statement.unknown_key"),
        (await signed_by(kit, seq=4), "statement.wrong_sequence"),  # one ahead of the next, 3
        (await signed_by(kit, seen_at=late), "statement.stale"),
    ]
    before = await count_bids(world)
    for signed, code in cases:
        error = await refused(bid_with(world, lot_id, "bidder", amount, signed))
        assert error.code == code, (signed, error.message)
        assert error.field == "signed"
    assert await count_bids(world) == before
    # A key revoked on the account signs nothing more, on any lot.
    user = await world.user("bidder")
    async with transaction(world.sessions) as session:
        await KeyService(session, world.clock).revoke(user, st.key_id(kit.key))
    error = await refused(bid_with(world, lot_id, "bidder", amount, await signed_by(kit)))
    assert error.code == "statement.unknown_key"
    # The refused attempts took no number: the next statement still carries seq 3 (application 1, first bid 2).
    assert (await world.statement("bidder", lot_id, "bid.placed", fields))["seq"] == 3


async def test_a_replayed_statement_is_refused(world: World, drive: Drive) -> None:
    """The operator (or anyone who saw it) sends a bidder's signed sealed bid again: its number is used."""
    lot_id = await world.lot("bidding", "sealed")
    receipt = await drive.seal(lot_id, "bidder", 120_000_00)
    body = json.loads(receipt.body)["payload"]
    bidder = await world.user("bidder")
    async with transaction(world.sessions) as session:
        auctions = AuctionService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        again = auctions.submit_sealed(bidder, lot_id, body["ciphertext"], uuid.uuid4().hex, body["signed"])
        error = await refused(again)
    assert error.code == "statement.wrong_sequence"


async def test_an_application_needs_keys_of_the_account_and_its_own_signature(world: World) -> None:
    lot_id = await world.lot("published")
    bidder = await world.user("bidder")
    stranger = Ed25519Signer()
    strange_keys = [dict(stranger.key)]

    async def apply(keys: object, signed: dict[str, Any] | None) -> Any:
        async with transaction(world.sessions) as session:
            ledger = LedgerWriter(session, world.keys, world.clock)
            return await ParticipationService(session, world.clock, ledger).apply(bidder, lot_id, keys, signed)

    unsigned = await refused(apply(world.key_list("bidder"), None))
    assert unsigned.code == "statement.missing"
    foreign = await world.signed("bidder", lot_id, "application.submitted", {"keys": strange_keys}, signer=stranger)
    assert (await refused(apply(strange_keys, foreign))).code == "statement.unknown_key"
    keys = world.key_list("bidder")
    wrong_keys = await world.signed("bidder", lot_id, "application.submitted", {"keys": []})
    assert (await refused(apply(keys, wrong_keys))).code == "statement.bad_signature"
    good = await world.signed("bidder", lot_id, "application.submitted", {"keys": keys})
    assert (await apply(keys, good)).last_seq == 1


# --- passkeys through the API ------------------------------------------------------------------------------


async def test_a_passkey_is_registered_from_a_real_attestation_and_signs_bids(
    client: Client, world: World, drive: Drive, tmp_path: Path
) -> None:
    auth = world.auth("bidder")
    options = await client.post("/api/me/passkeys/options", headers=auth)
    assert options.status_code == 200, options.text
    body = options.json()
    assert body["authenticatorSelection"]["userVerification"] == "required"
    assert body["authenticatorSelection"]["residentKey"] == "preferred"
    assert [p["alg"] for p in body["pubKeyCredParams"]] == [-7]
    assert "authenticatorAttachment" not in body["authenticatorSelection"]  # absent, never null
    authenticator = SoftwareAuthenticator()
    credential = authenticator.register(body)
    made = await client.post("/api/me/passkeys", json={"credential": credential, "label": "My phone"}, headers=auth)
    assert made.status_code == 201, made.text
    assert made.json()["key_id"] == st.key_id(authenticator.key)
    assert made.json()["public_key"] == authenticator.key["public_key"]
    # The challenge is used once: the same response again is refused.
    again = await client.post("/api/me/passkeys", json={"credential": credential}, headers=auth)
    assert again.status_code == 422
    assert again.json()["code"] == "passkey.no_challenge"
    # A response to another challenge is refused by py_webauthn.
    await client.post("/api/me/passkeys/options", headers=auth)
    forged = SoftwareAuthenticator().register({**body, "challenge": st.b64u(b"x" * 32)})
    wrong = await client.post("/api/me/passkeys", json={"credential": forged}, headers=auth)
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "passkey.invalid"
    listed = (await client.get("/api/me/keys", headers=auth)).json()
    assert [(k["alg"], k["label"]) for k in listed] == [("ed25519", "kit"), ("webauthn-es256", "My phone")]

    # The passkey signs the application and a bid, through the API.
    lot_id = await world.lot("published")
    keys = [authenticator.key]
    signed = await api_signed(
        client, world, "bidder", lot_id, "application.submitted", {"keys": keys}, signer=authenticator
    )
    applied = await client.post(
        f"/api/v1/lots/{lot_id}/applications", json={"keys": keys, "signed": signed}, headers=auth
    )
    assert applied.status_code == 201, applied.text
    statement = (await client.get(f"/api/lots/{lot_id}/me/statement", headers=auth)).json()
    assert statement["keys"] == [st.key_id(authenticator.key)]
    assert (statement["next_seq"], statement["rp_id"]) == (2, "localhost")
    officer = world.auth("officer_tokmok")
    confirmed = await client.post(
        f"/api/v1/applications/{applied.json()['id']}/confirm-deposit",
        json={"bank_reference": "KICB-9"},
        headers=officer,
    )
    assert confirmed.status_code == 200, confirmed.text
    await drive.open(lot_id)
    signed = await api_signed(
        client, world, "bidder", lot_id, "bid.placed", {"amount": 100_000_00}, signer=authenticator
    )
    placed = await client.post(
        f"/api/v1/lots/{lot_id}/bids",
        json={"amount": 100_000_00, "signed": signed},
        headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert placed.status_code == 201, placed.text
    # A passkey that did not verify its user signs nothing.
    authenticator.flags = 0x01
    unverified = await api_signed(
        client, world, "bidder", lot_id, "bid.placed", {"amount": 105_000_00}, signer=authenticator
    )
    refused_bid = await client.post(
        f"/api/v1/lots/{lot_id}/bids",
        json={"amount": 105_000_00, "signed": unverified},
        headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert refused_bid.status_code == 422
    assert refused_bid.json()["code"] == "statement.bad_signature"
    await drive.verify(tmp_path)


async def test_ed25519_keys_need_a_proof_of_possession_and_are_revoked_not_deleted(
    client: Client, world: World
) -> None:
    auth = world.auth("bidder2")
    signer = Ed25519Signer()
    body = {"alg": "ed25519", "public_key": signer.public_key, "proof": signer.proof(world.user_ids["bidder"])}
    wrong_user = await client.post("/api/me/keys", json=body, headers=auth)
    assert wrong_user.status_code == 422
    assert wrong_user.json()["code"] == "key.proof_invalid"
    body["proof"] = signer.proof(world.user_ids["bidder2"])
    added = await client.post("/api/me/keys", json=body, headers=auth)
    assert added.status_code == 201, added.text
    assert (await client.post("/api/me/keys", json=body, headers=auth)).status_code == 409
    revoked = await client.delete(f"/api/me/keys/{added.json()['key_id']}", headers=auth)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    listed = (await client.get("/api/me/keys", headers=auth)).json()
    assert len(listed) == 2
    assert (await client.get("/api/me/keys")).status_code == 401
    # A logged-in browser changes keys only with the page's CSRF token.
    officer_token = await client.post("/api/me/keys", json=body)
    assert officer_token.status_code == 401


# --- recovery -----------------------------------------------------------------------------------------------


async def test_recovery_with_a_second_key_added_to_the_lot(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id = await world.lot("bidding")
    passkey = SoftwareAuthenticator()
    await register_passkey(world, "bidder", passkey)
    await add_lot_key(world, lot_id, "bidder", passkey.key, world.signers["bidder"])
    # The phone with the first key is lost: the bidder revokes that key and bids with the passkey.
    user = await world.user("bidder")
    async with transaction(world.sessions) as session:
        await KeyService(session, world.clock).revoke(user, st.key_id(world.signers["bidder"].key))
    lost = await refused(drive.bid(lot_id, "bidder", 100_000_00))
    assert lost.code == "statement.unknown_key"
    signed = await world.signed("bidder", lot_id, "bid.placed", {"amount": 100_000_00}, signer=passkey)
    await bid_with(world, lot_id, "bidder", 100_000_00, signed)
    await drive.verify(tmp_path)
    kinds = [r["kind"] for r in records_of(tmp_path / "bundle.zip") if r["lot"] == lot_id]
    assert "bidder.key.added" in kinds


async def test_recovery_by_an_officers_re_identification(
    client: Client, world: World, drive: Drive, tmp_path: Path
) -> None:
    lot_id = await world.lot("bidding")
    new = Ed25519Signer()
    user = await world.user("bidder")
    async with transaction(world.sessions) as session:
        await KeyService(session, world.clock).add_ed25519(user, new.public_key, new.proof(user.id), "new phone")
    fields = {"key": dict(new.key), "reason": "Lost phone; passport checked at the municipality."}
    stmt = await world.statement("bidder", lot_id, "bidder.key.replaced", fields)
    url = f"/api/officer/lots/{lot_id}/bidders/{stmt['bidder']}/key"
    # Only the lot's officers re-identify, and only with the bidder's signature by the new key.
    by_bidder = await client.post(url, json={**fields, "signed": sign(new, stmt)}, headers=world.auth("bidder"))
    assert by_bidder.status_code == 403
    unsigned = await client.post(
        url, json={**fields, "signed": sign(world.signers["bidder"], stmt)}, headers=world.auth("officer_tokmok")
    )
    assert unsigned.status_code == 422
    assert unsigned.json()["code"] == "statement.unknown_key"
    replaced = await client.post(url, json={**fields, "signed": sign(new, stmt)}, headers=world.auth("officer_tokmok"))
    assert replaced.status_code == 201, replaced.text
    # The old key signs nothing on the lot any more; the new one does.
    old = await refused(drive.bid(lot_id, "bidder", 100_000_00))
    assert old.code == "statement.unknown_key"
    signed = await world.signed("bidder", lot_id, "bid.placed", {"amount": 100_000_00}, signer=new)
    await bid_with(world, lot_id, "bidder", 100_000_00, signed)
    await drive.verify(tmp_path)
    records = [r for r in records_of(tmp_path / "bundle.zip") if r["kind"] == "bidder.key.replaced"]
    assert [r["actor"] for r in records] == [f"officer:{world.user_ids['officer_tokmok']}"]
    assert records[0]["payload"]["reason"] == fields["reason"]


# --- forgery by the operator ---------------------------------------------------------------------------------


def index_of(records: list[dict[str, Any]], kind: str, lot: int, nth: int = 0) -> int:
    return [i for i, r in enumerate(records) if r["kind"] == kind and r["lot"] == lot][nth]


async def test_an_operator_who_forges_a_bidders_action_and_re_signs_the_log_is_named(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    """The operator holds the log key: it can rewrite the chain and sign a checkpoint over it. It cannot sign as
    a bidder, so the verifier fails and names the forged entry."""
    open_lot = await world.lot("bidding")
    await drive.bid(open_lot, "bidder", 100_000_00)
    await drive.bid(open_lot, "bidder2", 105_000_00)
    sealed_lot = await world.lot("bidding", "sealed")
    await drive.seal(sealed_lot, "bidder", 120_000_00)
    await drive.close(open_lot)
    honest = records_of(await drive.export(tmp_path))
    assert verify_bundle(forge_bundle(honest, world.keys, tmp_path / "rewritten.zip"), replay=replay).ok

    operator = Ed25519Signer()

    def check(records: list[dict[str, Any]], name: str, index: int, words: str) -> None:
        report = verify_bundle(forge_bundle(records, world.keys, tmp_path / f"{name}.zip"), replay=replay)
        assert not report.ok, name
        text = report.text()
        assert f"index {index}" in text or f"at {index}" in text, text
        assert words in text, text

    # Insert: a higher bid in bidder's name, signed with a key the operator made.
    inserted = [dict(r) for r in honest]
    at = index_of(inserted, "bid.placed", open_lot, 1) + 1
    template = inserted[at - 1]
    stmt = st.statement(
        open_lot, honest[at - 2]["payload"]["bidder"], "bid.placed", 2, template["at"], {"amount": 200_000_00}
    )
    forged_bidder = honest[index_of(honest, "bid.placed", open_lot, 0)]["payload"]["bidder"]
    stmt["bidder"] = forged_bidder
    payload = {"bidder": forged_bidder, "amount": 200_000_00, "signed": sign(operator, stmt)}
    inserted.insert(at, {**template, "actor": f"bidder:{forged_bidder}", "payload": payload})
    check(inserted, "insert", at, "statement.unknown_key")

    # Replace: the second bid's amount changed, its signature kept.
    replaced = [dict(r) for r in honest]
    i = index_of(replaced, "bid.placed", open_lot, 1)
    replaced[i] = {**replaced[i], "payload": {**replaced[i]["payload"], "amount": 250_000_00}}
    check(replaced, "replace", i, "statement.bad_signature")

    # Withdraw: a sealed bid withdrawn in the bidder's name, with the signature of their sealed bid.
    withdrawn = [dict(r) for r in honest]
    i = index_of(withdrawn, "bid.sealed", sealed_lot, 0)
    sealed = withdrawn[i]
    payload = {"bidder": sealed["payload"]["bidder"], "signed": sealed["payload"]["signed"]}
    withdrawn.insert(i + 1, {**sealed, "kind": "bid.withdrawn", "payload": payload})
    check(withdrawn, "withdraw", i + 1, "statement.bad_signature")

    # Strip: a bid with its signature removed.
    stripped = [dict(r) for r in honest]
    i = index_of(stripped, "bid.placed", open_lot, 0)
    stripped[i] = {**stripped[i], "payload": {k: v for k, v in stripped[i]["payload"].items() if k != "signed"}}
    check(stripped, "strip", i, "misses fields ['signed']")

    # Back-date: a bid moved ten minutes earlier than its bidder saw it.
    stale = [dict(r) for r in honest]
    i = index_of(stale, "bid.placed", open_lot, 0)
    moved = parse_time(stale[i]["at"]) - timedelta(minutes=10)
    if moved > parse_time(stale[i - 1]["at"]):
        stale[i] = {**stale[i], "at": format_time(moved)}
        check(stale, "stale", i, "statement.stale")


async def test_a_lot_key_has_its_own_user_handle_is_not_discoverable_and_stays_out_of_the_account_limit(
    client: Client, world: World
) -> None:
    auth = world.auth("bidder")
    account = (await client.post("/api/me/passkeys/options", headers=auth)).json()
    phone = SoftwareAuthenticator()
    made = await client.post("/api/me/passkeys", json={"credential": phone.register(account)}, headers=auth)
    assert made.status_code == 201, made.text
    assert made.json()["lot_key"] is False

    handles = set()
    devices: list[SoftwareAuthenticator] = []
    for lot in range(st.MAX_KEYS):
        options = await client.post("/api/me/passkeys/options", params={"lot_key": "true"}, headers=auth)
        assert options.status_code == 200, options.text
        body = options.json()
        # Never the account's handle (it would replace the account's passkey on the device), never discoverable,
        # and the device holding the account's passkey is not turned away.
        assert body["user"]["id"] != account["user"]["id"]
        handles.add(body["user"]["id"])
        assert body["authenticatorSelection"]["residentKey"] == "discouraged"
        assert body["authenticatorSelection"]["requireResidentKey"] is False
        assert body["authenticatorSelection"]["userVerification"] == "required"
        assert body.get("excludeCredentials", []) == []
        devices.append(SoftwareAuthenticator())
        credential = devices[-1].register(body)
        lot_key = await client.post(
            "/api/me/passkeys", json={"credential": credential, "label": f"Lot {lot}"}, headers=auth
        )
        assert lot_key.status_code == 201, lot_key.text
        assert (lot_key.json()["lot_key"], lot_key.json()["label"]) == (True, f"Lot {lot}")
    assert len(handles) == st.MAX_KEYS

    # The normal ceremony is unchanged: the account's handle, discoverable if possible, the passkey excluded; and
    # the lot keys took none of the account's places (kit key + phone + 5 lot keys > MAX_KEYS active).
    normal = (await client.post("/api/me/passkeys/options", headers=auth)).json()
    assert normal["user"]["id"] == account["user"]["id"]
    assert normal["authenticatorSelection"]["residentKey"] == "preferred"
    assert [c["id"] for c in normal["excludeCredentials"]] == [made.json()["credential_id"]]
    second = await client.post(
        "/api/me/passkeys", json={"credential": SoftwareAuthenticator().register(normal)}, headers=auth
    )
    assert second.status_code == 201, second.text
    assert second.json()["lot_key"] is False
    listed = (await client.get("/api/me/keys", headers=auth)).json()
    assert sum(k["lot_key"] for k in listed) == st.MAX_KEYS

    # A lot key applies alone, and adds another device's key to its lot (bidder.key.added), which then signs there.
    lot_id = await world.lot("published")
    first, other, third = devices[0], devices[1], devices[2]
    signed = await api_signed(
        client, world, "bidder", lot_id, "application.submitted", {"keys": [first.key]}, signer=first
    )
    applied = await client.post(
        f"/api/v1/lots/{lot_id}/applications", json={"keys": [first.key], "signed": signed}, headers=auth
    )
    assert applied.status_code == 201, applied.text
    for key, signer in ((other.key, first), (third.key, other)):
        signed = await api_signed(client, world, "bidder", lot_id, "bidder.key.added", {"key": key}, signer=signer)
        added = await client.post(f"/api/lots/{lot_id}/me/keys", json={"key": key, "signed": signed}, headers=auth)
        assert added.status_code == 201, added.text
    statement = (await client.get(f"/api/lots/{lot_id}/me/statement", headers=auth)).json()
    assert sorted(statement["keys"]) == sorted(st.key_id(device.key) for device in (first, other, third))


async def make_lot_key(client: Client, world: World, who: str, lot_id: int) -> SoftwareAuthenticator:
    """A passkey made for one lot, through the API as the browser makes it."""
    auth = world.auth(who)
    options = await client.post("/api/me/passkeys/options", params={"lot_key": "true", "lot": lot_id}, headers=auth)
    assert options.status_code == 200, options.text
    device = SoftwareAuthenticator()
    made = await client.post(
        "/api/me/passkeys", json={"credential": device.register(options.json()), "label": f"Lot {lot_id}"}, headers=auth
    )
    assert made.status_code == 201, made.text
    return device


async def apply_with(client: Client, world: World, who: str, lot_id: int, device: SoftwareAuthenticator) -> Any:
    keys = [device.key]
    signed = await api_signed(client, world, who, lot_id, "application.submitted", {"keys": keys}, signer=device)
    return await client.post(
        f"/api/v1/lots/{lot_id}/applications", json={"keys": keys, "signed": signed}, headers=world.auth(who)
    )


async def test_a_lot_keys_user_is_named_after_its_lot_so_a_synced_providers_list_tells_them_apart(
    client: Client, world: World
) -> None:
    auth = world.auth("bidder")
    bidder = await world.user("bidder")
    lot_id = await world.lot("published")
    account = (await client.post("/api/me/passkeys/options", headers=auth)).json()
    named = await client.post(
        "/api/me/passkeys/options", params={"lot_key": "true", "lot": lot_id, "lang": "en"}, headers=auth
    )
    assert named.status_code == 200, named.text
    user = named.json()["user"]
    assert (user["name"], user["displayName"]) == (
        f"{bidder.email} · Lot {lot_id}",
        f"{bidder.full_name} · Lot {lot_id}",
    )
    assert user["id"] != account["user"]["id"]  # still a random handle of its own
    # In the bidder's language, as /account/keys labels the key.
    russian = await client.post(
        "/api/me/passkeys/options", params={"lot_key": "true", "lot": lot_id, "lang": "ru"}, headers=auth
    )
    assert russian.json()["user"]["name"] == f"{bidder.email} · Лот №{lot_id}"
    # Without a lot (an older page, an API client) the key is named as before.
    plain = (await client.post("/api/me/passkeys/options", params={"lot_key": "true"}, headers=auth)).json()
    assert plain["user"]["name"] == bidder.email

    draft = await world.lot("draft")
    finished = await world.lot("published")
    async with transaction(world.sessions) as session:
        lot = await session.get(Lot, finished)
        assert lot is not None
        lot.state = LotState.FAILED
    cases: list[tuple[dict[str, str | int], int, str]] = [
        ({"lot_key": "true", "lot": 999_999}, 404, "lot.not_found"),
        ({"lot_key": "true", "lot": draft}, 404, "lot.not_found"),
        ({"lot_key": "true", "lot": finished}, 409, "key.lot_finished"),
        ({"lot": lot_id}, 422, "passkey.lot_without_lot_key"),
    ]
    for params, status, code in cases:
        refused_options = await client.post("/api/me/passkeys/options", params=params, headers=auth)
        assert (refused_options.status_code, refused_options.json()["code"]) == (status, code), params


async def test_a_full_set_of_lot_keys_is_refused_before_the_device_makes_another(client: Client, world: World) -> None:
    auth = world.auth("bidder")
    bidder = await world.user("bidder")
    # LOT_KEYS_MAX active lot keys, as years of applications leave them (only their number matters here).
    async with transaction(world.sessions) as session:
        session.add_all(
            BidderKey(
                user_id=bidder.id,
                key_id=f"{n:032x}",
                alg=st.WEBAUTHN_ES256,
                public_key=st.b64u(n.to_bytes(65, "big")),
                rp_id="localhost",
                credential_id=st.b64u(n.to_bytes(16, "big")),
                label=f"Lot {n}",
                lot_key=True,
                created_at=world.clock.now(),
            )
            for n in range(1, LOT_KEYS_MAX + 1)
        )
    lot_id = await world.lot("published")
    full = await client.post("/api/me/passkeys/options", params={"lot_key": "true", "lot": lot_id}, headers=auth)
    assert (full.status_code, full.json()["code"]) == (409, "key.lot_keys_full")
    assert full.json()["params"] == {"most": LOT_KEYS_MAX}
    assert "/account/keys" in full.json()["message"]
    # The account's own passkeys are not held up by its lot keys.
    assert (await client.post("/api/me/passkeys/options", headers=auth)).status_code == 200
    # Revoking the key of a finished lot makes room.
    revoked = await client.delete(f"/api/me/keys/{1:032x}", headers=auth)
    assert revoked.status_code == 200, revoked.text
    device = await make_lot_key(client, world, "bidder", lot_id)
    assert (await apply_with(client, world, "bidder", lot_id, device)).status_code == 201


async def test_a_lot_key_is_refused_on_a_second_lot_of_its_bidder(client: Client, world: World) -> None:
    auth = world.auth("bidder")
    first, second = await world.lot("published"), await world.lot("published")
    lot_key = await make_lot_key(client, world, "bidder", first)
    applied = await apply_with(client, world, "bidder", first, lot_key)
    assert applied.status_code == 201, applied.text
    key_id = st.key_id(lot_key.key)

    # Applying to another lot with it is refused, and the lot gets no application.
    again = await apply_with(client, world, "bidder", second, lot_key)
    assert (again.status_code, again.json()["code"]) == (409, "key.lot_key_elsewhere"), again.text
    assert again.json()["params"] == {"key_id": key_id, "lot_id": first}
    statement = (await client.get(f"/api/lots/{second}/me/statement", headers=auth)).json()
    assert (statement["keys"], statement["next_seq"]) == ([], 1)

    # The second lot's own key applies; adding the first lot's key to it (bidder.key.added) is refused too.
    own = await make_lot_key(client, world, "bidder", second)
    assert (await apply_with(client, world, "bidder", second, own)).status_code == 201
    signed = await api_signed(client, world, "bidder", second, "bidder.key.added", {"key": lot_key.key}, signer=own)
    added = await client.post(f"/api/lots/{second}/me/keys", json={"key": lot_key.key, "signed": signed}, headers=auth)
    assert (added.status_code, added.json()["code"]) == (409, "key.lot_key_elsewhere"), added.text
    statement = (await client.get(f"/api/lots/{second}/me/statement", headers=auth)).json()
    assert (statement["keys"], statement["next_seq"]) == ([st.key_id(own.key)], 2)

    # An account key goes on both, knowingly (the opt-out that links lots): the check is for lot keys only.
    kit = dict(world.signers["bidder"].key)
    for lot_id, signer in ((first, lot_key), (second, own)):
        signed = await api_signed(client, world, "bidder", lot_id, "bidder.key.added", {"key": kit}, signer=signer)
        shared = await client.post(f"/api/lots/{lot_id}/me/keys", json={"key": kit, "signed": signed}, headers=auth)
        assert shared.status_code == 201, shared.text
