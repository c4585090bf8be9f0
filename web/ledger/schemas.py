"""What the public ledger API answers: signed checkpoints, entries, pending bodies and Merkle proofs."""

from __future__ import annotations

import base64

from pydantic import BaseModel, Field

from auction.ledger.models import LedgerEntry, PendingEntry, SignedCheckpoint
from web.lib.json_time import IsoTime


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class CheckpointOut(BaseModel):
    id: int
    size: int = Field(description="The tree size the checkpoint signs.")
    root: str = Field(description="The Merkle tree head.")
    note: str = Field(description="The C2SP tlog-checkpoint signed note.")
    signed_at: IsoTime

    @classmethod
    def of(cls, checkpoint: SignedCheckpoint) -> CheckpointOut:
        return cls(
            id=checkpoint.id,
            size=checkpoint.size,
            root=checkpoint.root,
            note=checkpoint.note,
            signed_at=checkpoint.signed_at,
        )


class LedgerEntryOut(BaseModel):
    """An entry integrated into the Merkle tree."""

    index: int = Field(description="The entry's global index: its leaf number in the tree.")
    kind: str
    lot: int | None = Field(description="The lot whose chain the entry belongs to; null for platform entries.")
    lot_seq: int = Field(description="The entry's place in its lot's chain.")
    body_hash: str
    leaf_hash: str = Field(description="Hex.")
    leaf: str = Field(description="The leaf as hashed into the tree.")

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerEntryOut:
        return cls(
            index=entry.idx,
            kind=entry.kind,
            lot=entry.chain_key or None,
            lot_seq=entry.lot_seq,
            body_hash=entry.body_hash,
            leaf_hash=entry.leaf_hash.hex(),
            leaf=entry.leaf.decode(),
        )


class PendingEntryOut(BaseModel):
    """An admitted body the integrator has not put into the tree yet."""

    lot_seq: int
    kind: str
    body_hash: str
    body: str

    @classmethod
    def of(cls, pending: PendingEntry) -> PendingEntryOut:
        return cls(lot_seq=pending.lot_seq, kind=pending.kind, body_hash=pending.body_hash, body=pending.body.decode())


class LotChainOut(BaseModel):
    """One lot's chain: what is in the tree, and what waits to be integrated."""

    lot: int
    integrated: list[LedgerEntryOut]
    pending: list[PendingEntryOut]


class InclusionProofOut(BaseModel):
    """RFC 6962 inclusion proof; hashes are standard base64."""

    index: int
    tree_size: int
    leaf_hash: str
    path: list[str]
    checkpoint: str = Field(description="The signed note of the tree size the proof is for.")


class ConsistencyProofOut(BaseModel):
    """RFC 6962 consistency proof between two tree sizes; hashes are standard base64."""

    size1: int
    size2: int
    path: list[str]
