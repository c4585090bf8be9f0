"""What the accounts API answers besides the account itself (``auction.accounts.schemas.UserOut``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from auction.accounts.schemas import UserOut


class IssuedToken(BaseModel):
    """A new bearer token: shown once, stored by the platform only as a hash."""

    token: str = Field(description="Send it as 'Authorization: Bearer <token>'.")
    token_type: Literal["bearer"]
    user: UserOut
