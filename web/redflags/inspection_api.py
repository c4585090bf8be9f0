"""POST /api/v1/inspection/links: the inspection page's linking for inspectors' and administrators' API tokens."""

from __future__ import annotations

from litestar import Controller, Response, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import JSONBody

from auction.accounts.models import User
from auction.errors import NotAuthenticated
from auction.municipalities.service import MunicipalityService
from auction.redflags.inspection import InspectionService
from web.lib.error_schemas import api_errors
from web.lib.guards import identified
from web.redflags.inspection_schemas import LinkRequest, LinksOut
from web.redflags.inspection_views import key_of, provide_inspection_service

# The demo's Batken linked under the demo's public inspection key (`auction demo` prints it), shortened to three of
# its 24 links; docs/open-data.md shows the request and the ledger entry it wrote.
EXAMPLE = {
    "scope": "batken",
    "key_fingerprint": "c77b963b67b2f9e0bc0ea9f2fa5af3b8abf6e366d017e05ce0e5e6f5f4c2e3ef",
    "result_hash": "aaa5447c21f835486637e2b5e18e818f8e6f785ebba63d386ab159341996dd06",
    "lots": 10,
    "links": [
        {"lot": 20, "pseudonym": "b-2544c6b7eb8e2934", "link": "l-d5d1a6ff7c4c304a"},
        {"lot": 20, "pseudonym": "b-970a52cfcfaf307c", "link": "l-8cc801dd4aca6cf4"},
        {"lot": 21, "pseudonym": "b-787818b6918977c0", "link": "l-d5d1a6ff7c4c304a"},
    ],
    "entry": {
        "kind": "inspection.linked",
        "platform_seq": 29,
        "body_hash": "1a7c6995de764bb4426c3a2a9ec95bd2b7b8c193b14efad147a802bf8b1782b9",
        "receipt": (
            "achyk-receipt/v2\nachyk.example.kg/ledger\n"
            "1a7c6995de764bb4426c3a2a9ec95bd2b7b8c193b14efad147a802bf8b1782b9\n2026-11-26T16:08:45.030729Z\n60\n"
            "platform\n29\ninspection.linked\n\n— achyk.example.kg/ledger "
            "O5eHJEYJW/f3IPxGqbAR2NAw1jbuZht68bgFs8zoG7sXBLw9uA6IIYBvM0iUrFAfsfL984VAsJkgvHGxz+7kHQY56w8=\n"
        ),
    },
}


class InspectionApi(Controller):
    path = "/api/v1/inspection"
    tags = ["inspection"]  # noqa: RUF012
    guards = [identified]  # noqa: RUF012
    dependencies = {"inspection_service": Provide(provide_inspection_service, sync_to_thread=False)}  # noqa: RUF012

    @post(
        "/links",
        summary="Link bidders across lots with the inspection key; the use is recorded in the ledger (inspectors)",
        description=(
            "For an inspector's or administrator's bearer token, with the inspectors' link key (never stored). "
            "Answers every (lot, pseudonym) of the lots in scope (`municipality`: a code, or null for nationwide) "
            "with a link tag that is the same for one bidder on every lot, and in the same transaction writes an "
            "`inspection.linked` entry on the platform chain with the purpose, the key's fingerprint and "
            "`result_hash` (SHA-256 of the RFC 8785 bytes of the sorted [lot, pseudonym, link] triples), so the "
            "inspector can later prove what was shown. A key that is not the one in force is refused and nothing is "
            "recorded. Sent with Cache-Control: no-store. Details: docs/inspection.md."
        ),
        status_code=200,
        responses={
            200: ResponseSpec(
                data_container=LinksOut,
                description="The links shown, and the ledger entry that records this use",
                examples=[
                    Example(summary="The demo's Batken, three of its links", value=LinksOut.model_validate(EXAMPLE))
                ],
            ),
            **api_errors(401, 403, 404, 409, 422),
        },
    )
    async def links(
        self,
        data: JSONBody[LinkRequest],
        api_user: NamedDependency[User | None],
        inspection_service: NamedDependency[InspectionService],
        municipality_service: NamedDependency[MunicipalityService],
    ) -> Response[LinksOut]:
        if api_user is None:
            raise NotAuthenticated("auth.bearer_required")
        key = key_of(data.inspection_key)
        scope = await municipality_service.by_code(data.municipality) if data.municipality else None
        linked = await inspection_service.link(api_user, scope, data.purpose, key)
        return Response(LinksOut.of(linked), headers={"Cache-Control": "no-store"})
