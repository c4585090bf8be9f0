"""Words for the domain's enums and lot fields, marked for translation and translated where they are shown."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from auction.accounts.models import BidderKind, Role
from auction.bidding.models import ApplicationStatus, AwardStatus, BidStatus
from auction.lots.models import (
    AuctionFormat,
    Deal,
    FileKind,
    LotState,
    PropertyKind,
    RentPeriod,
    SingleParticipantRule,
)
from auction.municipalities.models import MunicipalityLevel
from web.lib.i18n.catalogs import N_

# Keyed by enum class first: several enums share values, and a StrEnum member equals its plain string.
ENUM_LABELS: Mapping[type[enum.Enum], Mapping[str, str]] = {
    LotState: {
        LotState.DRAFT: N_("Draft"),
        LotState.PUBLISHED: N_("Accepting applications"),
        LotState.BIDDING: N_("Bidding"),
        LotState.CLOSED: N_("Bidding closed"),
        LotState.AWARDED: N_("Awarded"),
        LotState.FAILED: N_("Did not take place"),
        LotState.CANCELLED: N_("Cancelled"),
    },
    Deal: {Deal.SALE: N_("Sale"), Deal.LEASE: N_("Lease")},
    PropertyKind: {
        PropertyKind.LAND_PLOT: N_("Land plot"),
        PropertyKind.BUILDING: N_("Building"),
        PropertyKind.PREMISES: N_("Premises in a building"),
        PropertyKind.KIOSK_PLACE: N_("Place for a kiosk or pavilion"),
        PropertyKind.PITCH: N_("Trading pitch"),
        PropertyKind.ADVERTISING_SPACE: N_("Advertising space"),
        PropertyKind.VEHICLE: N_("Vehicle"),
        PropertyKind.EQUIPMENT: N_("Equipment"),
        PropertyKind.OTHER: N_("Other property"),
    },
    AuctionFormat: {
        AuctionFormat.OPEN_ASCENDING: N_("Open ascending auction"),
        AuctionFormat.SEALED_BID: N_("Sealed-bid auction"),
        AuctionFormat.DESCENDING: N_("Descending auction"),
    },
    RentPeriod: {
        RentPeriod.MONTH: N_("per month"),
        RentPeriod.QUARTER: N_("per quarter"),
        RentPeriod.YEAR: N_("per year"),
    },
    SingleParticipantRule: {
        SingleParticipantRule.FAIL: N_("The auction does not take place"),
        SingleParticipantRule.SELL_AT_START: N_("Sold to them at their own offer, at least the starting price"),
    },
    FileKind: {
        FileKind.DOCUMENT: N_("Document (PDF)"),
        FileKind.PHOTO: N_("Photo (JPEG or PNG)"),
        FileKind.ORDER: N_("Cancellation order (PDF)"),
    },
    Role: {
        Role.BIDDER: N_("Bidder"),
        Role.OFFICER: N_("Municipal officer"),
        Role.INSPECTOR: N_("Inspector"),
        Role.ADMIN: N_("Administrator"),
    },
    BidderKind: {BidderKind.INDIVIDUAL: N_("Individual"), BidderKind.LEGAL_ENTITY: N_("Legal entity")},
    ApplicationStatus: {
        ApplicationStatus.SUBMITTED: N_("Awaiting the deposit"),
        ApplicationStatus.APPROVED: N_("Approved"),
        ApplicationStatus.REJECTED: N_("Rejected"),
    },
    BidStatus: {
        BidStatus.STANDING: N_("Standing"),
        BidStatus.REPLACED: N_("Replaced"),
        BidStatus.WITHDRAWN: N_("Withdrawn"),
        BidStatus.LATE: N_("Late: witnessed after the close"),
    },
    AwardStatus: {
        AwardStatus.RESERVE: N_("Runner-up, in reserve"),
        AwardStatus.AWAITING_SIGNATURE: N_("Awaiting the winner's signature"),
        AwardStatus.SIGNED: N_("Signed"),
        AwardStatus.DECLINED: N_("Declined"),
        AwardStatus.EXPIRED: N_("Not signed in time"),
    },
    MunicipalityLevel: {
        MunicipalityLevel.REGION: N_("Region"),
        MunicipalityLevel.DISTRICT: N_("District"),
        MunicipalityLevel.CITY: N_("City"),
        MunicipalityLevel.AIYL_OKMOTU: N_("Aiyl okmotu"),
    },
}

# Lot terms and form fields by their names in the domain, so the service's problems land next to the field.
FIELD_LABELS: Mapping[str, str] = {
    "municipality_id": N_("Municipality"),
    "purpose": N_("Purpose"),
    "inspection_key": N_("Inspection key"),
    "deal": N_("Deal"),
    "kind": N_("Kind of property"),
    "format": N_("Auction format"),
    "title_ky": N_("Title in Kyrgyz"),
    "title_ru": N_("Title in Russian"),
    "title_en": N_("Title in English"),
    "description_ky": N_("Description in Kyrgyz"),
    "description_ru": N_("Description in Russian"),
    "description_en": N_("Description in English"),
    "address": N_("Address"),
    "area_sqm": N_("Area, m²"),
    "registration_number": N_("Registration number"),
    "starting_price": N_("Starting price"),
    "bid_step": N_("Bid step"),
    "deposit": N_("Deposit"),
    "valuation": N_("Appraised value"),
    "lease_term_months": N_("Lease term, months"),
    "rent_period": N_("Rent period"),
    "indexation_percent": N_("Rent indexation, percent a year"),
    "permitted_use": N_("Permitted use"),
    "sitting_tenant": N_("Sitting tenant"),
    "lease_extension_decision": N_("Council decision allowing a longer term"),
    "payment_recipient": N_("Recipient"),
    "payment_bank": N_("Bank"),
    "payment_account": N_("Account number"),
    "payment_bank_code": N_("Bank's BIK"),
    "payment_purpose": N_("Purpose of payment"),
    "applications_close_at": N_("Applications close"),
    "bidding_opens_at": N_("Bidding opens"),
    "bidding_closes_at": N_("Bidding closes"),
    "soft_close_minutes": N_("Soft-close window, minutes"),
    "max_extension_minutes": N_("Extensions at most, minutes in total"),
    "floor_price": N_("Floor price"),
    "price_drop_interval_seconds": N_("Price drops every, seconds"),
    "single_participant_rule": N_("If only one bidder takes part"),
    "reason": N_("Reason"),
    "reopen_applications": N_("Reopen applications"),
    "file": N_("File"),
    # The registration form's fields.
    "email": N_("E-mail"),
    "password": N_("Password"),
    "full_name": N_("Full name or organisation name"),
    "bidder_kind": N_("You are"),
    "identity_number": N_("Personal number (PIN) or tax number (INN)"),
    "preferred_language": N_("Language of the site and of messages to you"),
    # The bidding and commission forms' fields.
    "amount": N_("Your bid"),
    "ciphertext": N_("Your sealed bid"),
    "bank_reference": N_("Bank reference of the deposit"),
    "threshold": N_("Members needed to open the bids"),
    "members": N_("Commission members"),
}


# The enum behind each choice field of the forms, for their options.
CHOICES: Mapping[str, type[enum.Enum]] = {
    "deal": Deal,
    "kind": PropertyKind,
    "format": AuctionFormat,
    "status": LotState,
    "rent_period": RentPeriod,
    "single_participant_rule": SingleParticipantRule,
    "bidder_kind": BidderKind,
    "file_kind": FileKind,
}


def enum_label(value: enum.Enum) -> str:
    """The untranslated label of an enum member; its value when the member has no label yet."""
    return ENUM_LABELS.get(type(value), {}).get(value.value, str(value.value))


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)
