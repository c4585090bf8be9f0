"""What the accounts API answers besides the account itself (``auction.accounts.schemas.UserOut``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from auction.accounts.schemas import UserOut


class IssuedToken(BaseModel):
    """A new bearer token: shown once, stored by the platform only as a hash."""

    token: str = Field(description="Send it as 'Authorization: Bearer <token>'.")
    token_type: Literal["bearer"]
    user: UserOut


class SessionOut(BaseModel):
    """A browser the account is signed in on."""

    id: int
    device: str = Field(description="Browser and system, as its User-Agent named them at login.")
    created_at: datetime = Field(description="When it logged in (UTC).")
    last_seen_at: datetime = Field(description="Its last request, to the minute (UTC).")


class SessionsRevoked(BaseModel):
    """The answer to "sign out everywhere"."""

    revoked: int = Field(description="How many browser sessions were ended.")
