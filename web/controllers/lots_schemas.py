"""What the lots API answers besides the lot itself (``auction.lots.schemas.LotOut``): its versions."""

from __future__ import annotations

from pydantic import BaseModel, Field

from auction.lots.models import LotVersion
from auction.lots.schemas import LotTerms
from web.json_time import IsoTime


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
