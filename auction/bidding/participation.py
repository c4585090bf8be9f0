"""Taking part in a lot: applications, deposit confirmation, approval or rejection — each a ledger entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import Role, User
from auction.accounts.permissions import require_lot_manager, require_role
from auction.bidding.keys import KEYS_CHANGE, Signatures, lot_keys, refusal
from auction.bidding.models import Application, ApplicationStatus
from auction.bidding.notices import tell
from auction.clock import Clock, as_utc
from auction.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from auction.ledger.admission import Admitted, LedgerWriter
from auction.ledger.verifier import statements as st
from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.commitments import bank_reference_commitment, new_salt
from auction.ledger.verifier.running_rules import UNREVIEWED_REASON
from auction.lots.models import Lot, LotState
from auction.lots.service import LotService, actor_of
from auction.notifications import lot_params, notify_officers

# The actor of what the platform does by rule, not by anyone's hand.
SYSTEM = "system"


class Applications:
    """Answers the lots slice's `Applications` port: has anyone applied for a lot?"""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def exist_for(self, lot_id: int) -> bool:
        """True if anyone has applied to take part in the lot, whatever became of the application."""
        count = await self.session.scalar(
            select(func.count()).select_from(Application).where(Application.lot_id == lot_id)
        )
        return bool(count)


class ParticipationService:
    def __init__(self, session: AsyncSession, clock: Clock, ledger: LedgerWriter) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.lots = LotService(session, clock, ledger)

    async def apply(self, bidder: User, lot_id: int, keys: object, signed: dict[str, Any] | None) -> Application:
        """A registered bidder asks to take part; allowed until the applications deadline of a published lot.

        `keys` are the key objects the bidder will sign with on this lot (their own account keys), and the
        application is signed by one of them with seq 1 (docs/keys.md 1.3).
        """
        application, _ = await self.apply_with_receipt(bidder, lot_id, keys, signed)
        return application

    async def apply_with_receipt(
        self, bidder: User, lot_id: int, keys: object, signed: dict[str, Any] | None
    ) -> tuple[Application, Admitted]:
        """`apply`, with the ledger's receipt for the application entry, which the bidder keeps."""
        require_role(bidder, Role.BIDDER)
        if not bidder.identity_number:
            raise InvalidInput("application.identity_missing", field="identity_number")
        lot = await self.lots.lock(lot_id)
        if lot.state != LotState.PUBLISHED:
            raise Conflict("application.lot_not_published", state=lot.state.value)
        # The recorded admission time is the moment the deadline is judged against, as the verifier does.
        now = await self.ledger.next_time(lot_id)
        if now >= as_utc(lot.applications_close_at):
            raise Conflict("application.deadline_passed")
        existing = await self._find(lot_id, bidder.id)
        if existing is not None:
            raise Conflict("application.duplicate", status=existing.status.value)
        pseudonym = self.ledger.keys.pseudonym(lot_id, bidder.id)
        if signed is None:
            raise refusal(st.StatementError("statement.missing", "the application is not signed"))
        try:
            key_objects = st.check_keys(keys)
        except st.StatementError as exc:
            raise refusal(exc) from None
        registry = {st.key_id(key): key for key in key_objects}
        signatures = Signatures(self.session, self.clock)
        await signatures.account_keys(bidder, lot_id, registry)
        payload = {"bidder": pseudonym, "keys": key_objects, "signed": signed}
        await signatures.check(bidder, lot_id, "application.submitted", payload, now, registry, 0)
        application = Application(
            lot_id=lot_id,
            bidder_id=bidder.id,
            pseudonym=pseudonym,
            status=ApplicationStatus.SUBMITTED,
            submitted_at=now,
            keys=key_objects,
            last_seq=1,
        )
        self.session.add(application)
        admitted = await self.ledger.record("application.submitted", lot_id, f"bidder:{pseudonym}", payload, at=now)
        await self.session.flush()
        await tell(self.session, lot, bidder.id, "application.received", str(application.id))
        await notify_officers(
            self.session,
            municipality_id=lot.municipality_id,
            kind="application.new",
            params=lot_params(lot),
            dedupe_key=f"application.new:{application.id}",
        )
        return application, admitted

    async def statement_context(self, bidder: User, lot_id: int) -> tuple[str, int, list[str]]:
        """The bidder's pseudonym on the lot, the seq their next statement carries, and their key ids there."""
        require_role(bidder, Role.BIDDER)
        await self.lots.get(lot_id, viewer=bidder)
        application = await self._find(lot_id, bidder.id)
        pseudonym = self.ledger.keys.pseudonym(lot_id, bidder.id)
        if application is None:
            return pseudonym, 1, []
        return pseudonym, application.last_seq + 1, sorted(lot_keys(application))

    async def add_key(self, bidder: User, lot_id: int, key: object, signed: dict[str, Any] | None) -> Admitted:
        """The bidder puts another of their account keys on a lot, signed by a key already there."""
        lot = await self.lots.lock(lot_id)
        application = await self._find(lot_id, bidder.id)
        if application is None:
            raise PermissionDenied("bid.not_applied")
        if lot.state not in KEYS_CHANGE:
            raise Conflict("key.lot_finished", state=lot.state.value)
        new_key = self._key(key)
        registry = lot_keys(application)
        if st.key_id(new_key) in registry:
            raise Conflict("key.duplicate", key_id=st.key_id(new_key))
        if len(registry) >= st.MAX_KEYS:
            raise Conflict("key.too_many", most=st.MAX_KEYS)
        signatures = Signatures(self.session, self.clock)
        await signatures.account_keys(bidder, lot_id, {st.key_id(new_key): new_key}, field="key")
        at = await self.ledger.next_time(lot_id)
        payload = {"bidder": application.pseudonym, "key": new_key, "signed": signed}
        await signatures.check(bidder, lot_id, "bidder.key.added", payload, at, registry, application.last_seq)
        application.keys = [*application.keys, new_key]
        application.last_seq += 1
        actor = f"bidder:{application.pseudonym}"
        admitted = await self.ledger.record("bidder.key.added", lot_id, actor, payload, at=at)
        await self.session.flush()
        return admitted

    async def replace_key(
        self, officer: User, lot_id: int, pseudonym: str, key: object, reason: str, signed: dict[str, Any] | None
    ) -> Admitted:
        """Re-identification after a lost device: the officer, having seen the bidder in person, replaces every
        key of the bidder on the lot with a new one the bidder signed with; the entry names the officer."""
        lot = await self.lots.lock(lot_id)
        require_lot_manager(officer, lot.municipality_id)
        application = await self.session.scalar(
            select(Application).where(Application.lot_id == lot_id, Application.pseudonym == pseudonym)
        )
        if application is None:
            raise NotFound("key.bidder_not_found", bidder=pseudonym)
        if lot.state not in KEYS_CHANGE:
            raise Conflict("key.lot_finished", state=lot.state.value)
        reason = reason.strip()
        if len(reason) < 5:
            raise InvalidInput("key.reason_missing", field="reason")
        new_key = self._key(key)
        bidder = await self.session.get(User, application.bidder_id)
        assert bidder is not None
        signatures = Signatures(self.session, self.clock)
        registry = {st.key_id(new_key): new_key}
        await signatures.account_keys(bidder, lot_id, registry, field="key")
        at = await self.ledger.next_time(lot_id)
        payload = {"bidder": pseudonym, "key": new_key, "reason": reason, "signed": signed}
        await signatures.check(bidder, lot_id, "bidder.key.replaced", payload, at, registry, application.last_seq)
        application.keys = [new_key]
        application.last_seq += 1
        admitted = await self.ledger.record("bidder.key.replaced", lot_id, actor_of(officer), payload, at=at)
        await self.session.flush()
        return admitted

    @staticmethod
    def _key(key: object) -> dict[str, str]:
        try:
            return st.check_key(key)
        except st.StatementError as exc:
            raise refusal(exc) from None

    async def confirm_deposit(self, officer: User, application_id: int, bank_reference: str) -> Application:
        """The deposit reached the municipality's account: the officer records the bank reference and approves."""
        application, lot_id = await self._for_review(officer, application_id)
        reference = bank_reference.strip()
        if not 3 <= len(reference) <= 100:
            raise InvalidInput("application.bank_reference_invalid", field="bank_reference")
        # Admission closes when bidding opens: a participant admitted later would join a contest whose
        # field was announced (auction.opened counts them). Judged at the recorded time, as the verifier does.
        lot = await self.lots.get(lot_id, viewer=officer)
        now = await self.ledger.next_time(lot_id)
        if lot.state == LotState.BIDDING or now >= as_utc(lot.bidding_opens_at):
            raise Conflict("application.admission_closed", opened_at=format_time(as_utc(lot.bidding_opens_at)))
        # The reference names a payment (and so a payer): the public ledger gets only its salted commitment.
        salt = new_salt()
        application.status = ApplicationStatus.APPROVED
        application.deposit_reference = reference
        application.deposit_reference_salt = salt.hex()
        application.deposit_confirmed_at = now
        application.reviewed_by_id = officer.id
        application.reviewed_at = now
        actor = actor_of(officer)
        await self.ledger.record(
            "deposit.confirmed",
            lot_id,
            actor,
            {"bidder": application.pseudonym, "bank_reference_commitment": bank_reference_commitment(salt, reference)},
            at=now,
        )
        await self.ledger.record("application.approved", lot_id, actor, {"bidder": application.pseudonym}, at=now)
        await self.session.flush()
        opens_at = format_time(as_utc(lot.bidding_opens_at))
        await tell(
            self.session, lot, application.bidder_id, "deposit.confirmed", str(application.id), opens_at=opens_at
        )
        return application

    async def reject(self, officer: User, application_id: int, reason: str) -> Application:
        application, lot_id = await self._for_review(officer, application_id)
        if len(reason.strip()) < 5:
            raise InvalidInput("application.reject_reason_missing", field="reason")
        now = self.clock.now()
        application.status = ApplicationStatus.REJECTED
        application.reason = reason.strip()
        application.reviewed_by_id = officer.id
        application.reviewed_at = now
        await self.ledger.record(
            "application.rejected",
            lot_id,
            actor_of(officer),
            {"bidder": application.pseudonym, "reason": application.reason},
        )
        await self.session.flush()
        lot = await self.session.get(Lot, lot_id)
        assert lot is not None
        await tell(
            self.session,
            lot,
            application.bidder_id,
            "application.rejected",
            str(application.id),
            reason=application.reason,
        )
        return application

    async def reject_unreviewed(self, lot_id: int) -> list[Application]:
        """At the opening (the caller holds the lot's lock): every application still undecided is rejected by rule.

        Admission closes when bidding opens, so an application nobody reviewed can no longer be approved; rather
        than leave it pending for ever, the system rejects it in the opening's own transaction, before
        `auction.opened`, and the bidder sees why on their page.
        """
        pending = list(
            await self.session.scalars(
                select(Application)
                .where(Application.lot_id == lot_id, Application.status == ApplicationStatus.SUBMITTED)
                .order_by(Application.id)
            )
        )
        now = self.clock.now()
        for application in pending:
            application.status = ApplicationStatus.REJECTED
            application.reason = UNREVIEWED_REASON
            application.reviewed_at = now
            await self.ledger.record(
                "application.rejected", lot_id, SYSTEM, {"bidder": application.pseudonym, "reason": UNREVIEWED_REASON}
            )
        await self.session.flush()
        return pending

    async def applications_of_lot(self, officer: User, lot_id: int) -> list[Application]:
        lot = await self.lots.get(lot_id, viewer=officer)
        require_lot_manager(officer, lot.municipality_id)
        rows = await self.session.scalars(
            select(Application).where(Application.lot_id == lot_id).order_by(Application.id)
        )
        return list(rows)

    async def applications_of_bidder(self, bidder: User) -> list[Application]:
        rows = await self.session.scalars(
            select(Application).where(Application.bidder_id == bidder.id).order_by(Application.id.desc())
        )
        return list(rows)

    async def approved(self, lot_id: int, bidder: User) -> Application:
        """The bidder's approved application for the lot, or a refusal that says what is missing."""
        if bidder.role != Role.BIDDER:
            raise PermissionDenied("bid.officials_excluded")
        application = await self._find(lot_id, bidder.id)
        if application is None:
            raise PermissionDenied("bid.not_applied")
        if application.status != ApplicationStatus.APPROVED:
            raise PermissionDenied("bid.application_not_approved", status=application.status.value)
        return application

    async def _find(self, lot_id: int, bidder_id: int) -> Application | None:
        return await self.session.scalar(
            select(Application).where(Application.lot_id == lot_id, Application.bidder_id == bidder_id)
        )

    async def _for_review(self, officer: User, application_id: int) -> tuple[Application, int]:
        application = await self.session.get(Application, application_id)
        if application is None:
            raise NotFound("application.not_found", application_id=application_id)
        lot = await self.lots.lock(application.lot_id)
        require_lot_manager(officer, lot.municipality_id)
        if lot.state not in {LotState.PUBLISHED, LotState.BIDDING}:
            raise Conflict("application.review_closed", state=lot.state.value)
        if application.status != ApplicationStatus.SUBMITTED:
            raise Conflict("application.already_reviewed", status=application.status.value)
        return application, lot.id
