"""The results protocol API: the issued document with its signatures, the statement a member signs, and signing.

Members sign in their browser (session cookie plus the page's CSRF token) or as API clients (bearer token), with a
key of their own account (docs/keys.md 3); the server checks the signature and logs it, and holds no member's key.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from auction.accounts.models import User
from auction.bidding.results_protocol import ProtocolService, ProtocolView
from auction.ledger.verifier import statements as st
from web.bidding.commission_api import provide_caller
from web.bidding.schemas import (
    ProtocolDocumentOut,
    ProtocolOut,
    ProtocolSignatureOut,
    ProtocolSignatureStatement,
    ProtocolSignRequest,
    ProtocolStatementOut,
)
from web.lib.error_schemas import api_errors
from web.lib.guards import PUBLIC, identified

READ = api_errors(404)
ACTION = api_errors(401, 403, 404, 409, 422)


async def protocol_out(service: ProtocolService, view: ProtocolView) -> ProtocolOut:
    names = await service.names(view.commission)
    return ProtocolOut(
        lot=int(view.document["lot"]),
        protocol=ProtocolDocumentOut.model_validate(view.document),
        protocol_hash=view.protocol_hash,
        issued_at=view.issued_at,
        lot_seq=view.lot_seq,
        body_hash=view.body_hash,
        signatures=[
            ProtocolSignatureOut(
                member=s.member, name=names.get(s.member), key=s.key, signed=s.signed, at=s.at, lot_seq=s.lot_seq
            )
            for s in view.signatures
        ],
        required=view.required,
        complete=view.complete,
    )


class ProtocolApi(Controller):
    path = "/api/v1/lots/{lot_id:int}/protocol"
    tags = ["protocol"]  # noqa: RUF012
    guards = [identified]  # noqa: RUF012
    opt = {"caller": "member"}  # noqa: RUF012
    dependencies = {"caller": Provide(provide_caller)}  # noqa: RUF012

    @get(
        "/",
        summary="The lot's results protocol as issued into the ledger, and its signatures",
        responses=READ,
        opt=PUBLIC,
    )
    async def protocol(self, lot_id: FromPath[int], protocol_service: NamedDependency[ProtocolService]) -> ProtocolOut:
        return await protocol_out(protocol_service, await protocol_service.get(lot_id))

    @get("/statement", summary="The statement the calling commission member signs", responses=ACTION)
    async def statement(
        self,
        lot_id: FromPath[int],
        protocol_service: NamedDependency[ProtocolService],
        caller: NamedDependency[User],
    ) -> ProtocolStatementOut:
        stmt = (await protocol_service.get(lot_id)).statement(caller.id)
        return ProtocolStatementOut(
            statement=ProtocolSignatureStatement.model_validate(stmt), challenge=st.b64u(st.challenge(stmt))
        )

    @post("/signatures", status_code=200, summary="Sign the protocol hash (commission member)", responses=ACTION)
    async def sign(
        self,
        lot_id: FromPath[int],
        data: JSONBody[ProtocolSignRequest],
        protocol_service: NamedDependency[ProtocolService],
        caller: NamedDependency[User],
    ) -> ProtocolOut:
        await protocol_service.sign(caller, lot_id, data.key_id, data.signed())
        return await protocol_out(protocol_service, await protocol_service.get(lot_id))
