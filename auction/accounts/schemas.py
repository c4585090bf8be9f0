"""Account input shapes."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from auction.accounts.models import BidderKind, Role

Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Password = Annotated[str, StringConstraints(min_length=10, max_length=200)]


class Registration(BaseModel):
    """A bidder signing up on the public site."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    bidder_kind: BidderKind
    identity_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=14)]
    preferred_language: Annotated[str, StringConstraints(pattern=r"^(ky|ru|en)$")] = "ru"


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class TokenRequest(Credentials):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = "api"


class UserOut(BaseModel):
    id: int
    email: str
    full_name: str
    role: Role
    municipality_id: int | None
