"""The verifier's former address, kept for inspectors' scripts: ``python -m auction.ledger.verify BUNDLE``.

The verifier lives in the package `auction.ledger.verifier` (``python -m auction.ledger.verifier BUNDLE``);
this module only re-exports its entry points under the old names.
"""

from __future__ import annotations

import sys

from auction.ledger.verifier.cli import main
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.report import EXIT_OK, EXIT_TAMPERED, EXIT_UNUSABLE, Failure, Finding, Replay, Report
from auction.ledger.verifier.verify import verify_bundle

__all__ = [
    "EXIT_OK",
    "EXIT_TAMPERED",
    "EXIT_UNUSABLE",
    "Failure",
    "Finding",
    "Replay",
    "Report",
    "main",
    "verify_bundle",
]

if __name__ == "__main__":
    sys.exit(main(replay=replay))
