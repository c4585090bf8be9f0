"""What an administrator submits: a staff account to create."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from auction.accounts.models import Role
from auction.accounts.schemas import Email, Password

STAFF_ROLES = (Role.OFFICER, Role.INSPECTOR, Role.ADMIN)
PAYMENT_DETAILS_MAX = 2000


class StaffAccount(BaseModel):
    """An officer (a commission member is one), an inspector or an administrator.

    Without a password the platform makes a one-time one, shown once to the administrator who hands it over.
    """

    model_config = ConfigDict(extra="forbid")

    email: Email
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    role: Role
    # The municipality's code: required for an officer, refused for the others.
    municipality: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    password: Password | None = None
    # "commission member" when the officer is created to sit on commissions: recorded in the log, nothing else.
    duty: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
