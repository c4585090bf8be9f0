"""The log's signed statement that it refused a bidder's action (see auction/ledger/verifier/refusal.py)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from auction.ledger.keys import LedgerKeys
from auction.ledger.verifier.refusal import Refusal, sign_refusal


def sign_refused(keys: LedgerKeys, lot_id: int, action: str, request_body: bytes, code: str, at: datetime) -> str:
    """A signed refusal for the request whose body is `request_body`, so the bidder can prove they were turned away.

    Nothing is written: a refusal leaves no ledger entry, and this note is only handed back to the requester.
    """
    request_hash = hashlib.sha256(request_body).hexdigest()
    refusal = Refusal(keys.origin, lot_id, action, request_hash, code, at)
    return sign_refusal(refusal, keys.key_name, keys.signing_key)
