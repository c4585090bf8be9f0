"""The watching API's shapes: a saved search's filters (money in tyiyn), a saved search, a watched lot."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from auction.lots.models import AuctionFormat, Deal, LotState, PropertyKind
from auction.money import MAX_TYIYN
from auction.watching.rules import SearchFilters
from auction.watching.service import NAME_MAX
from web.catalog.forms import MAX_QUERY_LENGTH
from web.lib.fields import Number

Tyiyn = Annotated[int, Field(ge=0, le=MAX_TYIYN, description="An amount in tyiyn (1 som = 100 tyiyn).")]


class SearchFiltersIn(BaseModel):
    """The catalog's filters (GET /api/v1/lots takes the same): every one optional, at least one given."""

    model_config = ConfigDict(extra="forbid")

    region_id: Number | None = None
    municipality_id: Number | None = None
    kind: PropertyKind | None = None
    deal: Deal | None = None
    format: AuctionFormat | None = None
    status: LotState | None = Field(default=None, description="One public state; none: every public state.")
    min_price: Tyiyn | None = Field(
        default=None, description="The starting price at least this (a lease: its rent for one rent period)."
    )
    max_price: Tyiyn | None = Field(default=None, description="The starting price at most this.")
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_QUERY_LENGTH)] | None = Field(
        default=None, description="Words that must all appear in the lot's titles, descriptions or address."
    )

    @field_validator("status")
    @classmethod
    def _public(cls, status: LotState | None) -> LotState | None:
        if status == LotState.DRAFT:
            raise ValueError("drafts are not public")
        return status

    @model_validator(mode="after")
    def _ordered(self) -> SearchFiltersIn:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("min_price is above max_price")
        return self

    def filters(self) -> SearchFilters:
        return SearchFilters(
            region_id=self.region_id,
            municipality_id=self.municipality_id,
            kind=None if self.kind is None else self.kind.value,
            deal=None if self.deal is None else self.deal.value,
            format=None if self.format is None else self.format.value,
            status=None if self.status is None else self.status.value,
            min_price=self.min_price,
            max_price=self.max_price,
            text=self.text or None,
        )


SearchName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)]


class SavedSearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SearchName
    filters: SearchFiltersIn


class SearchRename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SearchName


class SearchFiltersOut(BaseModel):
    region_id: int | None
    municipality_id: int | None
    kind: PropertyKind | None
    deal: Deal | None
    format: AuctionFormat | None
    status: LotState | None
    min_price: int | None = Field(description="tyiyn")
    max_price: int | None = Field(description="tyiyn")
    text: str | None


class SavedSearchOut(BaseModel):
    id: int
    name: str
    filters: SearchFiltersOut
    catalog_url: str = Field(description="The catalog page listing what the search matches now.")
    created_at: datetime


class WatchedLotOut(BaseModel):
    lot_id: int
    state: LotState
    title: str | None = Field(description="The lot's title in the first language it has (ky, ru, en).")
    closes_at: datetime = Field(description="When bidding closes: the auction clock's, extensions included.")
    watched_at: datetime


class WatchOut(BaseModel):
    lot_id: int
    watching: bool
