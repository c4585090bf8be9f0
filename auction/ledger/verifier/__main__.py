"""``python -m auction.ledger.verifier BUNDLE``: verify the bundle, then replay every auction in it."""

from __future__ import annotations

import sys

from auction.ledger.verifier.cli import main
from auction.ledger.verifier.replay import replay

if __name__ == "__main__":
    # Run as a program, the verifier also replays every auction: an inspector's one command checks all.
    sys.exit(main(replay=replay))
