"""The inspector's full check under its former name: ``python -m auction.ledger.inspect BUNDLE [options]``.

Same as ``python -m auction.ledger.verifier``: the offline verifier (canonical entries, hash chains, Merkle
tree, signed checkpoints, keys, receipts) and then the auction replay (every lot's chain against the rules of
docs/ledger-entries.md, every award re-derived from the bids). A replay finding is reported as
``FAIL at index N: replay: reason``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from auction.ledger.verifier.cli import main as verify_main
from auction.ledger.verifier.replay import replay


def main(argv: Sequence[str] | None = None) -> int:
    """Verify the bundle and replay its auctions; returns the exit code (0 ok, 1 tampering, 2 unusable)."""
    return verify_main(argv, replay=replay)


if __name__ == "__main__":
    sys.exit(main())
