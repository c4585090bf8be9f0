"""Input shapes of participation that both the API and the officer's review forms read."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class DepositConfirmation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank_reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=100)]


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=2000)]
