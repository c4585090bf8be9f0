"""What the public ledger API answers: signed checkpoints, entries, pending bodies and Merkle proofs."""

from __future__ import annotations

import base64

from pydantic import BaseModel, Field

from auction.ledger.models import LedgerEntry, PendingEntry
from auction.ledger.queries import Cosigned, Proven, PublishedProof
from auction.ledger.verifier.entry import parse_leaf
from web.lib.json_time import IsoTime


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class CheckpointOut(BaseModel):
    id: int
    size: int = Field(description="The tree size the checkpoint signs.")
    root: str = Field(description="The Merkle tree head.")
    note: str = Field(description="The C2SP tlog-checkpoint signed note, with the log's signature only.")
    signed_at: IsoTime
    cosignatures: list[str] = Field(
        description="The witnesses' cosignature lines (c2sp.org/tlog-cosignature), each to append to the note."
    )
    witnessed_at: IsoTime | None = Field(
        description="When a quorum of the witnesses had cosigned it (their clocks); null while it lacks a quorum."
    )

    @classmethod
    def of(cls, cosigned: Cosigned) -> CheckpointOut:
        checkpoint = cosigned.checkpoint
        return cls(
            id=checkpoint.id,
            size=checkpoint.size,
            root=checkpoint.root,
            note=checkpoint.note,
            signed_at=checkpoint.signed_at,
            cosignatures=[line.rstrip("\n") for line in cosigned.lines],
            witnessed_at=cosigned.witnessed_at,
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


class ProvenEntryOut(BaseModel):
    """An integrated entry with its RFC 6962 inclusion proof in a signed tree."""

    index: int = Field(description="The entry's global index.")
    tree_size: int = Field(description="The size of the signed tree the proof leads to.")
    leaf: str = Field(description="The leaf exactly as hashed into the tree (RFC 8785 JSON).")
    path: list[str] = Field(description="The inclusion path, base64 hashes, leaf to root.")
    checkpoint: str = Field(description="The signed checkpoint note of that tree.")

    @classmethod
    def of(cls, proven: Proven) -> ProvenEntryOut:
        inclusion = proven.inclusion
        return cls(
            index=inclusion.index,
            tree_size=inclusion.tree_size,
            leaf=proven.entry.leaf.decode(),
            path=[b64(h) for h in inclusion.path],
            checkpoint=inclusion.checkpoint_note,
        )


class PublishedProofOut(BaseModel):
    """A lot's ``lot.published`` entry as logged, proven in the latest signed tree: what a browser checks before
    it trusts the lot's terms or its sealed-bid key; and every key rotation, each proven in the first tree that
    holds it, so that a browser that pinned an earlier log key can follow the rotations to the key in force."""

    lot_id: int
    body: str = Field(description="The lot.published body exactly as logged (RFC 8785 JSON); part of `entry.leaf`.")
    entry: ProvenEntryOut
    rotations: list[ProvenEntryOut] = Field(description="Every key.rotated entry, oldest first.")

    @classmethod
    def of(cls, lot_id: int, proof: PublishedProof) -> PublishedProofOut:
        return cls(
            lot_id=lot_id,
            body=parse_leaf(proof.published.entry.leaf).body.raw.decode(),
            entry=ProvenEntryOut.of(proof.published),
            rotations=[ProvenEntryOut.of(r) for r in proof.rotations],
        )
