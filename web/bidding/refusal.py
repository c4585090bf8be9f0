"""Bidder actions refused by the domain answer with the log's signed refusal beside the error code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Request
from litestar.datastructures import State

from auction.clock import Clock
from auction.errors import DomainError, NotAuthenticated
from auction.ledger.keys import LedgerKeys
from auction.ledger.refused import sign_refused


@asynccontextmanager
async def signed_refusal(request: Request[Any, Any, State], lot_id: int, action: str) -> AsyncIterator[None]:
    """Sign any domain refusal raised inside, for the caller to keep; anonymous callers get none (no one to
    prove anything to, and no reason to let strangers make the log sign)."""
    try:
        yield
    except DomainError as refused:
        if not isinstance(refused, NotAuthenticated):
            keys: LedgerKeys = request.app.state.ledger_keys
            clock: Clock = request.app.state.clock
            body = await request.body()
            refused.refusal = sign_refused(keys, lot_id, action, body, refused.code, clock.now())
        raise
