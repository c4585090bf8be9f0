"""After the award, through the services: the signature concludes the contract, payments and refunds are
recorded, arrears and overdue refunds show, and the exported ledger replays clean."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.bidding.deposits import DepositService
from auction.contracts.rules import DepositFate, LineStatus
from auction.contracts.service import ContractService, ContractStatement
from auction.db.engine import transaction
from auction.errors import Conflict, InvalidInput
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.bundle import read_bundle
from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.municipal_rules import MunicipalRules
from auction.ledger.verifier.settlement import bishkek_date
from auction.municipalities.service import MunicipalityService
from tests.kit.drive import Drive
from tests.kit.world import SHOP_LEASE, World


async def as_user(session: AsyncSession, world: World, who: str) -> User:
    user = await session.get(User, world.user_ids[who])
    assert user is not None
    return user


async def statement(world: World, lot_id: int) -> ContractStatement:
    async with world.sessions() as session:
        found = await ContractService(session, world.clock, LedgerWriter(session, world.keys, world.clock)).statement(
            lot_id
        )
    assert found is not None
    return found


async def pay(world: World, lot_id: int, number: int, amount: int, paid_on: date, reference: str = "KICB-77") -> None:
    async with transaction(world.sessions) as session:
        officer = await as_user(session, world, "officer_tokmok")
        service = ContractService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        await service.record_payment(officer, lot_id, number, amount, paid_on, reference)


async def deposits(world: World, lot_id: int) -> dict[str, DepositFate]:
    async with world.sessions() as session:
        officer = await as_user(session, world, "officer_tokmok")
        lines = await DepositService(
            session, world.clock, LedgerWriter(session, world.keys, world.clock)
        ).lines_for_officer(officer, lot_id)
        names = {uid: name for name, uid in world.user_ids.items()}
        return {names[line.application.bidder_id]: line.fate for line in lines}


async def refund(world: World, lot_id: int, who: str) -> None:
    async with transaction(world.sessions) as session:
        officer = await as_user(session, world, "officer_tokmok")
        service = DepositService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        line = next(
            line
            for line in await service.lines(await service.lots.get(lot_id))
            if line.application.bidder_id == world.user_ids[who]
        )
        await service.record_refund(officer, line.application.id, f"REFUND-{who}")


def kinds(bundle: Path, lot_id: int) -> list[str]:
    with read_bundle(bundle) as read:
        return [body.kind for body in (parse_leaf(raw).body for raw in read.entries()) if body.lot == lot_id]


async def test_a_sale_signed_paid_in_full_and_the_losers_refunded(world: World, drive: Drive, tmp_path: Path) -> None:
    await world.bidder("bidder3")
    lot_id = await world.lot(stage="awarded", bidders=("bidder", "bidder2", "bidder3"))
    # bidder3 won at 110 000 som; bidder2 is the runner-up, held in reserve; bidder lost.
    assert await deposits(world, lot_id) == {
        "bidder": DepositFate.OWED,
        "bidder2": DepositFate.HELD,
        "bidder3": DepositFate.HELD,
    }
    await drive.sign_award(lot_id, "bidder3")
    signed = await statement(world, lot_id)
    assert signed.contract.deposit_credited == 10_000_00
    assert [(line.amount, line.status) for line in signed.lines] == [(100_000_00, LineStatus.DUE)]
    assert signed.lines[0].due_on == bishkek_date(world.clock.now()) + timedelta(days=30)
    assert await deposits(world, lot_id) == {
        "bidder": DepositFate.OWED,
        "bidder2": DepositFate.OWED,
        "bidder3": DepositFate.CREDITED,
    }

    today = bishkek_date(world.clock.now())
    await pay(world, lot_id, 1, 60_000_00, today)
    with pytest.raises(InvalidInput) as over:
        await pay(world, lot_id, 1, 40_000_01, today)
    assert (over.value.code, over.value.params) == ("payment.more_than_owed", {"owed_tyiyn": 40_000_00})
    await pay(world, lot_id, 1, 40_000_00, today)
    assert (await statement(world, lot_id)).lines[0].status == LineStatus.PAID

    await refund(world, lot_id, "bidder")
    await refund(world, lot_id, "bidder2")
    with pytest.raises(Conflict) as twice:
        await refund(world, lot_id, "bidder")
    assert twice.value.code == "refund.not_owed"
    with pytest.raises(Conflict) as to_winner:
        await refund(world, lot_id, "bidder3")
    assert to_winner.value.params == {"fate": "credited"}

    bundle = await drive.export(tmp_path)
    assert kinds(bundle, lot_id)[-6:] == [
        "award.signed",
        "contract.concluded",
        "payment.recorded",
        "payment.recorded",
        "deposit.refunded",
        "deposit.refunded",
    ]
    (tmp_path / "verify").mkdir()
    await drive.verify(tmp_path / "verify")


async def test_a_lease_first_rent_paid_then_a_period_overdue_shows_arrears(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    lot_id = await world.lot(stage="awarded", **SHOP_LEASE)
    await drive.sign_award(lot_id, "bidder2")  # 21 000 som a month
    first = await statement(world, lot_id)
    assert [line.amount for line in first.lines] == [16_000_00] + [21_000_00] * 5
    assert first.lines[0].due_on == bishkek_date(world.clock.now()) + timedelta(days=1)
    await pay(world, lot_id, 1, 16_000_00, bishkek_date(world.clock.now()))

    world.clock.set(world.clock.now() + timedelta(days=40))  # the second month's rent was due ~10 days ago
    late = await statement(world, lot_id)
    assert [line.status for line in late.lines[:3]] == [LineStatus.PAID, LineStatus.OVERDUE, LineStatus.DUE]
    assert late.arrears == 21_000_00
    async with world.sessions() as session:
        officer = await as_user(session, world, "officer_tokmok")
        service = ContractService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        owing = await service.arrears_of(officer, world.municipality["tokmok"])
        bidder = await as_user(session, world, "bidder2")
        own = await service.contracts_of_bidder(bidder)
    assert [(lot.id, s.arrears) for lot, s in owing] == [(lot_id, 21_000_00)]
    assert [s.arrears for _, s in own] == [21_000_00]
    # The runner-up's refund, due 5 days after the signature, is overdue too.
    async with world.sessions() as session:
        officer = await as_user(session, world, "officer_tokmok")
        owed = await DepositService(session, world.clock, LedgerWriter(session, world.keys, world.clock)).owed_of(
            officer, world.municipality["tokmok"]
        )
    assert [(lot.id, line.position.overdue) for lot, line in owed] == [(lot_id, True)]
    await drive.verify(tmp_path)


async def test_instalments_within_the_rules_chosen_by_an_officer(world: World, drive: Drive, tmp_path: Path) -> None:
    async with transaction(world.sessions) as session:
        admin = await as_user(session, world, "admin")
        service = MunicipalityService(session, LedgerWriter(session, world.keys, world.clock))
        await service.set_rules(admin, world.municipality["tokmok"], MunicipalRules(max_instalments=4, payment_days=30))
    lot_id = await world.lot(stage="awarded")

    async def choose(count: int) -> None:
        async with transaction(world.sessions) as session:
            officer = await as_user(session, world, "officer_tokmok")
            service = ContractService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
            await service.choose_instalments(officer, lot_id, count)

    with pytest.raises(InvalidInput) as beyond:
        await choose(5)
    assert beyond.value.params == {"most": 4}
    await choose(3)
    await drive.sign_award(lot_id, "bidder2")
    contract = await statement(world, lot_id)
    assert contract.contract.instalments == 3
    assert [line.amount for line in contract.lines] == [31_666_68, 31_666_66, 31_666_66]
    with pytest.raises(Conflict):
        await choose(2)
    await drive.verify(tmp_path)


async def test_a_declined_award_forfeits_with_its_reason(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id = await world.lot(stage="awarded")
    await drive.decline_award(lot_id, "bidder2")
    assert (await deposits(world, lot_id))["bidder2"] == DepositFate.FORFEITED
    bundle = await drive.export(tmp_path)
    with read_bundle(bundle) as read:
        forfeits = [
            body.payload
            for body in (parse_leaf(raw).body for raw in read.entries())
            if body.lot == lot_id and body.kind == "deposit.forfeited"
        ]
    assert [f["reason"] for f in forfeits] == ["the winner declined to sign the contract"]
    (tmp_path / "verify").mkdir()
    await drive.verify(tmp_path / "verify")
