"""Turning domain objects into the API's output shapes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from auction.accounts.models import User
from auction.clock import as_utc
from auction.lots.lease import rent_per_sqm
from auction.lots.models import CancellationRequest, Deal, Lot, LotFile, LotVersion
from auction.lots.schedule import effective_close
from auction.lots.schemas import (
    AttemptOut,
    CancellationOut,
    CancelOrder,
    LocalizedText,
    LotFileOut,
    LotOut,
    LotTerms,
    PlaceName,
)
from auction.lots.service import Attempts, actor_of
from auction.municipalities.models import Municipality
from web.lib.json_time import IsoTime


def place_name(municipality: Municipality) -> PlaceName:
    return PlaceName(id=str(municipality.id), ky=municipality.name_ky, ru=municipality.name_ru, en=municipality.name_en)


def lot_out(
    lot: Lot,
    municipality: Municipality,
    region: Municipality | None,
    files: list[LotFile] | None = None,
    attempts: Attempts | None = None,
    running_close: datetime | None = None,
) -> LotOut:
    return LotOut(
        id=lot.id,
        state=lot.state,
        version=lot.version,
        municipality_id=lot.municipality_id,
        municipality=place_name(municipality),
        region=place_name(region) if region else None,
        deal=lot.deal,
        kind=lot.kind,
        format=lot.format,
        title=LocalizedText(ky=lot.title_ky, ru=lot.title_ru, en=lot.title_en),
        description=LocalizedText(ky=lot.description_ky, ru=lot.description_ru, en=lot.description_en),
        address=lot.address,
        area_sqm=lot.area_sqm,
        registration_number=lot.registration_number,
        starting_price=lot.starting_price,
        bid_step=lot.bid_step,
        deposit=lot.deposit,
        valuation=lot.valuation,
        lease_term_months=lot.lease_term_months,
        rent_period=lot.rent_period,
        applications_close_at=as_utc(lot.applications_close_at),
        bidding_opens_at=as_utc(lot.bidding_opens_at),
        bidding_closes_at=as_utc(lot.bidding_closes_at),
        closes_at=effective_close(lot, running_close),
        soft_close_minutes=lot.soft_close_minutes,
        max_extension_minutes=lot.max_extension_minutes,
        floor_price=lot.floor_price,
        price_drop_interval_seconds=lot.price_drop_interval_seconds,
        single_participant_rule=lot.single_participant_rule,
        council_decision=lot.council_decision,
        indexation_percent=lot.indexation_percent,
        permitted_use=lot.permitted_use,
        sitting_tenant=lot.sitting_tenant,
        lease_extension_decision=lot.lease_extension_decision,
        payment_recipient=lot.payment_recipient,
        payment_bank=lot.payment_bank,
        payment_account=lot.payment_account,
        payment_bank_code=lot.payment_bank_code,
        payment_purpose=lot.payment_purpose,
        rent_per_sqm=rent_per_sqm(lot.starting_price, lot.area_sqm) if lot.deal == Deal.LEASE else None,
        cancel_reason=lot.cancel_reason,
        published_at=as_utc(lot.published_at) if lot.published_at else None,
        repeat_of_lot_id=lot.repeat_of_lot_id,
        attempt=AttemptOut(
            number=attempts.number,
            max_attempts=attempts.max_attempts,
            previous_lot_id=attempts.previous_lot_id,
            next_lot_id=attempts.next_lot_id,
        )
        if attempts is not None
        else None,
        files=[file_out(f) for f in files or []],
    )


def file_out(stored: LotFile) -> LotFileOut:
    return LotFileOut(
        id=stored.id,
        kind=stored.kind,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        url=f"/api/v1/lots/{stored.lot_id}/files/{stored.id}",
        replaced_by_id=stored.replaced_by_id,
    )


class LotVersionOut(BaseModel):
    """One published version of a lot's terms; an amendment adds a version, so no change is silent."""

    version: int
    terms: LotTerms
    reason: str | None = Field(description="Why the terms were amended; null for the first version.")
    reopened_applications: bool = Field(description="Whether the amendment reopened the applications.")
    created_at: IsoTime

    @classmethod
    def of(cls, version: LotVersion) -> LotVersionOut:
        return cls(
            version=version.version,
            # The snapshot was written from LotTerms (auction.lots.schemas.terms_snapshot), so it reads back.
            terms=LotTerms.model_validate(version.terms),
            reason=version.reason,
            reopened_applications=version.reopened_applications,
            created_at=version.created_at,
        )


def cancellation_out(request: CancellationRequest, requester: User, order_file: LotFile | None) -> CancellationOut:
    order = None
    if order_file is not None and request.order_number and request.order_date and request.order_issued_by:
        order = CancelOrder(
            number=request.order_number,
            date=date.fromisoformat(request.order_date),
            issued_by=request.order_issued_by,
            file_id=order_file.id,
        )
    return CancellationOut(
        lot_id=request.lot_id,
        reason=request.reason,
        requested_by=actor_of(requester),
        requested_by_name=requester.full_name,
        requested_at=as_utc(request.requested_at),
        lot_state=request.lot_state,
        order=order,
        order_sha256=order_file.sha256 if order_file else None,
    )
