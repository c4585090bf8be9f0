"""The login form. It never refuses input itself: a wrong or malformed e-mail gets the same answer as a
wrong password, so the form cannot tell anyone which e-mails have accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Login(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: Annotated[str, StringConstraints(strip_whitespace=True)] = ""
    password: str = Field(default="", repr=False)
    next: str | None = Field(default=None, description="Where to go after logging in (checked by safe_next).")


def parse_login(data: Mapping[str, str]) -> Login:
    return Login.model_validate({name: str(value) for name, value in data.items()})
