"""The results protocol: issued with the award, signed by the commission's own keys, checked by the replay; and an
award that lapses leaves the lot failed, so the officer can repeat the auction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.accounts.models import User
from auction.bidding.results_protocol import ProtocolService, ProtocolView
from auction.bidding.signer import Ed25519Signer
from auction.db.engine import transaction
from auction.errors import InvalidInput, NotFound, PermissionDenied
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier import protocol as pr
from auction.ledger.verifier import statements as st
from auction.ledger.verifier.canonical import canonical
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.verify import verify_bundle
from auction.lots.models import LotState
from auction.lots.schemas import RepeatAuction
from tests.kit.drive import Drive
from tests.kit.keys import register_signer
from tests.kit.ledger import forge_bundle, lot_service, records_of
from tests.kit.world import World, lot_terms

SCHEDULE = ("applications_close_at", "bidding_opens_at", "bidding_closes_at")

pytestmark = pytest.mark.usefixtures("world")


async def _service_call(world: World, action: Any) -> Any:
    async with transaction(world.sessions) as session:
        service = ProtocolService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        return await action(service, session)


async def protocol_of(world: World, lot_id: int) -> ProtocolView:
    async def read(service: ProtocolService, _: Any) -> ProtocolView:
        return await service.get(lot_id)

    view: ProtocolView = await _service_call(world, read)
    return view


async def key_of(world: World, who: str) -> Ed25519Signer:
    async with transaction(world.sessions) as session:
        user = await session.get(User, world.user_ids[who])
        assert user is not None
        return await register_signer(session, world.clock, user)


def signature(signer: Ed25519Signer, lot_id: int, member: int, digest: str) -> dict[str, str]:
    stmt = pr.signature_statement(lot_id, member, digest)
    return {"sig": st.b64u(signer.private_key.sign(canonical(stmt)))}


async def sign(world: World, who: str, lot_id: int, signer: Ed25519Signer, sig: dict[str, str] | None = None) -> None:
    view = await protocol_of(world, lot_id)
    member = world.user_ids[who]
    signed = sig or signature(signer, lot_id, member, view.protocol_hash)

    async def act(service: ProtocolService, session: Any) -> None:
        user = await session.get(User, member)
        await service.sign(user, lot_id, st.key_id(signer.key), signed)

    await _service_call(world, act)


async def test_award_issues_a_protocol_that_two_members_sign_to_complete(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    lot_id = await world.lot("awarded", council_decision="Tokmok city kenesh decision No. 12/3 of 2026-05-01")
    view = await protocol_of(world, lot_id)
    doc = view.document
    assert doc["council_decision"] == "Tokmok city kenesh decision No. 12/3 of 2026-05-01"
    assert doc["result"]["outcome"] == "awarded"
    assert doc["result"]["winner"] == await drive.pseudonym(lot_id, "bidder2")
    assert doc["result"]["winner_name"] == "Nurlan Beishenov"
    assert doc["result"]["price"] == 105_000_00
    assert doc["participants"]["count"] == 2
    assert doc["commission"] == {
        "members": sorted([world.user_ids["officer_tokmok"], world.user_ids["officer2_tokmok"]]),
        "required": 2,
    }
    assert view.protocol_hash == pr.protocol_hash(doc)
    assert not view.complete

    await sign(world, "officer_tokmok", lot_id, await key_of(world, "officer_tokmok"))
    assert not (await protocol_of(world, lot_id)).complete
    await sign(world, "officer2_tokmok", lot_id, await key_of(world, "officer2_tokmok"))
    done = await protocol_of(world, lot_id)
    assert done.complete
    assert done.signers == [world.user_ids["officer_tokmok"], world.user_ids["officer2_tokmok"]]
    await drive.verify(tmp_path)


async def test_a_failed_auction_has_a_protocol_naming_no_winner(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id = await world.lot("closed", bidders=())
    assert (await drive.lot(lot_id)).state == LotState.FAILED
    doc = (await protocol_of(world, lot_id)).document
    assert doc["result"]["outcome"] == "failed"
    assert doc["result"]["winner_name"] is None
    await drive.verify(tmp_path)


async def test_an_officer_of_another_municipality_cannot_sign(world: World) -> None:
    lot_id = await world.lot("awarded")
    with pytest.raises(PermissionDenied) as refused:
        await sign(world, "officer_naryn", lot_id, await key_of(world, "officer_naryn"))
    assert refused.value.code == "protocol.not_member"


async def test_a_signature_by_a_key_the_member_never_registered_is_refused(world: World) -> None:
    """The server (or anyone) makes a key and signs in a member's name: it is no key of the member's."""
    lot_id = await world.lot("awarded")
    made_up = Ed25519Signer(Ed25519PrivateKey.generate())
    with pytest.raises(InvalidInput) as refused:
        await sign(world, "officer_tokmok", lot_id, made_up)
    assert refused.value.code == "protocol.unknown_key"


async def test_a_signature_over_another_hash_is_refused(world: World) -> None:
    lot_id = await world.lot("awarded")
    signer = await key_of(world, "officer_tokmok")
    wrong = signature(signer, lot_id, world.user_ids["officer_tokmok"], "0" * 64)
    with pytest.raises(InvalidInput) as refused:
        await sign(world, "officer_tokmok", lot_id, signer, wrong)
    assert refused.value.code == "protocol.bad_signature"


async def test_no_protocol_before_the_award(world: World) -> None:
    lot_id = await world.lot("bidding")
    with pytest.raises(NotFound) as refused:
        await protocol_of(world, lot_id)
    assert refused.value.code == "protocol.not_issued"


async def _signed_bundle(world: World, drive: Drive, tmp_path: Path) -> tuple[int, list[dict[str, Any]]]:
    lot_id = await world.lot("awarded")
    await sign(world, "officer_tokmok", lot_id, await key_of(world, "officer_tokmok"))
    return lot_id, records_of(await drive.export(tmp_path))


async def test_replay_finds_a_tampered_protocol_hash(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id, records = await _signed_bundle(world, drive, tmp_path)
    issued = next(r for r in records if r["lot"] == lot_id and r["kind"] == pr.ISSUED)
    issued["payload"]["protocol_hash"] = "ab" * 32
    report = verify_bundle(forge_bundle(records, world.keys, tmp_path / "forged.zip"), replay=replay)
    assert not report.ok
    assert "protocol_hash" in report.text()


async def test_replay_finds_a_protocol_naming_another_price(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id, records = await _signed_bundle(world, drive, tmp_path)
    issued = next(r for r in records if r["lot"] == lot_id and r["kind"] == pr.ISSUED)
    document = issued["payload"]["protocol"]
    document["result"]["price"] = 1
    issued["payload"]["protocol_hash"] = pr.protocol_hash(document)
    report = verify_bundle(forge_bundle(records, world.keys, tmp_path / "forged.zip"), replay=replay)
    assert not report.ok
    assert "not what the chain gives" in report.text()


async def test_replay_finds_a_forged_member_signature(world: World, drive: Drive, tmp_path: Path) -> None:
    """An operator logs a signature of a key it made for a member who never signed."""
    lot_id, records = await _signed_bundle(world, drive, tmp_path)
    issued = next(r for r in records if r["lot"] == lot_id and r["kind"] == pr.ISSUED)
    signed = next(r for r in records if r["lot"] == lot_id and r["kind"] == pr.SIGNED)
    forger = Ed25519Signer()
    member = world.user_ids["officer2_tokmok"]
    forged = {
        **signed,
        "actor": f"officer:{member}",
        "payload": {
            "member": member,
            "key": signed["payload"]["key"],  # the other member's key: the forger has no member's private key
            "signed": {
                "key_id": signed["payload"]["signed"]["key_id"],
                **signature(forger, lot_id, member, issued["payload"]["protocol_hash"]),
            },
        },
    }
    records.insert(records.index(signed) + 1, forged)
    report = verify_bundle(forge_bundle(records, world.keys, tmp_path / "forged.zip"), replay=replay)
    assert not report.ok
    assert "does not verify" in report.text()


async def test_the_runner_up_declines_without_losing_the_deposit_and_the_officer_relists(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    lot_id = await world.lot("awarded")
    passed = await drive.decline_award(lot_id, "bidder2")
    assert passed is not None
    assert await drive.decline_award(lot_id, "bidder") is None
    assert (await drive.lot(lot_id)).state == LotState.FAILED
    records = records_of(await drive.export(tmp_path))
    deposits = [r["payload"]["deposit"] for r in records if r["lot"] == lot_id and r["kind"] == "award.declined"]
    assert deposits == ["forfeited", "returned"]

    # Today's 409 is gone: the lapsed lot is relisted as a repeat auction.
    officer = await world.user("officer_tokmok")
    schedule = {name: lot_terms(world.clock.now())[name] for name in SCHEDULE}
    async with transaction(world.sessions) as session:
        repeat = await lot_service(session, world.clock, world.keys).relist(
            officer, lot_id, RepeatAuction.model_validate({"reduction_percent": 10, **schedule})
        )
        repeat_id = repeat.id
    async with transaction(world.sessions) as session:
        await lot_service(session, world.clock, world.keys).publish(officer, repeat_id)
    (tmp_path / "after").mkdir()
    await drive.verify(tmp_path / "after")


async def test_replay_finds_a_runner_up_made_to_forfeit(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id = await world.lot("awarded")
    await drive.decline_award(lot_id, "bidder2")
    await drive.decline_award(lot_id, "bidder")
    records = records_of(await drive.export(tmp_path))
    declines = [r for r in records if r["lot"] == lot_id and r["kind"] == "award.declined"]
    declines[1]["payload"]["deposit"] = "forfeited"
    report = verify_bundle(forge_bundle(records, world.keys, tmp_path / "forged.zip"), replay=replay)
    assert not report.ok
    assert "the runner-up's deposit is 'returned'" in report.text()
