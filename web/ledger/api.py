"""The public ledger API: checkpoints, the verifier key, entries, proofs, receipts' proof files, export."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from auction.errors import InvalidInput, NotFound
from auction.ledger.queries import LedgerReader
from auction.ledger.witness_policy import policy_text
from web.ledger.schemas import (
    CheckpointOut,
    ConsistencyProofOut,
    InclusionProofOut,
    LedgerEntryOut,
    LotChainOut,
    PendingEntryOut,
    b64,
)
from web.lib.error_schemas import api_errors
from web.lib.fields import DB_INT_MAX, QueryNumber
from web.lib.replica import REPLICA_READS

# A proof for given sizes never changes (stored tree nodes are append-only), so browsers and proxies may keep it.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}

# The ledger is public: its reads can only miss, or be asked for something that cannot exist.
READ = api_errors(404, 422)


class LedgerApi(Controller):
    path = "/api/v1/ledger"
    # Lag-tolerant public reads: from the replica when one is configured (web.lib.replica).
    dependencies = REPLICA_READS
    tags = ["ledger"]  # noqa: RUF012

    @get(
        "/checkpoint",
        summary="The published checkpoint (C2SP tlog-checkpoint signed note, with the witnesses' cosignatures)",
        description=(
            "With witnesses configured, the newest checkpoint a quorum of them cosigned, its cosignature lines after "
            "the log's signature (c2sp.org/tlog-cosignature); before any is witnessed, and without witnesses, the "
            "newest signed checkpoint."
        ),
        media_type=MediaType.TEXT,
        responses=READ,
    )
    async def checkpoint(self, ledger_reader: NamedDependency[LedgerReader]) -> str:
        published = await ledger_reader.published_checkpoint()
        if published is None:
            raise NotFound("ledger.empty")
        return published.note

    @get("/checkpoints", summary="Every signed checkpoint, oldest first (page with after=<last id>)", responses=READ)
    async def checkpoints(
        self,
        ledger_reader: NamedDependency[LedgerReader],
        after: QueryNumber = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[CheckpointOut]:
        page = await ledger_reader.checkpoints(after_id=after, limit=limit)
        return [CheckpointOut.of(c) for c in await ledger_reader.cosigned(page)]

    @get(
        "/policy",
        summary="The platform's trust policy (achyk-trust-policy/v1): log keys, witnesses, quorum, grace",
        description=(
            "The configuration an inspector starts from (docs/witnesses.md §4): every key the log has signed with, "
            "the witnesses with their submission URLs, the quorum and the grace in seconds. It is the platform's "
            "own statement: check each key with its owner before trusting it."
        ),
        media_type=MediaType.TEXT,
        responses=READ,
    )
    async def policy(self, ledger_reader: NamedDependency[LedgerReader]) -> str:
        return policy_text(await ledger_reader.trust_policy())

    @get("/key", summary="The verifier key (Go sumdb note 'vkey' form)", media_type=MediaType.TEXT, responses=READ)
    async def key(self, ledger_reader: NamedDependency[LedgerReader]) -> str:
        return ledger_reader.verifier_key() + "\n"

    @get("/entries", summary="Integrated entries by global index range [start, end)", responses=READ)
    async def entries(
        self,
        ledger_reader: NamedDependency[LedgerReader],
        start: QueryNumber = 0,
        end: Annotated[int | None, QueryParameter(ge=1, le=DB_INT_MAX)] = None,
    ) -> list[LedgerEntryOut]:
        return [LedgerEntryOut.of(e) for e in await ledger_reader.entries(start, end or start + 100)]

    @get("/lots/{lot_id:int}/entries", summary="One lot's chain, including bodies not yet integrated", responses=READ)
    async def lot_entries(self, lot_id: FromPath[int], ledger_reader: NamedDependency[LedgerReader]) -> LotChainOut:
        chain = await ledger_reader.chain_of_lot(lot_id)
        integrated = [LedgerEntryOut.of(e) for e in chain.integrated]
        return LotChainOut(lot=lot_id, integrated=integrated, pending=[PendingEntryOut.of(p) for p in chain.pending])

    @get("/proof/inclusion", summary="RFC 6962 inclusion proof of an entry in a signed tree", responses=READ)
    async def inclusion(
        self,
        ledger_reader: NamedDependency[LedgerReader],
        index: QueryNumber,
        size: Annotated[int | None, QueryParameter(ge=1, le=DB_INT_MAX)] = None,
    ) -> Response[InclusionProofOut]:
        proof = await ledger_reader.inclusion(index, size)
        out = InclusionProofOut(
            index=proof.index,
            tree_size=proof.tree_size,
            leaf_hash=b64(proof.leaf_hash),
            path=[b64(h) for h in proof.path],
            checkpoint=proof.checkpoint_note,
        )
        # Without a size the answer follows the newest checkpoint; with one, it is fixed once its note is settled
        # (witnesses may still be adding the cosignatures a trust policy needs).
        return Response(out, headers=IMMUTABLE if size is not None and proof.settled else None)

    @get("/proof/consistency", summary="RFC 6962 consistency proof between two signed tree sizes", responses=READ)
    async def consistency(
        self, ledger_reader: NamedDependency[LedgerReader], size1: QueryNumber, size2: QueryNumber
    ) -> Response[ConsistencyProofOut]:
        proof = await ledger_reader.consistency(size1, size2)
        return Response(ConsistencyProofOut(size1=size1, size2=size2, path=[b64(h) for h in proof]), headers=IMMUTABLE)

    @get(
        "/receipts/{body_hash:str}/proof",
        summary="A C2SP tlog-proof file for a receipt's body hash",
        media_type=MediaType.TEXT,
        responses=READ,
    )
    async def receipt_proof(
        self, body_hash: FromPath[str], ledger_reader: NamedDependency[LedgerReader]
    ) -> Response[str]:
        if len(body_hash) != 64 or any(c not in "0123456789abcdef" for c in body_hash):
            raise InvalidInput("ledger.body_hash_malformed", field="body_hash")
        proof = await ledger_reader.proof_file(body_hash)
        return Response(
            proof,
            media_type=MediaType.TEXT,
            headers={"Content-Disposition": f'attachment; filename="{body_hash[:16]}.tlog-proof"'},
        )

    @get(
        "/export",
        summary="The whole ledger as a self-contained bundle (.zip) for offline verification",
        media_type="application/zip",
        responses=READ,
    )
    async def export(self, ledger_reader: NamedDependency[LedgerReader]) -> Stream:
        # Streamed as it is read: the request's session (its unit of work) stays open until the last byte is sent,
        # and the export only reads, so the commit when the response starts changes nothing.
        return Stream(
            ledger_reader.export_zip(),
            media_type="application/zip",
            headers={"Content-Disposition": 'attachment; filename="achyk-ledger.zip"'},
        )
