"""Helpers for tests that need the ledger: keys, writers and the integrator on a test database."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import Clock
from auction.ledger.admission import LedgerWriter
from auction.ledger.integrator import Integrator
from auction.ledger.keys import LedgerKeys
from auction.ledger.verifier.note import VerifierKey, format_vkey, parse_vkey
from auction.lots.service import LotService
from auction.settings import Settings


def keys_of(settings: Settings) -> LedgerKeys:
    return settings.ledger_keys()


def verifier(keys: LedgerKeys) -> VerifierKey:
    return parse_vkey(format_vkey(keys.key_name, keys.public_key))


def lot_service(session: AsyncSession, clock: Clock, keys: LedgerKeys) -> LotService:
    return LotService(session, clock, LedgerWriter(session, keys, clock))


async def integrate(sessions: async_sessionmaker[AsyncSession], keys: LedgerKeys, clock: Clock) -> int:
    return await Integrator(sessions, keys, clock).integrate_all()
