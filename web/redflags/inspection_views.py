"""What the inspection page and API share: their services, and the key as the person pasted it."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from auction.errors import InvalidInput
from auction.ledger.admission import LedgerWriter
from auction.redflags.inspection import InspectionService
from auction.redflags.linking import KEY_FIELD, KeyMalformed, parse_key

__all__ = ["KEY_FIELD", "key_of", "provide_inspection_service"]


def provide_inspection_service(
    db_session: NamedDependency[AsyncSession], ledger_writer: NamedDependency[LedgerWriter]
) -> InspectionService:
    return InspectionService(db_session, ledger_writer)


def key_of(text: str) -> bytes:
    """The pasted key, or the refusal that says what is wrong with it (never the key itself)."""
    try:
        return parse_key(text)
    except KeyMalformed as bad:
        raise InvalidInput.of(bad.problem) from None
