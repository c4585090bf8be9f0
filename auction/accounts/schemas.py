"""Account input shapes."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from auction.accounts.models import BidderKind, Role

Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]


def ascii_digits(value: str) -> str:
    """Any script's decimal digits as ASCII ones: a number in Arabic-Indic or fullwidth digits is the same number,
    so it must meet the same one-account-per-number index instead of slipping past it as a different string."""
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in value)


Password = Annotated[str, StringConstraints(min_length=10, max_length=200)]


class Registration(BaseModel):
    """A bidder signing up on the public site."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    bidder_kind: BidderKind
    identity_number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=14), AfterValidator(ascii_digits)
    ]
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
