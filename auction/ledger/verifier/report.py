"""What the verifier concludes: a `Report` with its exit code, and the `Failure` that stopped it.

Exit codes: 0 everything holds (a receipt integrated late but covered by a recorded `ledger.incident` adds a
WARNING line, not a failure), 1 tampering found ("FAIL at index N: reason"), 2 unusable input, and for the
command line only 3: every check held but nothing pinned the log (no trust policy, no key), so the bundle is only
consistent with itself. A check that fails raises `Stop`, which carries the failure up to `verify_bundle`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from auction.ledger.verifier.entry import Leaf
from auction.ledger.verifier.witnessing import Witnessing

EXIT_OK = 0
EXIT_TAMPERED = 1
EXIT_UNUSABLE = 2
EXIT_UNTRUSTED = 3

NOT_TRUSTED = (
    "NOT TRUSTED: no trust policy given — this bundle is only consistent with itself; get the log key and the "
    "witnesses' keys from their owners and pass --policy FILE"
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem the auction replay found, at a global leaf index."""

    index: int
    reason: str


Replay = Callable[[Iterable[Leaf], Witnessing | None], list[Finding]]
"""Extension point: replays the auction state machine over every leaf, in index order, judging time by the witnesses
when the inspector's trust policy names a quorum (None: unwitnessed, the bodies' `at` alone)."""


@dataclass(frozen=True, slots=True)
class Failure:
    """Where and why verification stopped."""

    # "index", "checkpoint", "keys", "policy", "since", "state", "checkpoint file", "receipt", "refusal" or "input"
    where: str
    reason: str
    index: int | None = None
    checkpoint: int | None = None

    def describe(self) -> str:
        """One human-readable line."""
        if self.where == "index":
            return f"FAIL at index {self.index}: {self.reason}"
        if self.where == "checkpoint":
            return f"FAIL at checkpoint {self.checkpoint}: {self.reason}"
        if self.where == "input":
            return f"ERROR (unusable input): {self.reason}"
        return f"FAIL in {self.where}: {self.reason}"


@dataclass(slots=True)
class Report:
    """The verifier's outcome."""

    exit_code: int
    origin: str | None = None
    entries: int = 0
    checkpoints: int = 0
    root: bytes | None = None
    failure: Failure | None = None
    notes: list[str] = field(default_factory=list)
    # True when every check held against keys the inspector brought (--policy, --key), not only the bundle's own.
    trusted: bool = False
    # The newest checkpoint note verified (cosignatures included): what --state remembers after a trusted pass.
    newest_note: str | None = None
    # What was verified, when not a bundle (--checkpoint alone): replaces "N entries and K checkpoints of ORIGIN".
    subject: str | None = None
    # Broken promises the log itself records and explains (a late integration covered by a ledger.incident): not
    # tampering, so the exit code stays 0, but printed as WARNING lines for the inspector to weigh.
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check held (trusted or not: see `trusted`)."""
        return self.exit_code == EXIT_OK

    @property
    def command_exit_code(self) -> int:
        """The command line's exit code: `exit_code`, except 3 when every check held but nothing was pinned."""
        return EXIT_UNTRUSTED if self.ok and not self.trusted else self.exit_code

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        failure = None
        if self.failure is not None:
            failure = {
                "where": self.failure.where,
                "index": self.failure.index,
                "checkpoint": self.failure.checkpoint,
                "reason": self.failure.reason,
            }
        return {
            "ok": self.ok,
            "trusted": self.trusted,
            "exit_code": self.exit_code,
            "origin": self.origin,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "root": None if self.root is None else self.root.hex(),
            "failure": failure,
            "notes": self.notes,
            "warnings": self.warnings,
        }

    def text(self) -> str:
        """Human-readable lines."""
        root = "-" if self.root is None else self.root.hex()
        summary = self.subject or f"{self.entries} entries and {self.checkpoints} checkpoints of {self.origin}"
        if self.failure is not None:
            lines = [self.failure.describe()]
        elif not self.trusted:
            lines = [NOT_TRUSTED, f"  consistent with itself: {summary}; root {root}"]
        else:
            lines = [f"OK: {summary} verified; root {root}"]
        return "\n".join(lines + [f"WARNING: {warning}" for warning in self.warnings] + [f"  {n}" for n in self.notes])


class Stop(Exception):
    """Verification stops here; `failure` says where and why."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


def fail_index(index: int, reason: str) -> Stop:
    """Stop at an entry: "FAIL at index N: reason"."""
    return Stop(Failure("index", reason, index=index))


def fail_checkpoint(number: int, reason: str) -> Stop:
    """Stop at the N-th note of checkpoints.txt (from 0): "FAIL at checkpoint N: reason"."""
    return Stop(Failure("checkpoint", reason, checkpoint=number))


def unusable(reason: str, origin: str | None = None) -> Report:
    """The report for input that cannot be verified at all (exit 2)."""
    return Report(EXIT_UNUSABLE, origin=origin, failure=Failure("input", reason))
