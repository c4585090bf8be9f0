"""Shapes of lot data crossing the service boundary (API, forms, demo)."""

from __future__ import annotations

from datetime import date as date_
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from auction.lots.models import (
    AuctionFormat,
    Deal,
    FileKind,
    LotState,
    PropertyKind,
    RentPeriod,
    SingleParticipantRule,
)
from auction.lots.payment import account_input
from auction.money import MAX_TYIYN

Tyiyn = Annotated[int, Field(ge=0, le=MAX_TYIYN, description="Amount in tyiyn (1 som = 100 tyiyn).")]
Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
PaymentText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
AccountNumber = Annotated[str, BeforeValidator(account_input), Field(max_length=34)]


class LotTerms(BaseModel):
    """Everything a bidder relies on; publishing or amending fixes a version of these."""

    model_config = ConfigDict(extra="forbid", strict=False, use_enum_values=False)

    deal: Deal
    kind: PropertyKind
    format: AuctionFormat
    title_ky: Title | None = None
    title_ru: Title | None = None
    title_en: Title | None = None
    description_ky: Description | None = None
    description_ru: Description | None = None
    description_en: Description | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]
    area_sqm: Annotated[Decimal, Field(gt=0, le=Decimal("1e9"), decimal_places=2)] | None = None
    registration_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    starting_price: Tyiyn
    bid_step: Tyiyn
    deposit: Tyiyn
    # Not a material term (publication_rules.MATERIAL_TERMS): the appraisal informs the public, the statistics and
    # the red flags; it changes neither the price bidders may bid from nor what they commit to, so correcting it
    # after applications exist does not reopen them. It is still recorded, as every change of terms is.
    valuation: Tyiyn | None = Field(
        default=None,
        description="The appraised value from the independent appraisal report, in tyiyn: a sale's market value of "
        "the property, a lease's market rent per rent period. Null when not recorded.",
    )
    lease_term_months: Annotated[int, Field(ge=1, le=1200)] | None = None
    rent_period: RentPeriod | None = None
    applications_close_at: AwareDatetime
    bidding_opens_at: AwareDatetime
    bidding_closes_at: AwareDatetime
    soft_close_minutes: Annotated[int, Field(ge=1, le=60)] = 5
    max_extension_minutes: Annotated[int, Field(ge=0, le=1440)] = 60
    floor_price: Tyiyn | None = None
    price_drop_interval_seconds: Annotated[int, Field(ge=10, le=86_400)] | None = None
    single_participant_rule: SingleParticipantRule = SingleParticipantRule.FAIL
    council_decision: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    indexation_percent: Annotated[int, Field(ge=0, le=100)] | None = None
    # Lease-only terms (a sale is refused with them): what the tenant may use the property for, whether a
    # sitting tenant has a preferential right, and the council decision allowing a term beyond the cap.
    permitted_use: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    sitting_tenant: bool = False
    lease_extension_decision: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    # Where bidders pay the deposit (auction/lots/payment.py): needed to publish a lot that takes a deposit.
    payment_recipient: PaymentText | None = Field(default=None, description="Who receives the deposit.")
    payment_bank: PaymentText | None = Field(default=None, description="The recipient's bank.")
    payment_account: AccountNumber | None = Field(
        default=None, description="The recipient's account: 16 digits (Kyrgyz bank) or an IBAN; spaces are removed."
    )
    payment_bank_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=6)] | None = Field(
        default=None, description="The bank's BIK (6 digits)."
    )
    payment_purpose: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = Field(
        default=None, description="The purpose of payment (reference) the payer writes on the order."
    )


class LotCreate(LotTerms):
    """A new draft; officers may omit the municipality (their own is used)."""

    municipality_id: int | None = None


class LotAmend(LotTerms):
    """A full new set of terms; once published, the reason is recorded with the new version."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    reopen_applications: bool = False


class RepeatAuction(BaseModel):
    """A failed lot offered again: how much cheaper (percent), and the new schedule."""

    model_config = ConfigDict(extra="forbid")

    reduction_percent: Annotated[int, Field(ge=0, le=90)]
    applications_close_at: AwareDatetime
    bidding_opens_at: AwareDatetime
    bidding_closes_at: AwareDatetime


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=2000)]


OrderText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CancelOrder(BaseModel):
    """The recorded order that allows cancelling a lot in the lockout before its close.

    The signed order document is uploaded first as one of the lot's files of kind `order`; the ledger records its
    SHA-256, so anyone holding the document can check it is the one the cancellation relied on.
    """

    model_config = ConfigDict(extra="forbid")

    number: OrderText = Field(description="The order's number, as written on it.")
    date: date_ = Field(description="The day the order was issued (YYYY-MM-DD).")
    issued_by: OrderText = Field(description="Who issued it: the body and the official.")
    file_id: int = Field(description="The lot file (kind `order`) holding the signed order document.")


class CancellationAsk(BaseModel):
    """An officer's request to cancel a live lot; another official of the municipality confirms it."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=2000)]
    order: CancelOrder | None = None


class CancellationOut(BaseModel):
    """A pending cancellation request, as officers of the municipality see it."""

    lot_id: int
    reason: str
    requested_by: str = Field(description="The official who asked, as the ledger names them (officer:12).")
    requested_by_name: str
    requested_at: datetime
    lot_state: LotState
    order: CancelOrder | None
    order_sha256: str | None


class LotFileOut(BaseModel):
    id: int
    kind: FileKind
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str
    replaced_by_id: int | None = None


class PlaceName(BaseModel):
    """A municipality's names in the three languages, with its id (as a string, as it has always been sent)."""

    id: str
    ky: str
    ru: str
    en: str


class LocalizedText(BaseModel):
    """A text in each language it was written in; null where it was not."""

    ky: str | None
    ru: str | None
    en: str | None


class AttemptOut(BaseModel):
    """Where a lot stands among the auctions of its property: the first, then repeats after each failure."""

    number: int = Field(description="1 for the first auction of the property, 2 for its first repeat, and so on.")
    max_attempts: int = Field(description="The most auctions of one property the municipality's rules allow.")
    previous_lot_id: int | None = Field(description="The failed lot this one repeats.")
    next_lot_id: int | None = Field(description="The repeat auction of this lot, once it failed and was relisted.")


class LotOut(BaseModel):
    """A lot as the public catalog shows it."""

    id: int
    state: LotState
    version: int
    municipality_id: int
    municipality: PlaceName
    region: PlaceName | None
    deal: Deal
    kind: PropertyKind
    format: AuctionFormat
    title: LocalizedText
    description: LocalizedText
    address: str
    area_sqm: Decimal | None
    registration_number: str | None
    starting_price: int
    bid_step: int
    deposit: int
    valuation: int | None = Field(
        default=None, description="The appraised value (independent appraisal report) in tyiyn, if recorded."
    )
    lease_term_months: int | None
    rent_period: RentPeriod | None
    applications_close_at: datetime
    bidding_opens_at: datetime
    bidding_closes_at: datetime = Field(description="The close the terms set (a descending lot's is its latest end).")
    closes_at: datetime | None = Field(
        default=None,
        description="When bidding closes or closed, as every page shows it: the terms' close, a descending lot's end "
        "by its price clock, moved by soft-close and outage extensions (or an acceptance) once bidding runs.",
    )
    soft_close_minutes: int
    max_extension_minutes: int
    floor_price: int | None
    price_drop_interval_seconds: int | None
    single_participant_rule: SingleParticipantRule
    council_decision: str | None = None
    indexation_percent: int | None = None
    permitted_use: str | None = None
    sitting_tenant: bool = False
    lease_extension_decision: str | None = None
    payment_recipient: str | None = None
    payment_bank: str | None = None
    payment_account: str | None = None
    payment_bank_code: str | None = None
    payment_purpose: str | None = None
    rent_per_sqm: int | None = Field(
        default=None, description="A lease's rent per m² for one rent period, in tyiyn (rounded half up)."
    )
    cancel_reason: str | None
    published_at: datetime | None
    repeat_of_lot_id: int | None = None
    attempt: AttemptOut | None = Field(default=None, description="The chain of attempts (in one lot's detail).")
    files: list[LotFileOut] = []


class LotPage(BaseModel):
    """One page of the catalog; pass ``next_cursor`` back as ``cursor`` for the next page."""

    items: list[LotOut]
    next_cursor: str | None


def terms_snapshot(terms: LotTerms) -> dict[str, Any]:
    """JSON-safe terms for the version history (money stays integer, times ISO 8601 UTC)."""
    return terms.model_dump(mode="json", include=set(LotTerms.model_fields))
