"""Rules enforced at publication, and checked again by the replay: notice, working hours, lease cap, council
decision, the starting price as a floor, repeat auctions, material terms and documents.

Each refusal runs through the real services on both backends; each lot that passes is exported and must replay
clean, so the platform's history keeps the verifier's rules too (tests/unit/ledger/test_publication_replay.py plays
the operator who breaks them).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from auction.bidding.participation import Applications
from auction.clock import as_utc
from auction.db.engine import transaction
from auction.errors import Conflict, DomainError, InvalidInput
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.bundle import read_bundle
from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.entry import Body, parse_leaf
from auction.ledger.verifier.municipal_rules import DEFAULT_RULES
from auction.lots.models import FileKind, Lot, LotFile, LotState
from auction.lots.schemas import LotAmend, LotCreate, LotTerms, RepeatAuction
from auction.lots.service import InvalidTerms, LotService
from tests.kit.drive import Drive
from tests.kit.world import World, kit_schedule, lot_terms

PDF = b"%PDF-1.7\n% the lot's documents\n"


async def bodies(drive: Drive, tmp_path: Path, lot_id: int) -> list[Body]:
    directory = tmp_path / uuid.uuid4().hex
    directory.mkdir()
    with read_bundle(await drive.export(directory)) as bundle:
        return [body for body in (parse_leaf(raw).body for raw in bundle.entries()) if body.lot == lot_id]


def service(world: World, session: Any) -> LotService:
    ledger = LedgerWriter(session, world.keys, world.clock)
    return LotService(session, world.clock, ledger, applications=Applications(session))


async def refusal_of(world: World, action: Any) -> DomainError:
    """What the service refuses ``action`` (called with a LotService and the officer) with."""
    officer = await world.user("officer_tokmok")
    with pytest.raises(DomainError) as refused:
        async with transaction(world.sessions) as session:
            await action(service(world, session), officer)
    return refused.value


def codes(refusal: DomainError) -> list[tuple[str, str | None]]:
    assert isinstance(refusal, InvalidTerms), refusal
    return [(p.code, p.field) for p in refusal.problems]


async def draft(world: World, **terms: Any) -> int:
    return await world.lot(stage="draft", **terms)


async def publish(world: World, lot_id: int) -> Lot:
    officer = await world.user("officer_tokmok")
    async with transaction(world.sessions) as session:
        return await service(world, session).publish(officer, lot_id)


# --- notice, working hours, lease cap, council decision ---------------------------------------------------


async def test_a_lot_whose_applications_close_60_seconds_after_publishing_is_refused(world: World) -> None:
    """The issue's case. The refusal names the earliest deadline the rules allow, in Bishkek time."""
    now = world.clock.now()
    lot_id = await draft(world, applications_close_at=(now + timedelta(seconds=60)).isoformat())

    refusal = await refusal_of(world, lambda lots, officer: lots.publish(officer, lot_id))

    assert codes(refusal) == [("publication.notice_too_short", "applications_close_at")]
    (problem,) = refusal.problems  # type: ignore[attr-defined]
    assert problem.params == {"notice_days": 20, "earliest_at": format_time(now + timedelta(days=20))}
    assert problem.message == (
        "Applications must stay open at least 20 days after publication: the earliest deadline is "
        "21 June 2026, 12:00 (Bishkek)."
    )
    assert (await Drive(world).lot(lot_id)).state == LotState.DRAFT


async def test_the_notice_runs_from_publication_not_from_drafting(world: World) -> None:
    """A draft that complied when written, published ten days later, no longer leaves 20 days."""
    lot_id = await draft(world)
    world.clock.advance(timedelta(days=10))

    refusal = await refusal_of(world, lambda lots, officer: lots.publish(officer, lot_id))

    assert codes(refusal) == [("publication.notice_too_short", "applications_close_at")]


async def test_a_lot_at_three_in_the_morning_is_refused(world: World) -> None:
    """The issue's case: bidding opening at 03:00 in Bishkek is refused already in the draft."""
    _, opens, _ = kit_schedule(world.clock.now())
    night = opens.replace(hour=21)  # 21:00 UTC: 03:00 the next day in Bishkek
    terms = lot_terms(
        world.clock.now(),
        bidding_opens_at=night.isoformat(),
        bidding_closes_at=(night + timedelta(hours=3)).isoformat(),
    )

    refusal = await refusal_of(world, lambda lots, officer: lots.create(officer, LotCreate(**terms)))

    assert codes(refusal) == [
        ("publication.outside_working_hours", "bidding_opens_at"),
        ("publication.outside_working_hours", "bidding_closes_at"),
        ("publication.latest_close_outside_working_hours", "max_extension_minutes"),
    ]


async def test_the_soft_close_cannot_carry_bidding_past_working_hours(world: World) -> None:
    _, opens, _ = kit_schedule(world.clock.now())
    late_close = (opens + timedelta(hours=5, minutes=30)).isoformat()  # 17:30, up to an hour of extensions
    refusal = await refusal_of(
        world,
        lambda lots, officer: lots.create(
            officer, LotCreate(**lot_terms(world.clock.now(), bidding_closes_at=late_close))
        ),
    )
    assert codes(refusal) == [("publication.latest_close_outside_working_hours", "max_extension_minutes")]


async def test_a_lot_without_a_council_decision_stays_a_draft(world: World) -> None:
    lot_id = await draft(world, council_decision=None)
    refusal = await refusal_of(world, lambda lots, officer: lots.publish(officer, lot_id))
    assert codes(refusal) == [("publication.council_decision_missing", "council_decision")]


async def test_a_lease_longer_than_the_cap_is_refused(world: World) -> None:
    terms = lot_terms(
        world.clock.now(), deal="lease", lease_term_months=37, rent_period="month", permitted_use="Retail of food"
    )
    refusal = await refusal_of(world, lambda lots, officer: lots.create(officer, LotCreate(**terms)))
    assert codes(refusal) == [("terms.lease_term_too_long", "lease_term_months")]


async def test_a_published_lot_carries_the_rules_it_is_judged_by(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id = await world.lot(stage="published")
    (published,) = [b for b in await bodies(drive, tmp_path, lot_id) if b.kind == "lot.published"]
    assert published.payload["rules"] == DEFAULT_RULES.payload()
    assert published.payload["terms"]["council_decision"] == "Tokmok city kenesh decision No. 14 of 12.03.2026"
    await drive.verify(tmp_path)


async def test_an_amendment_keeps_the_notice_from_publication(world: World) -> None:
    lot_id = await world.lot(stage="published")
    lot = await Drive(world).lot(lot_id)
    current = current_terms(lot)
    earlier = as_utc(lot.published_at or world.clock.now()) + timedelta(days=5)
    amendment = LotAmend.model_validate({**current, "applications_close_at": earlier, "reason": "Sooner."})

    refusal = await refusal_of(world, lambda lots, officer: lots.amend(officer, lot_id, amendment))

    assert codes(refusal) == [("publication.notice_too_short", "applications_close_at")]


def current_terms(lot: Lot) -> dict[str, Any]:
    values = {name: getattr(lot, name) for name in LotTerms.model_fields}
    for name in ("applications_close_at", "bidding_opens_at", "bidding_closes_at"):
        values[name] = as_utc(values[name])
    return values


# --- the starting price is a floor in every format --------------------------------------------------------


async def test_an_open_bid_below_the_starting_price_is_refused(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id = await world.lot(stage="bidding")
    with pytest.raises(DomainError) as refused:
        await drive.bid(lot_id, "bidder", 100_000_00 - 1)
    assert refused.value.code == "bid.too_low"
    assert refused.value.params == {"minimum_tyiyn": 100_000_00}
    await drive.verify(tmp_path)


async def test_a_descending_lot_never_goes_below_its_floor(world: World, drive: Drive, tmp_path: Path) -> None:
    """Long after the clock reached the floor nobody can take the lot below it: the auction has ended unsold."""
    lot_id = await world.lot(stage="bidding", format="descending")
    await drive.close(lot_id)
    assert (await drive.lot(lot_id)).state == LotState.FAILED
    kinds = [b.kind for b in await bodies(drive, tmp_path, lot_id)]
    assert kinds[-3:] == ["auction.closed", "award.failed", "protocol.issued"]
    await drive.verify(tmp_path)


# --- repeat auctions --------------------------------------------------------------------------------------


async def failed_lot(world: World, drive: Drive) -> int:
    """A published lot nobody bid on: it fails when bidding closes."""
    lot_id = await world.lot(stage="published")
    await drive.open(lot_id)
    await drive.close(lot_id)
    assert (await drive.lot(lot_id)).state == LotState.FAILED
    return lot_id


def repeat_schedule(now: datetime, reduction_percent: int = 25) -> RepeatAuction:
    deadline, opens, closes = kit_schedule(now)
    return RepeatAuction(
        reduction_percent=reduction_percent,
        applications_close_at=deadline,
        bidding_opens_at=opens,
        bidding_closes_at=closes,
    )


async def relist(world: World, lot_id: int, by: str = "officer_tokmok", reduction_percent: int = 25) -> Lot:
    """The repeat draft, read back after its transaction committed."""
    officer = await world.user(by)
    async with transaction(world.sessions) as session:
        schedule = repeat_schedule(world.clock.now(), reduction_percent)
        repeat_id = (await service(world, session).relist(officer, lot_id, schedule)).id
    return await Drive(world).lot(repeat_id)


async def test_a_relisted_draft_cannot_be_edited_to_minus_99_percent(world: World, drive: Drive) -> None:
    """The issue's case: the cap holds for the relisted draft's edits, not only for the relist itself."""
    failed = await failed_lot(world, drive)
    repeat = await relist(world, failed)
    cheap = {"starting_price": 1_000_00, "bid_step": 100_00, "deposit": 100_00}
    edited = LotAmend.model_validate({**current_terms(repeat), **cheap})

    refusal = await refusal_of(world, lambda lots, officer: lots.amend(officer, repeat.id, edited))

    assert codes(refusal) == [("repeat.price_cut_too_deep", "starting_price")]
    assert refusal.problems[0].params == {"max_percent": 25, "minimum_tyiyn": 75_000_00}  # type: ignore[attr-defined]


async def test_the_cap_is_enforced_at_publication_too(world: World, drive: Drive, tmp_path: Path) -> None:
    """A draft whose price was cut behind the service's back (a database edit) is still not published."""
    failed = await failed_lot(world, drive)
    repeat = await relist(world, failed)
    async with transaction(world.sessions) as session:
        await session.execute(
            update(Lot).where(Lot.id == repeat.id).values(starting_price=1_000_00, bid_step=100_00, deposit=100_00)
        )

    refusal = await refusal_of(world, lambda lots, officer: lots.publish(officer, repeat.id))

    assert codes(refusal) == [("repeat.price_cut_too_deep", "starting_price")]
    assert (await drive.lot(repeat.id)).state == LotState.DRAFT


async def test_a_repeat_offers_the_same_property(world: World, drive: Drive) -> None:
    failed = await failed_lot(world, drive)
    repeat = await relist(world, failed)
    edited = LotAmend.model_validate({**current_terms(repeat), "address": "5 Frunze street, Tokmok"})

    refusal = await refusal_of(world, lambda lots, officer: lots.amend(officer, repeat.id, edited))

    assert codes(refusal) == [("repeat.different_property", "address")]


async def test_a_relist_deeper_than_25_percent_is_refused(world: World, drive: Drive) -> None:
    failed = await failed_lot(world, drive)
    refusal = await refusal_of(
        world, lambda lots, officer: lots.relist(officer, failed, repeat_schedule(world.clock.now(), 26))
    )
    assert (refusal.code, refusal.params["max_percent"]) == ("lot.repeat_reduction_too_deep", 25)


async def test_a_failed_lot_is_relisted_once_unless_its_repeat_draft_was_cancelled(world: World, drive: Drive) -> None:
    failed = await failed_lot(world, drive)
    first = await relist(world, failed)

    refusal = await refusal_of(
        world, lambda lots, officer: lots.relist(officer, failed, repeat_schedule(world.clock.now()))
    )
    assert (refusal.code, refusal.params) == ("lot.repeat_already_relisted", {"lot_id": failed, "repeat_id": first.id})

    officer = await world.user("officer_tokmok")
    async with transaction(world.sessions) as session:
        await service(world, session).cancel(officer, first.id, "Wrong schedule")
    second = await relist(world, failed)
    assert second.repeat_of_lot_id == failed


async def test_attempts_are_capped_and_the_chain_is_shown(world: World, drive: Drive, tmp_path: Path) -> None:
    """First auction and two repeats (the default cap of 3): the third failure cannot be relisted."""
    lots = [await failed_lot(world, drive)]
    for _ in range(2):
        repeat = await relist(world, lots[-1])
        await publish(world, repeat.id)
        await drive.open(repeat.id)
        await drive.close(repeat.id)
        assert (await drive.lot(repeat.id)).state == LotState.FAILED
        lots.append(repeat.id)

    refusal = await refusal_of(
        world, lambda lots_, officer: lots_.relist(officer, lots[-1], repeat_schedule(world.clock.now()))
    )

    assert (refusal.code, refusal.params) == ("repeat.attempts_exhausted", {"max_attempts": 3})
    async with world.sessions() as session:
        lot_service = service(world, session)
        chain = [await lot_service.attempts(await lot_service.get(lot_id)) for lot_id in lots]
    assert [(a.number, a.max_attempts, a.previous_lot_id, a.next_lot_id) for a in chain] == [
        (1, 3, None, lots[1]),
        (2, 3, lots[0], lots[2]),
        (3, 3, lots[1], None),
    ]
    prices = [(await drive.lot(lot_id)).starting_price for lot_id in lots]
    assert prices == [100_000_00, 75_000_00, 56_250_00]
    await drive.verify(tmp_path)


@pytest.mark.postgres
@pytest.mark.own_database
async def test_two_officers_relisting_at_once_make_one_repeat(world: World, drive: Drive) -> None:
    failed = await failed_lot(world, drive)
    await world.officer("officer3_tokmok")

    results = await asyncio.gather(
        relist(world, failed, "officer_tokmok"), relist(world, failed, "officer3_tokmok"), return_exceptions=True
    )

    made = [r for r in results if isinstance(r, Lot)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert (len(made), [r.code for r in refused]) == (1, ["lot.repeat_already_relisted"]), results
    async with world.sessions() as session:
        repeats = list(await session.scalars(select(Lot.id).where(Lot.repeat_of_lot_id == failed)))
    assert repeats == [made[0].id]


# --- material terms and documents -------------------------------------------------------------------------


async def upload(world: World, lot_id: int, content: bytes = PDF, **extra: Any) -> LotFile:
    officer = await world.user("officer_tokmok")
    async with transaction(world.sessions) as session:
        return await service(world, session).add_file(
            officer,
            lot_id,
            kind=FileKind.DOCUMENT,
            filename="valuation.pdf",
            content_type="application/pdf",
            content=content,
            max_bytes=1_000_000,
            **extra,
        )


async def test_a_document_of_a_published_lot_is_a_ledger_entry(world: World, drive: Drive, tmp_path: Path) -> None:
    lot_id = await world.lot(stage="published")
    first = await upload(world, lot_id)
    second = await upload(world, lot_id, PDF + b"revised", replaces=first.id)

    documents = [b.payload for b in await bodies(drive, tmp_path, lot_id) if b.kind == "lot.document"]

    assert documents == [
        {
            "version": 1,
            "filename": "valuation.pdf",
            "sha256": first.sha256,
            "size": len(PDF),
            "content_type": "application/pdf",
            "replaces": None,
            "reason": None,
            "applications_close_at": None,
        },
        {
            "version": 1,
            "filename": "valuation.pdf",
            "sha256": second.sha256,
            "size": len(PDF) + 7,
            "content_type": "application/pdf",
            "replaces": first.sha256,
            "reason": None,
            "applications_close_at": None,
        },
    ]
    async with world.sessions() as session:
        replaced = await session.get(LotFile, first.id)
        assert replaced is not None
        assert replaced.replaced_by_id == second.id
    await drive.verify(tmp_path)


async def test_a_document_after_applications_needs_a_reason_and_reopens_them(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    lot_id = await world.lot(stage="applications")
    lot = await drive.lot(lot_id)
    reopened = as_utc(lot.bidding_opens_at)

    with pytest.raises(InvalidInput) as no_reason:
        await upload(world, lot_id)
    assert no_reason.value.code == "lot.document_reason_missing"
    with pytest.raises(InvalidInput) as no_window:
        await upload(world, lot_id, reason="The valuation was revised.")
    assert (no_window.value.code, no_window.value.params) == ("lot.document_needs_reopening", {"reopen_days": 3})
    with pytest.raises(InvalidInput) as short:
        await upload(
            world,
            lot_id,
            reason="The valuation was revised.",
            applications_close_at=world.clock.now() + timedelta(days=2),
        )
    assert short.value.code == "lot.reopened_window_short"

    await upload(world, lot_id, reason="The valuation was revised.", applications_close_at=reopened)

    after = await drive.lot(lot_id)
    assert (after.version, as_utc(after.applications_close_at)) == (2, reopened)
    (entry,) = [b.payload for b in await bodies(drive, tmp_path, lot_id) if b.kind == "lot.document"]
    assert (entry["version"], entry["reason"], entry["applications_close_at"]) == (
        2,
        "The valuation was revised.",
        format_time(reopened),
    )
    await drive.verify(tmp_path)


@pytest.mark.parametrize(
    ("term", "value"),
    [
        ("single_participant_rule", "sell_at_start"),
        ("soft_close_minutes", 10),
        ("max_extension_minutes", 30),
        ("council_decision", "Tokmok city kenesh decision No. 15 of 20.03.2026"),
    ],
)
async def test_a_material_term_changed_after_applications_reopens_them(
    world: World, drive: Drive, tmp_path: Path, term: str, value: Any
) -> None:
    lot_id = await world.lot(stage="applications")
    terms = current_terms(await drive.lot(lot_id))
    amendment = LotAmend.model_validate({**terms, term: value, "reason": "Council revised the terms."})

    refusal = await refusal_of(world, lambda lots, officer: lots.amend(officer, lot_id, amendment))
    assert refusal.code == "lot.amendment_needs_reopening"

    reopening = amendment.model_copy(update={"reopen_applications": True})
    officer = await world.user("officer_tokmok")
    async with transaction(world.sessions) as session:
        await service(world, session).amend(officer, lot_id, reopening)
    await drive.verify(tmp_path)
