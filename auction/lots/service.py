"""Lot use cases: draft, amend, publish, cancel, move through the auction states, browse."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Select, and_, func, literal, not_, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role, User
from auction.accounts.permissions import can_manage_lots_of, require_lot_manager, require_role
from auction.clock import Clock, as_utc
from auction.errors import Conflict, InvalidInput, NotFound
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.municipal_rules import MunicipalRules
from auction.ledger.verifier.protocol import COMMISSION_MAX, COMMISSION_MIN
from auction.ledger.verifier.publication_rules import reopened_window_breach, repeat_breaches
from auction.lots.catalog_order import LotSort, Position, decode_position, encode_position, moment_of, position_of
from auction.lots.models import (
    AuctionFormat,
    CancellationRequest,
    Deal,
    FileKind,
    Lot,
    LotFile,
    LotState,
    LotVersion,
    PropertyKind,
)
from auction.lots.rules import (
    amendment_needs_reopening,
    can_amend,
    changed_terms,
    check_terms,
    ensure_transition,
    problem_of,
)
from auction.lots.schemas import LotAmend, LotCreate, LotTerms, RepeatAuction, terms_snapshot
from auction.municipalities.service import MunicipalityService
from auction.refusals import Problem
from auction.watching.alerts import alert_saved_searches, alert_watchers
from auction.watching.rules import CHANGE_OF_STATE

# The states the catalog lists unless asked for one; whether a lot may be seen at all is `may_see`.
PUBLIC_STATES = frozenset(LotState) - {LotState.DRAFT}

ALLOWED_UPLOADS: dict[FileKind, dict[str, tuple[bytes, ...]]] = {
    # Content types we accept, each with the magic bytes its file must start with.
    FileKind.DOCUMENT: {"application/pdf": (b"%PDF-",)},
    FileKind.PHOTO: {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)},
    FileKind.ORDER: {"application/pdf": (b"%PDF-",)},
}
# A cancellation order is filed while the auction is live; the lot's own documents freeze at the opening.
ORDER_STATES = frozenset({LotState.PUBLISHED, LotState.BIDDING, LotState.CLOSED})


class InvalidTerms(InvalidInput):
    """The terms break one or more rules; each problem names its field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("lot.terms_invalid", field=problems[0].field)
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Attempts:
    """Where a lot stands in the auctions of its property: the first and its repeats after failures."""

    number: int
    max_attempts: int
    previous_lot_id: int | None
    next_lot_id: int | None


@dataclass(frozen=True, slots=True)
class LotFilter:
    """What the catalog was asked for; every field is optional."""

    region_id: int | None = None
    municipality_id: int | None = None
    kind: PropertyKind | None = None
    deal: Deal | None = None
    format: AuctionFormat | None = None
    states: frozenset[LotState] = PUBLIC_STATES
    min_price: int | None = None
    max_price: int | None = None
    text: str | None = None


class Applications(Protocol):
    """Whether bidders have applied for a lot: a fact of the bidding slice, which sits above this one.

    The lots slice asks through this port instead of importing bidding's models, so that the dependency
    points one way (bidding -> lots); `auction.bidding.participation.Applications` answers it.
    """

    async def exist_for(self, lot_id: int) -> bool:
        """True if anyone has applied to take part in the lot."""
        ...


class LotService:
    """The caller owns the transaction; every method leaves the session consistent or raises.

    `applications` is needed only to amend a published lot (bidders who applied under the old terms may
    require reopening); a service built without it refuses that one use case rather than guess.
    """

    def __init__(
        self, session: AsyncSession, clock: Clock, ledger: LedgerWriter, applications: Applications | None = None
    ) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.applications = applications
        self.municipalities = MunicipalityService(session)

    async def get(self, lot_id: int, *, viewer: User | None = None) -> Lot:
        """A lot the viewer may see (`may_see`); any other is not found, so that its existence stays private."""
        lot = await self.session.get(Lot, lot_id)
        if lot is None or not may_see(lot, viewer):
            raise NotFound("lot.not_found", lot_id=lot_id)
        return lot

    async def lock(self, lot_id: int) -> Lot:
        """The lot, row-locked until the transaction ends; this lock serialises changes to one lot only."""
        lot = await self.session.scalar(
            select(Lot).where(Lot.id == lot_id).with_for_update().execution_options(populate_existing=True)
        )
        if lot is None:
            raise NotFound("lot.not_found", lot_id=lot_id)
        return lot

    async def create(self, officer: User, data: LotCreate) -> Lot:
        require_role(officer, Role.OFFICER, Role.ADMIN)
        municipality_id = data.municipality_id or officer.municipality_id
        if municipality_id is None:
            raise InvalidInput("lot.municipality_missing", field="municipality_id")
        require_lot_manager(officer, municipality_id)
        municipality = await self.municipalities.get(municipality_id)
        await self._check(data, municipality.rules_in_force())
        now = self.clock.now()
        lot = Lot(
            municipality_id=municipality_id,
            state=LotState.DRAFT,
            version=1,
            created_by_id=officer.id,
            created_at=now,
            updated_at=now,
        )
        _apply_terms(lot, data)
        self.session.add(lot)
        await self.session.flush()
        return lot

    async def amend(self, officer: User, lot_id: int, data: LotAmend) -> Lot:
        """Change a draft freely; change a published lot only as a new recorded version."""
        lot = await self.lock(lot_id)
        require_manager_of(officer, lot)
        if not can_amend(lot.state):
            raise Conflict("lot.terms_frozen", state=lot.state.value)
        municipality = await self.municipalities.get(lot.municipality_id)
        rules = municipality.rules_in_force()
        # A published lot keeps to the rules it was published by: the notice runs from its publication.
        published_at = as_utc(lot.published_at) if lot.published_at else None
        await self._check(data, rules, published_at=published_at)
        if lot.repeat_of_lot_id is not None:
            await self._check_repeat(lot, data, rules)
        now = self.clock.now()
        if lot.state == LotState.PUBLISHED:
            if data.format != lot.format:
                # A sealed lot's key and commission are fixed at publication; bidders chose how to bid.
                raise Conflict("lot.format_frozen", field="format")
            if not data.reason:
                raise InvalidInput("lot.amendment_reason_missing", field="reason")
            before = terms_snapshot(_terms_of(lot))
            after = terms_snapshot(data)
            changed = changed_terms(before, after)
            if not changed:
                raise InvalidInput("lot.amendment_empty")
            needs_reopening = amendment_needs_reopening(changed, has_applications=await self._has_applications(lot))
            if needs_reopening and not data.reopen_applications:
                raise Conflict("lot.amendment_needs_reopening", field="reopen_applications")
            if data.reopen_applications:
                short = reopened_window_breach(data.applications_close_at, now, rules)
                if short is not None:
                    raise InvalidInput.of(short)
            lot.version += 1
            self.session.add(
                LotVersion(
                    lot_id=lot.id,
                    version=lot.version,
                    terms=after,
                    reason=data.reason,
                    reopened_applications=data.reopen_applications,
                    actor_id=officer.id,
                    created_at=now,
                )
            )
            await self.ledger.record(
                "lot.amended",
                lot.id,
                actor_of(officer),
                {
                    "version": lot.version,
                    "terms": ledger_terms(data),
                    "changed": sorted(changed),
                    "reason": data.reason,
                    "reopened_applications": data.reopen_applications,
                },
            )
        _apply_terms(lot, data)
        lot.updated_at = now
        await self.session.flush()
        return lot

    async def publish(
        self,
        officer: User,
        lot_id: int,
        extra_terms: dict[str, Any] | None = None,
        *,
        commission: Collection[int] | None = None,
    ) -> Lot:
        """Publish a draft; ``extra_terms`` (e.g. a sealed lot's public key and commission) go into the ledger.

        An open or descending lot's ``commission`` (officers of its municipality who sign its results protocol)
        defaults to all the municipality's active officers; a sealed lot's is its key ceremony's members.
        """
        lot = await self.lock(lot_id)
        require_manager_of(officer, lot)
        ensure_transition(lot.state, LotState.PUBLISHED)
        if lot.format == AuctionFormat.SEALED_BID and not (extra_terms or {}).get("sealed"):
            raise InvalidInput("lot.sealed_needs_commission", field="format", lot_id=lot.id)
        if lot.format != AuctionFormat.SEALED_BID:
            extra_terms = {**(extra_terms or {}), "commission": await self._commission(lot, commission)}
        municipality = await self.municipalities.get(lot.municipality_id)
        rules = municipality.rules_in_force()
        now = self.clock.now()
        # The schedule was valid when drafted; it must still be valid at the moment of publication, and keep the
        # notice period from this moment.
        await self._check(_terms_of(lot), rules, published_at=now)
        if lot.repeat_of_lot_id is not None:
            # The cap on the price cut and the same property hold whatever the relisted draft was edited to.
            await self._check_repeat(lot, _terms_of(lot), rules)
        lot.state = LotState.PUBLISHED
        lot.published_at = now
        lot.updated_at = now
        terms = _terms_of(lot)
        self.session.add(
            LotVersion(
                lot_id=lot.id,
                version=lot.version,
                terms=terms_snapshot(terms),
                reason=None,
                actor_id=officer.id,
                created_at=now,
            )
        )
        await self.ledger.record(
            "lot.published",
            lot.id,
            actor_of(officer),
            {
                "version": lot.version,
                "municipality": lot.municipality_id,
                # The rules the lot is published (and judged) by: the municipality's rules in force.
                "rules": rules.payload(),
                "terms": ledger_terms(terms),
                **({"repeat_of": lot.repeat_of_lot_id} if lot.repeat_of_lot_id else {}),
                **(extra_terms or {}),
            },
        )
        await self.session.flush()
        # In this transaction: whoever saved a search this lot matches is told, once (a retry records nothing).
        await alert_saved_searches(self.session, lot, now=now)
        return lot

    async def _commission(self, lot: Lot, named: Collection[int] | None) -> list[int]:
        """The lot's commission as user ids, ascending: officers of its municipality, a majority of whom sign."""
        officers = {
            user.id
            for user in await self.session.scalars(
                select(User).where(
                    User.role == Role.OFFICER,
                    User.municipality_id == lot.municipality_id,
                    User.is_active.is_(True),
                )
            )
        }
        members = sorted(set(officers if named is None else named))
        strangers = [member for member in members if member not in officers]
        if strangers:
            raise InvalidInput("lot.commission_not_officers", field="commission", members=str(strangers))
        if not COMMISSION_MIN <= len(members) <= COMMISSION_MAX:
            raise InvalidInput(
                "lot.commission_size", field="commission", least=COMMISSION_MIN, most=COMMISSION_MAX, count=len(members)
            )
        return members

    async def relist(self, officer: User, lot_id: int, data: RepeatAuction) -> Lot:
        """A failed lot offered again as a new draft, its prices cut by at most the municipality's cap."""
        failed = await self.lock(lot_id)
        require_manager_of(officer, failed)
        if failed.state != LotState.FAILED:
            raise Conflict("lot.repeat_not_failed", state=failed.state.value)
        # The failed lot's row lock (above) serialises relists of it: a second officer's relist waits here, then
        # sees the first one's repeat.
        existing = await self.repeat_of(failed.id)
        if existing is not None:
            raise Conflict("lot.repeat_already_relisted", lot_id=failed.id, repeat_id=existing.id)
        municipality = await self.municipalities.get(failed.municipality_id)
        rules = municipality.rules_in_force()
        if data.reduction_percent > rules.max_repeat_reduction_pct:
            raise InvalidInput(
                "lot.repeat_reduction_too_deep",
                field="reduction_percent",
                municipality=municipality.name_en,
                max_percent=rules.max_repeat_reduction_pct,
            )
        attempt = await self.attempt_number(failed) + 1
        if attempt > rules.max_attempts:
            raise Conflict("repeat.attempts_exhausted", max_attempts=rules.max_attempts)
        terms = _terms_of(failed).model_dump()
        keep = 100 - data.reduction_percent
        for name in ("starting_price", "bid_step", "deposit", "floor_price"):
            if terms[name] is not None:
                # Integer arithmetic, rounded down to whole tyiyn: money never passes through floats.
                terms[name] = max(1, terms[name] * keep // 100) if terms[name] else 0
        terms.update(
            applications_close_at=data.applications_close_at,
            bidding_opens_at=data.bidding_opens_at,
            bidding_closes_at=data.bidding_closes_at,
        )
        repeat = await self.create(officer, LotCreate(**terms, municipality_id=failed.municipality_id))
        repeat.repeat_of_lot_id = failed.id
        await self.session.flush()
        return repeat

    async def cancel(self, officer: User, lot_id: int, reason: str) -> Lot:
        """Cancel a draft in one step: it was never public, so its cancellation has no chain to join.

        A live lot is cancelled by two officials (auction.bidding.cancellation.CancellationService).
        """
        lot = await self.lock(lot_id)
        require_manager_of(officer, lot)
        ensure_transition(lot.state, LotState.CANCELLED)
        if lot.state != LotState.DRAFT:
            raise Conflict("cancel.needs_second_official", state=lot.state.value)
        lot.state = LotState.CANCELLED
        lot.cancel_reason = reason
        lot.updated_at = self.clock.now()
        await self.session.flush()
        return lot

    async def move(self, lot: Lot, target: LotState, *, told: Collection[int] = ()) -> None:
        """Advance a locked lot along the state machine (used by the auction scheduler, awards and cancellation).

        A pending cancellation request described the lot as it was; once it moves on, the request is cleared.
        Its watchers are told of the change, but the accounts in ``told``, which the caller tells itself.
        """
        ensure_transition(lot.state, target)
        lot.state = target
        lot.updated_at = self.clock.now()
        pending = await self.session.get(CancellationRequest, lot.id)
        if pending is not None:
            await self.session.delete(pending)
        await self.session.flush()
        change = CHANGE_OF_STATE.get(target)
        if change is not None and lot.is_public:
            await alert_watchers(self.session, lot, change, now=lot.updated_at, told=told)

    async def versions(self, lot_id: int) -> list[LotVersion]:
        rows = await self.session.scalars(
            select(LotVersion).where(LotVersion.lot_id == lot_id).order_by(LotVersion.version)
        )
        return list(rows)

    async def browse(
        self,
        filters: LotFilter,
        *,
        viewer: User | None,
        limit: int = 20,
        cursor: str | None = None,
        sort: LotSort = LotSort.NEWEST,
    ) -> tuple[list[Lot], str | None]:
        """One page of the lots ``viewer`` may see in the order ``sort`` (newest first by default), and the cursor of
        the next page (keyset, stable under inserts). The viewer is required: every listing says whose eyes it is
        for."""
        query = (await self._filtered(filters)).where(visible_to(viewer))
        after = decode_position(cursor, sort) if cursor is not None else None
        # "Closing soon" splits coming closes from past ones at one moment, kept by the cursor across pages.
        as_of = moment_of(after.as_of) if after is not None and sort == LotSort.CLOSING_SOON else self.clock.now()
        rows: list[Lot] = []
        for part in _in_order(query, sort, as_of, after):
            rows += await self.session.scalars(part.limit(limit + 1 - len(rows)))
            if len(rows) > limit:
                break
        next_cursor = encode_position(position_of(rows[limit - 1], sort, as_of)) if len(rows) > limit else None
        return rows[:limit], next_cursor

    async def some(self, lot_ids: Collection[int], *, viewer: User | None) -> list[Lot]:
        """The lots of ``lot_ids`` the viewer may see, in one query (a watchlist), newest first."""
        if not lot_ids:
            return []
        query = select(Lot).where(Lot.id.in_(list(lot_ids)), visible_to(viewer)).order_by(Lot.id.desc())
        return list(await self.session.scalars(query))

    async def upcoming(self, now: datetime, *, horizon: timedelta, limit: int = 500) -> list[Lot]:
        """The public lots whose auction runs now or opens within ``horizon`` of ``now``, by opening (the calendar)."""
        query = (
            select(Lot)
            .where(
                Lot.state.in_((LotState.PUBLISHED, LotState.BIDDING)),
                visible_to(None),
                Lot.bidding_opens_at < now + horizon,
            )
            .order_by(Lot.bidding_opens_at, Lot.id)
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def add_file(
        self,
        officer: User,
        lot_id: int,
        *,
        kind: FileKind,
        filename: str,
        content_type: str,
        content: bytes,
        max_bytes: int,
        replaces: int | None = None,
        reason: str | None = None,
        applications_close_at: datetime | None = None,
    ) -> LotFile:
        """Attach a file; a document of a published lot is a ledger entry, and once bidders have applied it is a
        material change: it needs a reason and reopens applications until ``applications_close_at``."""
        lot = await self.lock(lot_id)
        require_manager_of(officer, lot)
        if kind == FileKind.ORDER and lot.state not in ORDER_STATES:
            raise Conflict("cancel.order_not_live", state=lot.state.value)
        if kind != FileKind.ORDER and not can_amend(lot.state):
            raise Conflict("lot.documents_frozen", state=lot.state.value)
        check_upload(kind, content_type, content, max_bytes)
        replaced = await self._replaced_document(lot, replaces) if replaces is not None else None
        now = self.clock.now()
        reason = (reason or "").strip() or None
        recorded = kind == FileKind.DOCUMENT and lot.state == LotState.PUBLISHED
        reopened_until: datetime | None = None
        if recorded and await self._has_applications(lot):
            reopened_until = await self._reopen_for_document(officer, lot, reason, applications_close_at, now)
        stored = LotFile(
            lot_id=lot.id,
            kind=kind,
            filename=filename[-200:] or "file",
            content_type=content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_by_id=officer.id,
            uploaded_at=now,
        )
        self.session.add(stored)
        await self.session.flush()
        if replaced is not None:
            replaced.replaced_by_id = stored.id
        if recorded:
            await self.ledger.record(
                "lot.document",
                lot.id,
                actor_of(officer),
                {
                    "version": lot.version,
                    "filename": stored.filename,
                    "sha256": stored.sha256,
                    "size": stored.size,
                    "content_type": stored.content_type,
                    "replaces": replaced.sha256 if replaced is not None else None,
                    "reason": reason,
                    "applications_close_at": format_time(reopened_until) if reopened_until else None,
                },
            )
        await self.session.flush()
        return stored

    async def _replaced_document(self, lot: Lot, file_id: int) -> LotFile:
        replaced = await self.session.get(LotFile, file_id)
        if (
            replaced is None
            or replaced.lot_id != lot.id
            or replaced.kind != FileKind.DOCUMENT
            or replaced.replaced_by_id is not None
        ):
            raise InvalidInput("lot.document_replaces_unknown", field="replaces", lot_id=lot.id, file_id=file_id)
        return replaced

    async def _reopen_for_document(
        self, officer: User, lot: Lot, reason: str | None, until: datetime | None, now: datetime
    ) -> datetime:
        """Bidders applied knowing the documents as they were: a new one reopens applications, as a new version."""
        rules = (await self.municipalities.get(lot.municipality_id)).rules_in_force()
        if reason is None:
            raise InvalidInput("lot.document_reason_missing", field="reason")
        if until is None:
            raise InvalidInput(
                "lot.document_needs_reopening", field="applications_close_at", reopen_days=rules.reopen_days
            )
        until = as_utc(until)
        short = reopened_window_breach(until, now, rules)
        if short is not None:
            raise InvalidInput.of(short)
        opens = as_utc(lot.bidding_opens_at)
        if until > opens:
            raise InvalidInput(
                "lot.reopened_window_past_opening", field="applications_close_at", opens_at=format_time(opens)
            )
        lot.applications_close_at = until
        lot.version += 1
        lot.updated_at = now
        self.session.add(
            LotVersion(
                lot_id=lot.id,
                version=lot.version,
                terms=terms_snapshot(_terms_of(lot)),
                reason=reason,
                reopened_applications=True,
                actor_id=officer.id,
                created_at=now,
            )
        )
        return until

    async def files(self, lot_id: int) -> list[LotFile]:
        rows = await self.session.scalars(select(LotFile).where(LotFile.lot_id == lot_id).order_by(LotFile.id))
        return list(rows)

    async def first_photo_ids(self, lot_ids: Collection[int]) -> dict[int, int]:
        """The first photo of each of these lots, by lot id, read without loading any file's bytes."""
        if not lot_ids:
            return {}
        rows = await self.session.execute(
            select(LotFile.lot_id, func.min(LotFile.id))
            .where(LotFile.lot_id.in_(lot_ids), LotFile.kind == FileKind.PHOTO)
            .group_by(LotFile.lot_id)
        )
        return dict(rows.all())

    async def file(self, lot_id: int, file_id: int) -> LotFile:
        stored = await self.session.get(LotFile, file_id)
        if stored is None or stored.lot_id != lot_id:
            raise NotFound("lot.file_not_found", lot_id=lot_id, file_id=file_id)
        return stored

    async def _check(self, terms: LotTerms, rules: MunicipalRules, *, published_at: datetime | None = None) -> None:
        problems = check_terms(terms.model_dump(), now=self.clock.now(), rules=rules, published_at=published_at)
        if problems:
            raise InvalidTerms(problems)

    async def _check_repeat(self, lot: Lot, terms: LotTerms, rules: MunicipalRules) -> None:
        """A repeat auction's terms against the failed lot's: same property, the price cut capped, attempts counted."""
        assert lot.repeat_of_lot_id is not None
        previous = await self.lock(lot.repeat_of_lot_id)
        if previous.state != LotState.FAILED:
            raise Conflict("lot.repeat_of_not_failed", lot_id=previous.id, state=previous.state.value)
        other = await self.repeat_of(previous.id)
        if other is not None and other.id != lot.id:
            raise Conflict("lot.repeat_already_relisted", lot_id=previous.id, repeat_id=other.id)
        attempt = await self.attempt_number(previous) + 1
        breaches = repeat_breaches(ledger_terms(_terms_of(previous)), ledger_terms(terms), rules, attempt=attempt)
        if breaches:
            raise InvalidTerms([problem_of(breach) for breach in breaches])

    async def repeat_of(self, lot_id: int) -> Lot | None:
        """The repeat auction of a failed lot, unless it was only ever a draft that was cancelled."""
        return await self.session.scalar(
            select(Lot)
            .where(
                Lot.repeat_of_lot_id == lot_id,
                not_(and_(Lot.state == LotState.CANCELLED, Lot.published_at.is_(None))),
            )
            .order_by(Lot.id)
            .limit(1)
        )

    async def attempt_number(self, lot: Lot) -> int:
        """Which auction of its property this lot is: 1 for the first, 2 for its first repeat, and so on."""
        number, previous = 1, lot.repeat_of_lot_id
        while previous is not None:
            number += 1
            previous = await self.session.scalar(select(Lot.repeat_of_lot_id).where(Lot.id == previous))
        return number

    async def attempts(self, lot: Lot, *, viewer: User | None = None) -> Attempts:
        """The chain of auctions of a lot's property: this one's number, the cap, and its neighbours."""
        municipality = await self.municipalities.get(lot.municipality_id)
        following = await self.repeat_of(lot.id)
        if following is not None and not may_see(following, viewer):
            following = None  # a draft is not public yet
        return Attempts(
            number=await self.attempt_number(lot),
            max_attempts=municipality.rules_in_force().max_attempts,
            previous_lot_id=lot.repeat_of_lot_id,
            next_lot_id=following.id if following is not None else None,
        )

    async def _has_applications(self, lot: Lot) -> bool:
        if self.applications is None:
            raise RuntimeError("this LotService was built without `applications`, so it cannot amend a published lot")
        return await self.applications.exist_for(lot.id)

    async def _filtered(self, filters: LotFilter) -> Select[Lot]:
        query = select(Lot).where(Lot.state.in_(filters.states))
        for area in (filters.region_id, filters.municipality_id):
            if area is not None:
                query = query.where(Lot.municipality_id.in_(await self.municipalities.descendants(area)))
        if filters.kind is not None:
            query = query.where(Lot.kind == filters.kind)
        if filters.deal is not None:
            query = query.where(Lot.deal == filters.deal)
        if filters.format is not None:
            query = query.where(Lot.format == filters.format)
        if filters.min_price is not None:
            query = query.where(Lot.starting_price >= filters.min_price)
        if filters.max_price is not None:
            query = query.where(Lot.starting_price <= filters.max_price)
        if filters.text:
            for word in filters.text.lower().split()[:8]:
                query = query.where(Lot.search_text.contains(word, autoescape=True))
        return query


def check_upload(kind: FileKind, content_type: str, content: bytes, max_bytes: int) -> None:
    """Refuse files that are too large, of a type we do not take, or whose bytes contradict their type."""
    allowed = ALLOWED_UPLOADS[kind]
    if content_type not in allowed:
        names = ", ".join(sorted(allowed))
        raise InvalidInput("file.type_refused", field="file", kind=kind.value, allowed=names, content_type=content_type)
    if not content:
        raise InvalidInput("file.empty", field="file")
    if len(content) > max_bytes:
        raise InvalidInput("file.too_large", field="file", size_bytes=len(content), limit_bytes=max_bytes)
    if not content.startswith(allowed[content_type]):
        raise InvalidInput("file.contents_mismatch", field="file", content_type=content_type)


def _in_order(query: Select[Lot], sort: LotSort, as_of: datetime, after: Position | None) -> list[Select[Lot]]:
    """The catalog query in the order ``sort``, starting strictly after ``after`` (see catalog_order.py), as parts
    read one after the other until the page is full. Each part is ordered by an index's columns, so a page reads
    only its own rows: "closing soon" is two parts, the coming closes (soonest first) then the past ones (latest
    first), rather than one ORDER BY over which side of ``as_of`` each lot falls, which sorts every lot listed."""
    if sort in (LotSort.PRICE_LOW, LotSort.PRICE_HIGH):
        key = tuple_(Lot.starting_price, Lot.id)
        if sort == LotSort.PRICE_LOW:
            if after is not None:
                query = query.where(key > tuple_(literal(after.key), literal(after.id)))
            return [query.order_by(Lot.starting_price.asc(), Lot.id.asc())]
        if after is not None:
            query = query.where(key < tuple_(literal(after.key), literal(after.id)))
        return [query.order_by(Lot.starting_price.desc(), Lot.id.desc())]
    if sort == LotSort.CLOSING_SOON:
        closes, key = Lot.bidding_closes_at, tuple_(Lot.bidding_closes_at, Lot.id)
        coming, past = query.where(closes > as_of), query.where(closes <= as_of)
        if after is not None:
            last = tuple_(literal(moment_of(after.key), closes.type), literal(after.id))
            if after.ahead:
                coming = coming.where(key > last)
            else:
                past = past.where(key < last)
        parts = [past.order_by(closes.desc(), Lot.id.desc())]
        if after is None or after.ahead:
            parts.insert(0, coming.order_by(closes.asc(), Lot.id.asc()))
        return parts
    if after is not None:
        query = query.where(Lot.id < after.id)
    return [query.order_by(Lot.id.desc())]


def actor_of(user: User) -> str:
    """How an official appears in the ledger: role and account number (officials act in public)."""
    return f"{user.role}:{user.id}"


def ledger_terms(terms: LotTerms) -> dict[str, Any]:
    """Terms as the ledger records them: integers for money, fixed-format UTC strings for times."""
    values = terms_snapshot(terms)
    for name in ("applications_close_at", "bidding_opens_at", "bidding_closes_at"):
        values[name] = format_time(getattr(terms, name))
    return values


def _may_manage(user: User | None, municipality_id: int) -> bool:
    return user is not None and can_manage_lots_of(user, municipality_id)


def may_see(lot: Lot, viewer: User | None) -> bool:
    """Who may see a lot: everyone once it is public (`Lot.is_public`), before that only those who manage it."""
    return lot.is_public or _may_manage(viewer, lot.municipality_id)


def require_manager_of(user: User | None, lot: Lot) -> User:
    """The user, if they may change this lot; an official who may not see it is told it is not found (`may_see`).

    Refusing another municipality's draft as forbidden would tell that it exists, which every read hides; other
    roles are refused for their role first (403), whatever the lot, so that they learn nothing of it either.
    """
    hide_from_officials(lot, user)
    return require_lot_manager(user, lot.municipality_id)


def hide_from_officials(lot: Lot, user: User | None) -> None:
    """Not found for an officer or administrator who may not see the lot; nothing for anyone else."""
    if user is not None and user.role in (Role.OFFICER, Role.ADMIN) and not may_see(lot, user):
        raise NotFound("lot.not_found", lot_id=lot.id)


def visible_to(viewer: User | None) -> ColumnElement[bool]:
    """`may_see` as a filter on lots, for listings; it follows `can_manage_lots_of` role by role."""
    if viewer is not None and viewer.role == Role.ADMIN:
        return true()
    if viewer is not None and viewer.role == Role.OFFICER and viewer.municipality_id is not None:
        return or_(Lot.is_public, Lot.municipality_id == viewer.municipality_id)
    return cast("ColumnElement[bool]", Lot.is_public)  # the hybrid's class-level side is its SQL expression


def _apply_terms(lot: Lot, terms: LotTerms) -> None:
    for name in LotTerms.model_fields:
        setattr(lot, name, getattr(terms, name))
    lot.search_text = search_text_of(lot)


def search_text_of(lot: Lot) -> str:
    parts = [
        lot.title_ky,
        lot.title_ru,
        lot.title_en,
        lot.description_ky,
        lot.description_ru,
        lot.description_en,
        lot.address,
        lot.registration_number,
    ]
    return " ".join(p for p in parts if p).lower()


def _terms_of(lot: Lot) -> LotTerms:
    values: dict[str, Any] = {name: getattr(lot, name) for name in LotTerms.model_fields}
    for name in ("applications_close_at", "bidding_opens_at", "bidding_closes_at"):
        values[name] = as_utc(values[name])
    return LotTerms.model_validate(values)
