"""One witness: its key, the logs it witnesses, its state and its clock, answering add-checkpoint requests.

The glue between the pure rules (witness.protocol) and the SQLite state (witness.state); the HTTP server and the
tests both call `Witness.add_checkpoint`, from as many threads as they like.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from auction.ledger.verifier.note import VerifierKey
from witness.protocol import Cosigner, MalformedRequest, Outcome, decide, parse_add_checkpoint
from witness.state import WitnessState

DEFAULT_SKEW_SECONDS = 10
log = logging.getLogger("achyk.witness")


def offset_clock(offset_seconds: int = 0) -> Callable[[], int]:
    """The witness's clock in POSIX seconds, shifted by `offset_seconds` (for drills and tests only)."""
    return lambda: int(time.time()) + offset_seconds


@dataclass
class Witness:
    cosigner: Cosigner
    logs: Mapping[str, Sequence[VerifierKey]]
    state: WitnessState
    clock: Callable[[], int]
    skew: int = DEFAULT_SKEW_SECONDS

    def add_checkpoint(self, body: bytes) -> Outcome:
        """Judge one request and, under the same write lock, store the cosigned checkpoint or the evidence."""
        try:
            request = parse_add_checkpoint(body)
        except MalformedRequest as exc:
            outcome = Outcome.refuse(400, f"malformed add-checkpoint request: {exc}")
            log.info("add-checkpoint status=%d reason=%r", outcome.status, outcome.reason)
            return outcome
        origin = request.checkpoint.origin
        with self.state.origin(origin) as slot:
            # Read under the lock: the cosignature's time is when the witness's state took that checkpoint.
            now = self.clock()
            outcome = decide(request, self.logs, slot.latest, now, self.skew, self.cosigner)
            if outcome.evidence:
                slot.keep_evidence(outcome.reason, body.decode("utf-8"), now)
            if outcome.store is not None and outcome.stored_note is not None:
                slot.store(outcome.store, outcome.stored_note, now)
        log.info(
            "add-checkpoint origin=%s old=%d size=%d status=%d reason=%r%s",
            origin,
            request.old_size,
            request.checkpoint.size,
            outcome.status,
            outcome.reason,
            " evidence kept" if outcome.evidence else "",
        )
        return outcome
