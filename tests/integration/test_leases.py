"""Leases through the lot service: the lease's own terms refused where they do not belong, the cap on the term
lifted only by a council decision or the municipality's rules, and a lease played to its award replaying clean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auction.accounts.models import User
from auction.db.engine import transaction
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.bundle import read_bundle
from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.municipal_rules import MunicipalRules
from auction.lots.models import Lot
from auction.lots.schemas import LotCreate
from auction.lots.service import InvalidTerms, LotService
from auction.municipalities.service import MunicipalityService
from tests.kit.drive import Drive
from tests.kit.world import World, lot_terms

LEASE: dict[str, Any] = {
    "deal": "lease",
    "kind": "premises",
    "registration_number": "1-04-06-0012-0345-1",
    "lease_term_months": 36,
    "rent_period": "month",
    "permitted_use": "Retail of food",
}


async def draft(world: World, who: str = "officer_tokmok", **terms: Any) -> Lot:
    async with transaction(world.sessions) as session:
        officer = await session.get(User, world.user_ids[who])
        assert officer is not None
        service = LotService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        return await service.create(officer, LotCreate.model_validate(lot_terms(world.clock.now(), **terms)))


async def refused(world: World, who: str = "officer_tokmok", **terms: Any) -> list[tuple[str, str | None]]:
    with pytest.raises(InvalidTerms) as refusal:
        await draft(world, who, **terms)
    return [(p.code, p.field) for p in refusal.value.problems]


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ({"permitted_use": "Retail"}, [("terms.lease_only_term_on_sale", "permitted_use")]),
        ({"indexation_percent": 5}, [("terms.lease_only_term_on_sale", "indexation_percent")]),
        ({"sitting_tenant": True}, [("terms.lease_only_term_on_sale", "sitting_tenant")]),
        ({"lease_extension_decision": "No. 1"}, [("terms.lease_only_term_on_sale", "lease_extension_decision")]),
        (LEASE | {"permitted_use": None}, [("terms.permitted_use_missing", "permitted_use")]),
        (LEASE | {"lease_term_months": 37}, [("terms.lease_term_too_long", "lease_term_months")]),
        (
            LEASE | {"kind": "advertising_space", "registration_number": None},
            [("terms.inventory_number_missing", "registration_number")],
        ),
        (LEASE | {"registration_number": "RK-12"}, [("terms.cadastral_number_malformed", "registration_number")]),
    ],
)
async def test_the_service_refuses_lease_terms_out_of_place(
    world: World, terms: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert await refused(world, **terms) == expected


async def test_a_longer_term_by_a_council_decision_or_by_the_municipalitys_rules(world: World) -> None:
    decided = await draft(world, **(LEASE | {"lease_term_months": 120, "lease_extension_decision": "No. 12/4"}))
    assert (decided.lease_term_months, decided.lease_extension_decision) == (120, "No. 12/4")
    # Naryn's council set a five-year cap: 60 months need no decision there, 61 do.
    async with transaction(world.sessions) as session:
        admin = await session.get(User, world.user_ids["admin"])
        assert admin is not None
        municipalities = MunicipalityService(session, LedgerWriter(session, world.keys, world.clock))
        await municipalities.set_rules(admin, world.municipality["naryn"], MunicipalRules(max_lease_months=60))
    assert (await draft(world, "officer_naryn", **(LEASE | {"lease_term_months": 60}))).lease_term_months == 60
    assert await refused(world, "officer_naryn", **(LEASE | {"lease_term_months": 61})) == [
        ("terms.lease_term_too_long", "lease_term_months")
    ]


async def test_a_lease_to_its_award_records_its_terms_and_replays_clean(
    world: World, drive: Drive, tmp_path: Path
) -> None:
    kiosk = LEASE | {
        "kind": "kiosk_place",
        "registration_number": "NTO-2026/014",
        "area_sqm": "12.50",
        "indexation_percent": 5,
        "sitting_tenant": True,
    }
    lot_id = await world.lot(stage="awarded", format="open", **kiosk)
    with read_bundle(await drive.export(tmp_path)) as bundle:
        bodies = [parse_leaf(raw).body for raw in bundle.entries()]
    [published] = [b for b in bodies if b.lot == lot_id and b.kind == "lot.published"]
    terms = published.payload["terms"]
    assert (terms["kind"], terms["permitted_use"], terms["indexation_percent"], terms["sitting_tenant"]) == (
        "kiosk_place",
        "Retail of food",
        5,
        True,
    )
    assert terms["lease_extension_decision"] is None
    (tmp_path / "again").mkdir()
    await drive.verify(tmp_path / "again")
