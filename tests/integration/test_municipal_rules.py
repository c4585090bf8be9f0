"""Setting a municipality's rules: only an administrator may, the change is a ledger entry, and the
municipality's rules in force are the ones recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from auction.accounts.models import User
from auction.db.engine import transaction
from auction.errors import PermissionDenied
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.bundle import read_bundle
from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.municipal_rules import DEFAULT_RULES, MunicipalRules
from auction.municipalities.models import Municipality
from auction.municipalities.service import MunicipalityService
from tests.kit.drive import Drive
from tests.kit.world import World

NARYN_RULES = MunicipalRules(notice_days=30, max_repeat_reduction_pct=20, workday_start_minute=8 * 60)


async def set_rules(world: World, who: str, municipality: str, rules: MunicipalRules) -> Municipality:
    async with transaction(world.sessions) as session:
        actor = await session.get(User, world.user_ids[who])
        assert actor is not None
        service = MunicipalityService(session, LedgerWriter(session, world.keys, world.clock))
        return await service.set_rules(actor, world.municipality[municipality], rules)


async def test_an_administrator_sets_rules_and_the_ledger_records_them(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    async with world.sessions() as session:
        untouched = await session.get(Municipality, world.municipality["naryn"])
        assert untouched is not None
        assert untouched.rules_in_force() == DEFAULT_RULES

    await set_rules(world, "admin", "naryn", NARYN_RULES)

    async with world.sessions() as session:
        naryn = await session.get(Municipality, world.municipality["naryn"])
        assert naryn is not None
        assert naryn.rules_in_force() == NARYN_RULES
    with read_bundle(await drive.export(tmp_path)) as bundle:
        recorded = [
            body for body in (parse_leaf(raw).body for raw in bundle.entries()) if body.kind == "municipality.rules"
        ]
    assert [(b.actor, b.payload) for b in recorded] == [
        (
            f"admin:{world.user_ids['admin']}",
            {"municipality": world.municipality["naryn"], "code": "naryn", "rules": NARYN_RULES.payload()},
        )
    ]
    (tmp_path / "again").mkdir()
    await drive.verify(tmp_path / "again")


@pytest.mark.parametrize("who", ["officer_naryn", "inspector", "bidder"])
async def test_nobody_else_sets_rules(world: World, who: str) -> None:
    with pytest.raises(PermissionDenied):
        await set_rules(world, who, "naryn", NARYN_RULES)
    async with world.sessions() as session:
        naryn = await session.get(Municipality, world.municipality["naryn"])
        assert naryn is not None
        assert naryn.rules is None
