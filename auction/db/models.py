"""Imports every slice's models so that the metadata is complete for Alembic and tests."""

from __future__ import annotations

from auction.accounts.models import ApiToken, LoginFailure, User
from auction.db.base import Base
from auction.lots.models import Lot, LotFile, LotVersion
from auction.municipalities.models import Municipality

__all__ = ["ApiToken", "Base", "LoginFailure", "Lot", "LotFile", "LotVersion", "Municipality", "User"]
