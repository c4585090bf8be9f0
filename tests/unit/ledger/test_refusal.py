"""The signed refusal's exact text: one spelling per statement, so a bidder's copy verifies byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.note import NoteError, VerifierKey
from auction.ledger.verifier.refusal import Refusal, open_refusal, sign_refusal

AT = datetime(2026, 3, 1, 9, 0, 0, 5, tzinfo=UTC)
HASH = "ab" * 32


def test_refusal_round_trip() -> None:
    refusal = Refusal("achyk.example.kg/ledger", 7, "bid.place", HASH, "bid.too_low", AT)
    assert refusal.text() == (
        f"achyk-refusal/v1\nachyk.example.kg/ledger\n7\nbid.place\n{HASH}\nbid.too_low\n2026-03-01T09:00:00.000005Z\n"
    )
    key = Ed25519PrivateKey.generate()
    note = sign_refusal(refusal, "achyk.example.kg/ledger", key)
    assert open_refusal(note, [VerifierKey.from_public_key("achyk.example.kg/ledger", key)]) == refusal
    with pytest.raises(NoteError):
        open_refusal(note, [VerifierKey.from_public_key("achyk.example.kg/ledger", Ed25519PrivateKey.generate())])


@pytest.mark.parametrize(
    "text",
    [
        f"achyk-refusal/v2\no\n7\nbid.place\n{HASH}\nbid.too_low\n2026-03-01T09:00:00.000005Z\n",
        f"achyk-refusal/v1\no\n07\nbid.place\n{HASH}\nbid.too_low\n2026-03-01T09:00:00.000005Z\n",
        f"achyk-refusal/v1\no\n7\nBid Place\n{HASH}\nbid.too_low\n2026-03-01T09:00:00.000005Z\n",
        f"achyk-refusal/v1\no\n7\nbid.place\n{HASH.upper()}\nbid.too_low\n2026-03-01T09:00:00.000005Z\n",
        f"achyk-refusal/v1\no\n7\nbid.place\n{HASH}\n\n2026-03-01T09:00:00.000005Z\n",
        f"achyk-refusal/v1\no\n7\nbid.place\n{HASH}\nbid.too_low\n2026-03-01T09:00:00Z\n",
        f"achyk-refusal/v1\n\n7\nbid.place\n{HASH}\nbid.too_low\n2026-03-01T09:00:00.000005Z\n",
        f"achyk-refusal/v1\no\n7\nbid.place\n{HASH}\nbid.too_low\n2026-03-01T09:00:00.000005Z",
    ],
)
def test_refusal_parse_is_strict(text: str) -> None:
    with pytest.raises(NoteError):
        Refusal.parse(text)
