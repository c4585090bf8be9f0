"""The verifier's command line: ``python -m auction.ledger.verifier BUNDLE [options]``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from auction.ledger.verifier.limits import MAX_INPUT_FILE_BYTES, InputTooLarge, read_capped
from auction.ledger.verifier.note import NoteError
from auction.ledger.verifier.report import EXIT_OK, EXIT_UNUSABLE, Replay, Report, unusable
from auction.ledger.verifier.verify import verify_bundle, verify_checkpoint
from auction.ledger.verifier.witnessing import TrustPolicy, parse_policy


def _read_text(path: str, what: str) -> str:
    """A file the inspector gave, as UTF-8 text, read with a ceiling: a device or a FIFO cannot exhaust memory."""
    try:
        data = read_capped(path, MAX_INPUT_FILE_BYTES, f"{what} {path}")
    except InputTooLarge as exc:
        raise ValueError(str(exc)) from None
    except OSError as exc:
        raise ValueError(f"cannot read {what} {path}: {exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} {path} is not UTF-8 text: {exc}") from None


DESCRIPTION = (
    "Verify an Achyk ledger bundle (or a checkpoint) offline against your trust policy. Exit 0: all holds and is "
    "trusted; 1: tampering found; 2: unusable input; 3: every check held, but no --policy (or --key) pinned the "
    "log, so the bundle is only consistent with itself."
)


def arguments() -> argparse.ArgumentParser:
    """The verifier's arguments, as a parent parser: the platform's `auction ledger verify` takes the same."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("bundle", nargs="?", help="bundle directory or .zip (optional with --checkpoint)")
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="your achyk-trust-policy/v1 file: the log keys you pin, the witnesses, their quorum and grace",
    )
    parser.add_argument(
        "--state",
        metavar="DIR",
        help="remember the newest verified checkpoint per origin here; later bundles must extend it",
    )
    parser.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="a cosigned checkpoint, a .tlog-proof or a tlog-witness add-checkpoint body to verify against the policy",
    )
    parser.add_argument("--since", metavar="CHECKPOINT_FILE", help="a signed checkpoint you saved earlier")
    parser.add_argument(
        "--receipt",
        metavar="FILE",
        action="append",
        help="a signed receipt or a .tlog-proof file; give both (twice) to check the proof is of the receipt's entry",
    )
    parser.add_argument("--refusal", metavar="FILE", help="a signed refusal: the log's statement it turned you away")
    parser.add_argument(
        "--key", metavar="VKEY", help="the log's verifier key from an out-of-band source, or a file (unwitnessed)"
    )
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


def command() -> None:
    """The `achyk-verify` console script: verify, then replay every auction, as `python -m auction.ledger.verifier`."""
    from auction.ledger.verifier.replay import replay

    raise SystemExit(main(replay=replay))


def run(args: argparse.Namespace, *, replay: Replay | None = None) -> int:
    """Verify as parsed by a parser built on `arguments()`, print the report; returns the exit code."""
    report = _report(args, replay)
    code = report.command_exit_code
    if args.json:
        # The command's own exit code, so a script reading the JSON sees what the shell sees.
        print(json.dumps({**report.to_json(), "exit_code": code}, indent=2))
    else:
        print(report.text())
    return code


def _report(args: argparse.Namespace, replay: Replay | None) -> Report:
    try:
        since = _read_text(args.since, "--since") if args.since else None
        receipt = [_read_text(path, "--receipt") for path in args.receipt or []]
        refusal = _read_text(args.refusal, "--refusal") if args.refusal else None
        checkpoint = _read_text(args.checkpoint, "--checkpoint") if args.checkpoint else None
        policy = _read_policy(args.policy) if args.policy else None
        key = args.key
        if key is not None and "+" not in key:
            key = _read_text(key, "--key").strip()
    except ValueError as exc:
        return unusable(str(exc))
    if args.bundle is None:
        if checkpoint is None:
            return unusable("give a BUNDLE to verify, or --checkpoint FILE")
        if since or receipt or refusal:
            return unusable("--since, --receipt and --refusal need a BUNDLE")
        return verify_checkpoint(checkpoint, policy=policy, key=key, state=args.state)
    return verify_bundle(
        args.bundle,
        since=since,
        receipt=receipt,
        key=key,
        replay=replay,
        workers=args.workers,
        refusal=refusal,
        policy=policy,
        state=args.state,
        checkpoint=checkpoint,
    )


def _read_policy(path: str) -> TrustPolicy:
    try:
        return parse_policy(_read_text(path, "--policy"))
    except NoteError as exc:
        raise ValueError(f"--policy {path}: {exc}") from None
