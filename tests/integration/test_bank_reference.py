"""Bank references are not public: the ledger commits to each one, the database keeps what opens the commitment."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.bidding.models import Application
from auction.ledger.models import PendingEntry
from auction.ledger.verifier.commitments import is_commitment, opens
from tests.kit.world import World


async def test_deposit_confirmed_carries_a_commitment_the_stored_salt_opens(
    world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lot_id = await world.lot("applications", bidders=("bidder", "bidder2"))
    async with sessions() as session:
        bodies = list(await session.scalars(select(PendingEntry).where(PendingEntry.chain_key == lot_id)))
        applications = {a.pseudonym: a for a in await session.scalars(select(Application))}
    deposits = [json.loads(p.body) for p in bodies if p.kind == "deposit.confirmed"]
    assert len(deposits) == 2
    for body in deposits:
        payload = body["payload"]
        assert set(payload) == {"bidder", "bank_reference_commitment"}
        assert is_commitment(payload["bank_reference_commitment"])
        application = applications[payload["bidder"]]
        assert application.deposit_reference is not None
        assert application.deposit_reference_salt is not None
        # The auditor's check: the reference and salt in the database open the ledger's commitment.
        assert opens(payload["bank_reference_commitment"], application.deposit_reference_salt, "KICB-bidder") == (
            application.deposit_reference == "KICB-bidder"
        )
        assert opens(
            payload["bank_reference_commitment"], application.deposit_reference_salt, application.deposit_reference
        )
    # No byte of any reference is in the public log, and each deposit has its own salt.
    assert not any(b"KICB" in p.body for p in bodies)
    assert len({a.deposit_reference_salt for a in applications.values()}) == 2
