"""The inspector's full check: ``python -m auction.ledger.inspect BUNDLE [options]``.

Runs the offline verifier (``auction.ledger.verify``: canonical entries, hash chains, Merkle tree, signed
checkpoints, keys, receipts) and then the auction replay (``auction.ledger.replay``: every lot's chain against
the rules of docs/ledger-entries.md, every award re-derived from the bids). Same options and exit codes as
the verifier; a replay finding is reported as ``FAIL at index N: replay: reason``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from auction.ledger import verify
from auction.ledger.replay import replay


def main(argv: Sequence[str] | None = None) -> int:
    """Verify the bundle and replay its auctions; returns the exit code (0 ok, 1 tampering, 2 unusable)."""
    return verify.main(argv, replay=replay)


if __name__ == "__main__":
    sys.exit(main())
