"""The inspection API's shapes: a request to link bidders across lots, and what it shows and records."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from auction.ledger.verifier.inspection import MAX_SCOPE_LENGTH, PURPOSE_MAX, PURPOSE_MIN
from auction.redflags.inspection import Linked


class LinkRequest(BaseModel):
    """Who is who across the lots in scope, computed under the inspectors' key; the use is a ledger entry."""

    model_config = ConfigDict(extra="forbid")

    municipality: str | None = Field(
        default=None,
        max_length=MAX_SCOPE_LENGTH,
        description="The municipality's code (e.g. tokmok); null or absent: nationwide.",
    )
    purpose: str = Field(
        min_length=PURPOSE_MIN,
        max_length=PURPOSE_MAX,
        description="A case number or the reason for this inspection; published in the ledger entry.",
    )
    inspection_key: str = Field(
        max_length=200,
        description="The inspection key (base64url of 32 bytes), used for this request only, never stored.",
    )


class LinkOut(BaseModel):
    """One bidder on one lot: the lot's public pseudonym and the bidder's link tag, the same on every lot."""

    lot: int
    pseudonym: str
    link: str


class LinkedEntryOut(BaseModel):
    """The `inspection.linked` entry that records this use: its place on the platform chain and its body hash
    (its global ledger index is given when it is integrated, within seconds: find it by the body hash)."""

    kind: str
    platform_seq: int
    body_hash: str
    receipt: str


class LinksOut(BaseModel):
    """What the inspector was shown, as the entry's `result_hash` commits to it."""

    scope: str | None
    key_fingerprint: str
    result_hash: str = Field(
        description="Hex SHA-256 of the RFC 8785 bytes of the sorted list of [lot, pseudonym, link] "
        "(docs/inspection.md)."
    )
    lots: int
    links: list[LinkOut]
    entry: LinkedEntryOut

    @classmethod
    def of(cls, linked: Linked) -> LinksOut:
        return cls(
            scope=linked.scope,
            key_fingerprint=linked.key_fingerprint,
            result_hash=linked.result_hash,
            lots=linked.lots,
            links=[LinkOut(lot=lot, pseudonym=p, link=tag) for (lot, p), tag in sorted(linked.links.items())],
            entry=LinkedEntryOut(
                kind=linked.entry.kind,
                platform_seq=linked.entry.lot_seq,
                body_hash=linked.entry.body_hash,
                receipt=linked.entry.receipt,
            ),
        )
