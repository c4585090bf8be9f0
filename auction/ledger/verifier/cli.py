"""The verifier's command line: ``python -m auction.ledger.verifier BUNDLE [options]``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from auction.ledger.verifier.report import EXIT_OK, EXIT_UNUSABLE, Replay, unusable
from auction.ledger.verifier.verify import verify_bundle


def _read_text(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {what} {path}: {exc}") from None


DESCRIPTION = "Verify an Achyk ledger bundle offline. Exit 0: all holds, 1: tampering found, 2: unusable."


def arguments() -> argparse.ArgumentParser:
    """The verifier's arguments, as a parent parser: the platform's `auction ledger verify` takes the same."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("bundle", help="bundle directory or .zip")
    parser.add_argument("--since", metavar="CHECKPOINT_FILE", help="a signed checkpoint you saved earlier")
    parser.add_argument(
        "--receipt",
        metavar="FILE",
        action="append",
        help="a signed receipt or a .tlog-proof file; give both (twice) to check the proof is of the receipt's entry",
    )
    parser.add_argument("--refusal", metavar="FILE", help="a signed refusal: the log's statement it turned you away")
    parser.add_argument("--key", metavar="VKEY", help="the log's verifier key from an out-of-band source, or a file")
    parser.add_argument("--json", action="store_true", help="print a JSON report")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: up to 2)")
    return parser


def main(argv: Sequence[str] | None = None, *, replay: Replay | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m auction.ledger.verifier", description=DESCRIPTION, parents=[arguments()]
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_OK if exc.code in (0, None) else EXIT_UNUSABLE
    return run(args, replay=replay)


def run(args: argparse.Namespace, *, replay: Replay | None = None) -> int:
    """Verify as parsed by a parser built on `arguments()`, print the report; returns the exit code."""
    try:
        since = _read_text(args.since, "--since") if args.since else None
        receipt = [_read_text(path, "--receipt") for path in args.receipt or []]
        refusal = _read_text(args.refusal, "--refusal") if args.refusal else None
        key = args.key
        if key is not None and "+" not in key:
            key = _read_text(key, "--key").strip()
    except ValueError as exc:
        report = unusable(str(exc))
    else:
        report = verify_bundle(
            args.bundle, since=since, receipt=receipt, key=key, replay=replay, workers=args.workers, refusal=refusal
        )
    print(json.dumps(report.to_json(), indent=2) if args.json else report.text())
    return report.exit_code
