"""What the red-flag API answers (docs/red-flags.md defines each flag)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from auction.municipalities.models import Municipality
from auction.redflags.rules import RedFlag
from auction.statistics.stories import Evidence, LotStory
from web.redflags.views import PROOF_API


class EvidenceOut(BaseModel):
    index: int = Field(description="The ledger entry's global index.")
    kind: str = Field(description="The entry's kind (docs/ledger-entries.md).")
    at: str = Field(description="The entry's ledger time (UTC).")
    lot: int = Field(description="The lot whose chain holds the entry.")
    proof: str = Field(description="Where to fetch the entry's inclusion proof in the signed tree.")

    @classmethod
    def of(cls, evidence: Evidence) -> EvidenceOut:
        return cls(
            index=evidence.index,
            kind=evidence.kind,
            at=evidence.at,
            lot=evidence.lot,
            proof=f"{PROOF_API}?index={evidence.index}",
        )


class RedFlagOut(BaseModel):
    code: str = Field(description="single_participant, below_valuation, late_withdrawal or winner_walked_away.")
    municipality: str = Field(description="The municipality's code.")
    lots: list[int]
    title: str = Field(description="The lot's title, in English when the terms have it.")
    deal: str = Field(description="sale or lease (a lease's prices are rents per period).")
    figures: dict[str, int] = Field(
        description=(
            "What the flag's text says: prices in tyiyn (price, starting_price, valuation, passed_price), percent, "
            "minutes and seconds."
        )
    )
    evidence: list[EvidenceOut] = Field(description="The ledger entries the flag rests on, by index.")

    @classmethod
    def of(cls, flag: RedFlag, story: LotStory, municipality: Municipality) -> RedFlagOut:
        return cls(
            code=flag.code.value,
            municipality=municipality.code,
            lots=list(flag.lots),
            title=story.title("en"),
            deal=story.deal,
            figures=dict(flag.figures),
            evidence=[EvidenceOut.of(found) for found in flag.evidence],
        )


class RedFlagsOut(BaseModel):
    municipality: str | None = Field(description="The scope: a municipality's code, or null for the whole country.")
    flags: list[RedFlagOut]
