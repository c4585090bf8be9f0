"""The public red flags as JSON: per-lot flags only (cross-lot flags are for inspectors, docs/red-flags.md)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from auction.municipalities.service import MunicipalityService
from auction.redflags.service import RedFlagService
from web.lib.error_schemas import api_errors
from web.redflags.schemas import RedFlagOut, RedFlagsOut
from web.redflags.views import RED_FLAG_READS

# One of the demo's Batken flags (`auction demo`), as `GET /api/v1/red-flags?municipality=batken` answered;
# docs/open-data.md shows the request and the other flags.
EXAMPLE = {
    "municipality": "batken",
    "flags": [
        {
            "code": "below_valuation",
            "municipality": "batken",
            "lots": [46],
            "title": "Land plot by the Batken–Isfana road, 0.25 ha",
            "deal": "sale",
            "figures": {"price": 94_500_000, "valuation": 225_000_000, "percent": 42},
            "evidence": [
                {
                    "index": 518,
                    "kind": "lot.published",
                    "at": "2026-10-02T16:08:02.852631Z",
                    "lot": 46,
                    "proof": "/api/v1/ledger/proof/inclusion?index=518",
                },
                {
                    "index": 548,
                    "kind": "award.made",
                    "at": "2026-10-26T09:00:01.000000Z",
                    "lot": 46,
                    "proof": "/api/v1/ledger/proof/inclusion?index=548",
                },
                {
                    "index": 553,
                    "kind": "contract.concluded",
                    "at": "2026-10-27T10:00:01.000000Z",
                    "lot": 46,
                    "proof": "/api/v1/ledger/proof/inclusion?index=553",
                },
            ],
        }
    ],
}


class RedFlagApi(Controller):
    path = "/api/v1/red-flags"
    tags = ["red flags"]  # noqa: RUF012
    dependencies = RED_FLAG_READS

    @get(
        "/",
        summary="The public red flags of a municipality or of the whole country, each with its ledger evidence",
        description=(
            "Per-lot patterns worth an inspector's look, not proof of wrongdoing: single_participant (awarded with "
            "one participant), below_valuation (under 70 % of the valuation), late_withdrawal (a sealed bid "
            "withdrawn less than 15 minutes before the close; its amount is never opened), winner_walked_away (the "
            "winner walked away and the lot passed to the runner-up for less). Read from the part of the ledger a "
            "signed checkpoint covers; each evidence entry's inclusion proof is at its `proof` address. Cross-lot "
            "flags (repeated winner, repeat price cut, bid rotation) link bidders across lots and are for "
            "inspectors only. Definitions: docs/red-flags.md."
        ),
        responses={
            200: ResponseSpec(
                data_container=RedFlagsOut,
                description="The flags, by municipality and lot",
                examples=[
                    Example(
                        summary="A sale at 42 % of its valuation (the demo's Batken)",
                        value=RedFlagsOut.model_validate(EXAMPLE),  # checked against the model as the app starts
                    )
                ],
            ),
            **api_errors(404, 422),
        },
        operation_id="RedFlags",
    )
    async def flags(
        self,
        red_flags: NamedDependency[RedFlagService],
        municipality_service: NamedDependency[MunicipalityService],
        municipality: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> RedFlagsOut:
        scope = await municipality_service.by_code(municipality) if municipality else None
        found = await red_flags.public(scope.id if scope is not None else None)
        return RedFlagsOut(
            municipality=scope.code if scope is not None else None,
            flags=[
                RedFlagOut.of(flag, found.stories[flag.lots[0]], found.municipalities[flag.municipality])
                for flag in found.flags
            ],
        )
