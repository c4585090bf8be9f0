"""Running an auction by the municipal rules (issue 11): two officials cancel a live lot, an order in the last
24 hours; unreviewed applications are decided by rule at the opening; the single-participant rule counts admitted
bidders and the sole participant's own offer stands. Each runs through the services on both backends, and the
exported ledger must replay clean under the verifier's rules."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from auction.bidding.cancellation import CancellationService
from auction.bidding.models import Application, ApplicationStatus, AuctionClock, Award
from auction.clock import as_utc
from auction.db.engine import transaction
from auction.errors import Conflict, DomainError, NotFound, PermissionDenied
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.auction_rules import SINGLE_FAILS, SINGLE_SOLD
from auction.ledger.verifier.running_rules import UNREVIEWED_REASON
from auction.lots.models import FileKind, LotState
from auction.lots.schemas import CancelOrder
from auction.lots.service import LotService
from tests.integration.test_rule_holes import applied, bodies, kinds_of, payloads
from tests.kit.drive import Drive
from tests.kit.world import World

ORDER_PDF = b"%PDF-1.4 order No. 17-r of the Tokmok city court"
REASON = "The council withdrew the plot from sale."


async def cancellations(world: World, action: str, who: str, lot_id: int, *args: Any) -> Any:
    """One cancellation use case by ``who``, in a transaction of its own as a request would run it."""
    user = await world.user(who)
    async with transaction(world.sessions) as session:
        service = CancellationService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        return await getattr(service, action)(user, lot_id, *args)


async def pending(world: World, lot_id: int) -> Any:
    async with world.sessions() as session:
        service = CancellationService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        return await service.pending(lot_id)


async def upload_order(world: World, lot_id: int, who: str = "officer_tokmok") -> CancelOrder:
    officer = await world.user(who)
    async with transaction(world.sessions) as session:
        lots = LotService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        stored = await lots.add_file(
            officer,
            lot_id,
            kind=FileKind.ORDER,
            filename="order-17.pdf",
            content_type="application/pdf",
            content=ORDER_PDF,
            max_bytes=10_000,
        )
    return CancelOrder.model_validate(
        {"number": "17-r", "date": "2026-06-09", "issued_by": "Tokmok city court", "file_id": stored.id}
    )


async def refused(code: str, kind: type[DomainError], call: Any) -> None:
    with pytest.raises(kind) as refusal:
        await call
    assert refusal.value.code == code, refusal.value


# --- cancellation by two officials ------------------------------------------------------------------------------


async def test_a_published_lot_is_cancelled_by_two_officers(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id = await world.lot(stage="applications")
    await cancellations(world, "request_cancellation", "officer_tokmok", lot_id, REASON)
    assert (await drive.lot(lot_id)).state == LotState.PUBLISHED  # asking alone changes nothing public
    assert "lot.cancelled" not in await kinds_of(drive, tmp_path, lot_id)

    await cancellations(world, "confirm_cancellation", "officer2_tokmok", lot_id)

    lot = await drive.lot(lot_id)
    assert (lot.state, lot.cancel_reason) == (LotState.CANCELLED, REASON)
    asked, confirmed = await world.user("officer_tokmok"), await world.user("officer2_tokmok")
    (entry,) = await payloads(drive, tmp_path, lot_id, "lot.cancelled")
    assert entry == {
        "reason": REASON,
        "was": "published",
        "requested_by": f"officer:{asked.id}",
        "confirmed_by": f"officer:{confirmed.id}",
        "order": None,
    }
    assert await pending(world, lot_id) is None
    await drive.verify(tmp_path)


async def test_the_officer_who_asked_cannot_confirm(world: World, drive: Drive) -> None:
    lot_id = await world.lot(stage="published")
    await cancellations(world, "request_cancellation", "officer_tokmok", lot_id, REASON)
    await refused(
        "cancel.same_official",
        PermissionDenied,
        cancellations(world, "confirm_cancellation", "officer_tokmok", lot_id),
    )
    assert (await drive.lot(lot_id)).state == LotState.PUBLISHED


async def test_another_municipalitys_officer_cannot_confirm_but_an_admin_can(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    lot_id = await world.lot(stage="published")
    await cancellations(world, "request_cancellation", "officer_tokmok", lot_id, REASON)
    await refused(
        "auth.other_municipality",
        PermissionDenied,
        cancellations(world, "confirm_cancellation", "officer_naryn", lot_id),
    )
    await cancellations(world, "confirm_cancellation", "admin", lot_id)
    (entry,) = await payloads(drive, tmp_path, lot_id, "lot.cancelled")
    assert entry["confirmed_by"] == f"admin:{(await world.user('admin')).id}"
    await drive.verify(tmp_path)


async def test_only_the_asker_withdraws_and_one_request_at_a_time(world: World) -> None:
    lot_id = await world.lot(stage="published")
    await cancellations(world, "request_cancellation", "officer_tokmok", lot_id, REASON)
    await refused(
        "cancel.already_requested",
        Conflict,
        cancellations(world, "request_cancellation", "officer2_tokmok", lot_id, "Another reason entirely."),
    )
    await refused(
        "cancel.withdraw_not_yours",
        PermissionDenied,
        cancellations(world, "withdraw_cancellation", "officer2_tokmok", lot_id),
    )
    await cancellations(world, "withdraw_cancellation", "officer_tokmok", lot_id)
    assert await pending(world, lot_id) is None
    await refused(
        "cancel.no_request", NotFound, cancellations(world, "confirm_cancellation", "officer2_tokmok", lot_id)
    )


async def test_a_request_is_cleared_when_the_lot_moves_on(world: World, drive: Drive) -> None:
    """Asked while published; bidding opens: the request described another lot, so it cannot be confirmed."""
    lot_id = await world.lot(stage="applications")
    await cancellations(world, "request_cancellation", "officer_tokmok", lot_id, REASON)
    await drive.open(lot_id)
    assert await pending(world, lot_id) is None
    await refused(
        "cancel.no_request", NotFound, cancellations(world, "confirm_cancellation", "officer2_tokmok", lot_id)
    )
    assert (await drive.lot(lot_id)).state == LotState.BIDDING


async def test_a_live_lot_is_not_cancelled_in_one_step_but_a_draft_is(world: World, drive: Drive) -> None:
    officer = await world.user("officer_tokmok")
    live, draft = await world.lot(stage="published"), await world.lot(stage="draft")
    async with transaction(world.sessions) as session:
        lots = LotService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        await refused("cancel.needs_second_official", Conflict, lots.cancel(officer, live, REASON))
        await lots.cancel(officer, draft, REASON)
    assert (await drive.lot(draft)).state == LotState.CANCELLED
    await refused(
        "cancel.draft_in_one_step",
        Conflict,
        cancellations(world, "request_cancellation", "officer_tokmok", await world.lot(stage="draft"), REASON),
    )


# --- the lockout before the close -----------------------------------------------------------------------------


async def test_in_the_last_24_hours_only_a_recorded_order_cancels(world: World, drive: Drive, tmp_path: Path) -> None:
    """Bidding runs (the kit's lots close 3 hours after opening): without an order the request is refused; with
    the order's number, date, issuer and document it goes through, and the entry keeps the document's hash."""
    lot_id = await world.lot(stage="bidding")
    await refused(
        "cancel.order_required",
        Conflict,
        cancellations(world, "request_cancellation", "officer_tokmok", lot_id, REASON),
    )
    order = await upload_order(world, lot_id)
    await cancellations(world, "request_cancellation", "officer_tokmok", lot_id, REASON, order)
    await cancellations(world, "confirm_cancellation", "officer2_tokmok", lot_id)
    async with world.sessions() as session:
        auction_clock = await session.get(AuctionClock, lot_id)
    assert auction_clock is not None
    assert auction_clock.closed_at is not None  # the cancelled auction leaves the scheduler's due closes

    (entry,) = await payloads(drive, tmp_path, lot_id, "lot.cancelled")
    assert (entry["was"], entry["order"]) == (
        "bidding",
        {
            "number": "17-r",
            "date": "2026-06-09",
            "issued_by": "Tokmok city court",
            "sha256": hashlib.sha256(ORDER_PDF).hexdigest(),
        },
    )
    await drive.verify(tmp_path)


async def test_the_lockout_is_judged_at_the_confirmation(world: World, drive: Drive) -> None:
    """Asked without an order days before the close; confirmed only inside the lockout: refused, with the close."""
    lot_id = await world.lot(stage="applications")
    await cancellations(world, "request_cancellation", "officer_tokmok", lot_id, REASON)
    closes = as_utc((await drive.lot(lot_id)).bidding_closes_at)
    world.clock.set(closes - 23 * timedelta(hours=1))
    with pytest.raises(Conflict) as refusal:
        await cancellations(world, "confirm_cancellation", "officer2_tokmok", lot_id)
    assert refusal.value.code == "cancel.order_required"
    assert refusal.value.params["lockout_hours"] == 24
    assert refusal.value.params["closes_at"] == closes.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- unreviewed applications are decided at the opening ----------------------------------------------------------


async def test_an_unreviewed_application_is_rejected_by_rule_when_bidding_opens(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    await world.bidder("bidder3")
    lot_id = await world.lot(stage="applications")
    application_id = await applied(world, lot_id, "bidder3")

    await drive.open(lot_id)

    async with world.sessions() as session:
        application = await session.get(Application, application_id)
        assert application is not None
        assert (application.status, application.reason) == (ApplicationStatus.REJECTED, UNREVIEWED_REASON)
    chain = await bodies(drive, tmp_path, lot_id)
    kinds = [body.kind for body in chain]
    rejection = chain[kinds.index("application.rejected")]
    assert (rejection.actor, rejection.payload["reason"]) == ("system", UNREVIEWED_REASON)
    assert kinds.index("auction.opened") == kinds.index("application.rejected") + 1
    (opened,) = await payloads(drive, tmp_path, lot_id, "auction.opened")
    assert opened["participants"] == 2
    await drive.verify(tmp_path)


# --- the single-participant rule -----------------------------------------------------------------------------


START = 50_000_00


async def awards_of(world: World, lot_id: int) -> list[tuple[str, int]]:
    async with world.sessions() as session:
        rows = await session.scalars(select(Award).where(Award.lot_id == lot_id).order_by(Award.rank))
        return [(row.pseudonym, row.price) for row in rows]


async def sole_participant(world: World, fmt: Any, rule: str = "sell_at_start") -> int:
    terms: dict[str, Any] = {"starting_price": START, "bid_step": 1_000_00, "deposit": 5_000_00}
    if fmt == "descending":
        terms.update(floor_price=30_000_00)
    return await world.lot(stage="bidding", format=fmt, bidders=("bidder",), single_participant_rule=rule, **terms)


async def test_open_sole_participant_buys_at_their_own_offer(world: World, drive: Drive, tmp_path: Path) -> None:
    """The issue's case: 80,000 offered on a 50,000 lot by the only admitted bidder is sold at 80,000."""
    lot_id = await sole_participant(world, "open")
    await drive.bid(lot_id, "bidder", 80_000_00)
    await drive.close(lot_id)
    assert await awards_of(world, lot_id) == [(await drive.pseudonym(lot_id, "bidder"), 80_000_00)]
    (made,) = await payloads(drive, tmp_path, lot_id, "award.made")
    assert (made["price"], made["reason"]) == (80_000_00, SINGLE_SOLD)
    await drive.verify(tmp_path)


async def test_sealed_sole_participant_buys_at_their_own_offer(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id = await sole_participant(world, "sealed")
    await drive.seal(lot_id, "bidder", 80_000_00)
    await drive.close(lot_id)
    outcome = await drive.open_sealed(lot_id)
    assert (outcome.price, outcome.reason) == (80_000_00, SINGLE_SOLD)
    await drive.verify(tmp_path)


async def test_descending_sole_participant_buys_only_at_the_starting_price(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    """Nobody competes with them, so the falling price is no market's verdict: they take it at the start or not."""
    at_start = await sole_participant(world, "descending")
    await drive.accept(at_start, "bidder")  # at the opening: the starting price
    await drive.close(at_start)
    assert await awards_of(world, at_start) == [(await drive.pseudonym(at_start, "bidder"), START)]
    await drive.verify(tmp_path)


async def test_descending_sole_participant_below_the_start_fails(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id = await sole_participant(world, "descending")
    lot = await drive.lot(lot_id)
    assert lot.price_drop_interval_seconds is not None
    # With the platform alive all along: a jump would be an outage, during which the price stands still.
    await drive.live_until(world.clock.now() + 5 * timedelta(seconds=lot.price_drop_interval_seconds))
    await drive.accept(lot_id, "bidder")
    await drive.close(lot_id)
    assert (await drive.lot(lot_id)).state == LotState.FAILED
    await drive.verify(tmp_path)


@pytest.mark.parametrize("fmt", ["open", "sealed"])
async def test_two_admitted_one_bid_is_a_contest_even_under_the_rule_fail(
    world: World, drive: Drive, tmp_path: Path, fmt: Any
) -> None:
    """The rule counts admitted bidders: the second admitted bidder chose not to bid, and the bid wins."""
    lot_id = await world.lot(stage="bidding", format=fmt, single_participant_rule="fail")
    if fmt == "sealed":
        await drive.seal(lot_id, "bidder", 120_000_00)
        await drive.close(lot_id)
        await drive.open_sealed(lot_id)
    else:
        await drive.bid(lot_id, "bidder", 120_000_00)
        await drive.close(lot_id)
    assert await awards_of(world, lot_id) == [(await drive.pseudonym(lot_id, "bidder"), 120_000_00)]
    await drive.verify(tmp_path)


async def test_a_sole_admitted_bidder_fails_the_lot_under_the_rule_fail(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    lot_id = await sole_participant(world, "open", rule="fail")
    await drive.bid(lot_id, "bidder", 80_000_00)
    await drive.close(lot_id)
    assert (await drive.lot(lot_id)).state == LotState.FAILED
    (failed,) = await payloads(drive, tmp_path, lot_id, "award.failed")
    assert failed["reason"] == SINGLE_FAILS
    await drive.verify(tmp_path)
