"""Rule holes an operator could walk through, closed in the service and in the offline replay alike.

The starting price is a floor in every format (sealed bids below it are disqualified at the opening), and
admission closes when bidding opens. Each case runs through the real services on both backends, and the
exported ledger must replay clean: the platform's own history passes the verifier's stricter rules.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from auction.bidding.models import Application, ApplicationStatus, Award
from auction.bidding.participation import Applications, ParticipationService
from auction.clock import as_utc
from auction.db.engine import transaction
from auction.errors import Conflict
from auction.ledger.admission import LedgerWriter
from auction.ledger.rotation import record_rotation
from auction.ledger.verifier.bundle import read_bundle
from auction.ledger.verifier.entry import Body, parse_leaf
from auction.lots.models import LotState
from auction.lots.schemas import LotAmend, LotTerms
from auction.lots.service import LotService
from tests.kit.drive import Drive
from tests.kit.world import World

STARTING_PRICE = 850_000_00  # the lot: 850 000 som


async def bodies(drive: Drive, tmp_path: Path, lot_id: int) -> list[Body]:
    """A lot's chain, read back from a freshly exported bundle (each export in a directory of its own)."""
    directory = tmp_path / uuid.uuid4().hex
    directory.mkdir()
    with read_bundle(await drive.export(directory)) as bundle:
        return [body for body in (parse_leaf(raw).body for raw in bundle.entries()) if body.lot == lot_id]


async def payloads(drive: Drive, tmp_path: Path, lot_id: int, kind: str) -> list[dict[str, Any]]:
    """The payloads of one kind on a lot's chain."""
    return [body.payload for body in await bodies(drive, tmp_path, lot_id) if body.kind == kind]


async def test_sealed_bids_below_the_starting_price_win_nothing(world: World, drive: Drive, tmp_path: Path) -> None:
    """The issue's case: sealed bids of 1 and 2 tyiyn on an 850 000 som lot. They are disqualified, the lot fails."""
    lot_id = await world.lot(stage="bidding", format="sealed", starting_price=STARTING_PRICE)
    await drive.seal(lot_id, "bidder", 1)
    await drive.seal(lot_id, "bidder2", 2)
    await drive.close(lot_id)

    outcome = await drive.open_sealed(lot_id)

    assert outcome.failed, outcome
    assert (await drive.lot(lot_id)).state == LotState.FAILED
    async with world.sessions() as session:
        assert list(await session.scalars(select(Award).where(Award.lot_id == lot_id))) == []
    names = sorted([await drive.pseudonym(lot_id, "bidder"), await drive.pseudonym(lot_id, "bidder2")])
    (opened,) = await payloads(drive, tmp_path, lot_id, "sealed.opened")
    assert (opened["disqualified"], opened["below_starting_price"]) == ([], names)
    (failed,) = await payloads(drive, tmp_path, lot_id, "award.failed")
    assert failed["bid_count"] == 0
    await drive.verify(tmp_path)


async def test_a_sealed_bid_at_the_starting_price_wins_over_one_below_it(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    """One bid below the floor, one at it: two bidders were admitted, so the one at the floor wins as in any contest."""
    lot_id = await world.lot(
        stage="bidding", format="sealed", starting_price=STARTING_PRICE, single_participant_rule="sell_at_start"
    )
    await drive.seal(lot_id, "bidder", STARTING_PRICE - 1)
    await drive.seal(lot_id, "bidder2", STARTING_PRICE)
    await drive.close(lot_id)

    outcome = await drive.open_sealed(lot_id)

    winner = await drive.pseudonym(lot_id, "bidder2")
    assert (outcome.winner, outcome.price, outcome.runner_up) == (winner, STARTING_PRICE, None)
    (opened,) = await payloads(drive, tmp_path, lot_id, "sealed.opened")
    assert opened["below_starting_price"] == [await drive.pseudonym(lot_id, "bidder")]
    await drive.verify(tmp_path)


async def confirm(world: World, application_id: int, by: str = "officer_tokmok") -> Application:
    officer = await world.user(by)
    async with transaction(world.sessions) as session:
        participation = ParticipationService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        return await participation.confirm_deposit(officer, application_id, "KICB-late")


async def applied(world: World, lot_id: int, who: str) -> int:
    async with transaction(world.sessions) as session:
        return (await world.apply(who, lot_id, session, LedgerWriter(session, world.keys, world.clock))).id


async def kinds_of(drive: Drive, tmp_path: Path, lot_id: int) -> list[str]:
    return [body.kind for body in await bodies(drive, tmp_path, lot_id)]


@pytest.mark.parametrize("opened_by_scheduler", [True, False], ids=["bidding", "opening-time-reached"])
async def test_no_participant_is_admitted_once_bidding_opens(
    world: World, drive: Drive, tmp_path: Path, opened_by_scheduler: bool
) -> None:
    """An application left pending cannot be approved once bidding opens, even before the scheduler's tick."""
    await world.bidder("bidder3")
    lot_id = await world.lot(stage="applications")
    application_id = await applied(world, lot_id, "bidder3")
    opens = as_utc((await drive.lot(lot_id)).bidding_opens_at)
    if opened_by_scheduler:
        await drive.open(lot_id)
        assert (await drive.lot(lot_id)).state == LotState.BIDDING
    else:
        world.clock.set(opens)
        assert (await drive.lot(lot_id)).state == LotState.PUBLISHED

    with pytest.raises(Conflict) as refused:
        await confirm(world, application_id)

    if opened_by_scheduler:
        # The opening decided it by rule: rejected as not reviewed in time (test_running_rules.py).
        assert (refused.value.code, refused.value.params) == ("application.already_reviewed", {"status": "rejected"})
    else:
        assert refused.value.code == "application.admission_closed"
        assert refused.value.params == {"opened_at": opens.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    async with world.sessions() as session:
        application = await session.get(Application, application_id)
        assert application is not None
        expected = ApplicationStatus.REJECTED if opened_by_scheduler else ApplicationStatus.SUBMITTED
        assert application.status == expected
    kinds = await kinds_of(drive, tmp_path, lot_id)
    assert kinds.count("deposit.confirmed") == kinds.count("application.approved") == 2  # bidder and bidder2 only
    await drive.verify(tmp_path)


async def test_a_participant_is_admitted_until_the_last_moment_before_the_opening(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    await world.bidder("bidder3")
    lot_id = await world.lot(stage="applications")
    application_id = await applied(world, lot_id, "bidder3")
    world.clock.set(as_utc((await drive.lot(lot_id)).bidding_opens_at) - timedelta(microseconds=1))

    application = await confirm(world, application_id)

    assert application.status == ApplicationStatus.APPROVED
    await drive.open(lot_id)
    (opened,) = await payloads(drive, tmp_path, lot_id, "auction.opened")
    assert opened["participants"] == 3
    await drive.verify(tmp_path)


@pytest.mark.parametrize("format", ["open", "sealed", "descending"])
async def test_every_entry_the_platform_writes_has_exactly_its_defined_fields(
    world: World,
    drive: Drive,
    tmp_path: Path,
    format: Any,  # noqa: A002 - the kit's word
) -> None:
    """A lot played to its award in every format, a lease among them, replays clean under the exact-field rule."""
    terms: dict[str, Any] = (
        {"deal": "lease", "lease_term_months": 24, "rent_period": "month", "permitted_use": "Retail"}
        if format == "open"
        else {}
    )
    lot_id = await world.lot(stage="awarded", format=format, **terms)
    async with world.sessions() as session:
        assert await session.scalar(select(Award).where(Award.lot_id == lot_id)) is not None
    assert {"lot.published", "auction.opened", "award.made"} <= set(await kinds_of(drive, tmp_path, lot_id))
    await drive.verify(tmp_path)


async def test_amendments_rejections_withdrawals_and_key_rotations_replay_clean(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    """The kinds the demo does not write (lot.amended, application.rejected, bid.withdrawn, key.rotated) carry
    exactly their defined fields too: a sealed lot amended, an application turned down, a bid withdrawn, the log
    key rotated, then opened and decided."""
    lot_id = await world.lot(stage="published", format="sealed")
    officer = await world.user("officer_tokmok")
    async with transaction(world.sessions) as session:
        ledger = LedgerWriter(session, world.keys, world.clock)
        lots = LotService(session, world.clock, ledger, applications=Applications(session))
        lot = await lots.get(lot_id, viewer=officer)
        current = {name: getattr(lot, name) for name in LotTerms.model_fields}
        for name in ("applications_close_at", "bidding_opens_at", "bidding_closes_at"):
            current[name] = as_utc(current[name])
        amendment = LotAmend.model_validate({**current, "description_en": "Fenced.", "reason": "Corrected."})
        await lots.amend(officer, lot_id, amendment)
    await world.bidder("bidder3")
    for who in ("bidder", "bidder2"):
        await confirm(world, await applied(world, lot_id, who))
    turned_down = await applied(world, lot_id, "bidder3")
    async with transaction(world.sessions) as session:
        participation = ParticipationService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        await participation.reject(officer, turned_down, "No deposit arrived.")
    await drive.open(lot_id)
    await drive.seal(lot_id, "bidder", 150_000_00)
    await drive.seal(lot_id, "bidder2", 160_000_00)
    await drive.withdraw(lot_id, "bidder2")
    await drive.seal(lot_id, "bidder2", 155_000_00)
    await drive.integrate()
    new_keys = replace(world.keys, signing_key=Ed25519PrivateKey.generate())
    async with transaction(world.sessions) as session:
        await record_rotation(LedgerWriter(session, world.keys, world.clock), "admin:1", new_keys)
    await drive.integrate()
    world.keys = new_keys
    await drive.close(lot_id)

    outcome = await drive.open_sealed(lot_id)

    assert (outcome.winner, outcome.price) == (await drive.pseudonym(lot_id, "bidder2"), 155_000_00)
    kinds = set(await kinds_of(drive, tmp_path, lot_id))
    assert {"lot.amended", "application.rejected", "bid.withdrawn", "sealed.opened", "award.made"} <= kinds
    await drive.verify(tmp_path)
