"""The ``achyk-witness`` command (also ``auction witness``): serve, key, evidence, monitor."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.note import NoteError, VerifierKey, is_valid_key_name, parse_vkey
from auction.ledger.verifier.witnessing import parse_policy

DESCRIPTION = (
    "An independent witness of an Achyk ledger (c2sp.org/tlog-witness): it cosigns a log's checkpoint only if it "
    "extends the last one it cosigned, and stamps the cosignature with its own clock. See docs/witnesses.md."
)
DEFAULT_PORT = 7380


class UsageError(Exception):
    """A bad argument or an unusable directory: printed, exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        result: int = args.run(args)
    except UsageError as exc:
        print(f"achyk-witness: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="achyk-witness", description=DESCRIPTION)
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the witness (creates its key and database on first run)")
    serve.add_argument("--dir", required=True, type=Path, help="the witness's directory: key, vkey, database")
    serve.add_argument("--name", required=True, help="the witness's key name, a schema-less URL (witness.example.kg)")
    serve.add_argument(
        "--log",
        action="append",
        required=True,
        metavar="VKEY",
        help="a log key to trust, for the origin equal to its name; ORIGIN=VKEY for a key named otherwise (repeat)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 picks a free one")
    serve.add_argument("--skew", type=int, default=10, help="refuse checkpoints whose time is further off (seconds)")
    serve.add_argument(
        "--clock-offset",
        type=int,
        default=0,
        metavar="SECONDS",
        help="shift the witness's clock by this many seconds: for drills and tests only, never in service",
    )
    serve.set_defaults(run=_serve)

    key = commands.add_parser("key", help="print the witness's vkey (creating its key if there is none)")
    key.add_argument("--dir", required=True, type=Path)
    key.add_argument("--name", required=True)
    key.set_defaults(run=_key)

    evidence = commands.add_parser("evidence", help="print the refused requests kept as evidence of a fork")
    evidence.add_argument("--dir", required=True, type=Path)
    evidence.set_defaults(run=_evidence)

    monitor = commands.add_parser("monitor", help="watch a site: one growing, witnessed ledger, or ALERT")
    monitor.add_argument("--url", required=True, help="the site, e.g. https://auction.tokmok.kg")
    monitor.add_argument("--policy", required=True, type=Path, help="an achyk-trust-policy/v1 file")
    monitor.add_argument("--state", required=True, type=Path, help="a directory to remember the last checkpoint in")
    monitor.add_argument("--once", action="store_true", help="check once: exit 0 OK, 1 ALERT, 2 unreachable")
    monitor.add_argument("--interval", type=float, default=30.0, help="seconds between checks (default 30)")
    monitor.set_defaults(run=_monitor)
    return parser


def parse_log_options(values: Sequence[str]) -> dict[str, list[VerifierKey]]:
    """``VKEY`` (origin = the key's name) or ``ORIGIN=VKEY``, each to the trusted keys of its origin."""
    logs: defaultdict[str, list[VerifierKey]] = defaultdict(list)
    for value in values:
        # A vkey's name cannot hold "=" followed by a valid vkey, so the first "=" before a "+" splits an origin off.
        origin, separator, vkey = value.partition("=")
        if not separator or "+" in origin:
            origin, vkey = "", value
        try:
            key = parse_vkey(vkey)
        except NoteError as exc:
            raise UsageError(f"--log {value}: not a log vkey ({exc})") from None
        logs[origin or key.name].append(key)
    return dict(logs)


def _directory(path: Path, *, create: bool) -> Path:
    try:
        if create:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise UsageError(f"cannot create --dir {path}: {exc.strerror}") from None
    if not path.is_dir():
        raise UsageError(f"--dir {path} is not a directory")
    return path


def _open_witness_key(directory: Path, name: str) -> tuple[Ed25519PrivateKey, str]:
    from witness.keys import KeyFileError, load_or_create_key, write_vkey

    if not is_valid_key_name(name):
        raise UsageError(f"--name {name!r}: a key name has no spaces and no '+'")
    try:
        key = load_or_create_key(directory)
        return key, write_vkey(directory, name, key)
    except (KeyFileError, OSError) as exc:
        raise UsageError(str(exc)) from None


def _serve(args: argparse.Namespace) -> int:
    import sqlite3

    import uvicorn

    from witness.protocol import Cosigner
    from witness.server import create_app
    from witness.service import Witness, offset_clock
    from witness.state import WitnessState

    logs = parse_log_options(args.log)
    if args.skew < 0:
        raise UsageError("--skew must not be negative")
    directory = _directory(args.dir, create=True)
    key, vkey = _open_witness_key(directory, args.name)
    try:
        state = WitnessState(directory)
    except sqlite3.Error as exc:
        raise UsageError(f"cannot open {directory}/witness.sqlite: {exc}") from None
    witness = Witness(
        cosigner=Cosigner(args.name, key), logs=logs, state=state, clock=offset_clock(args.clock_offset), skew=args.skew
    )
    listener = _listen(args.host, args.port)
    host, port = listener.getsockname()[:2]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    print(f"witness {vkey}", flush=True)
    for origin, keys in sorted(logs.items()):
        for log_key in keys:
            print(f"log {origin} {log_key.vkey}", flush=True)
    print(f"listening on http://{host}:{port}", flush=True)
    config = uvicorn.Config(create_app(witness, vkey), log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[listener])
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """Bind before anything is printed, so a port in use is a clear error and tests can connect at once."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return listener


def _key(args: argparse.Namespace) -> int:
    _, vkey = _open_witness_key(_directory(args.dir, create=True), args.name)
    print(vkey)
    return 0


def _evidence(args: argparse.Namespace) -> int:
    import sqlite3

    from witness.state import DATABASE, WitnessState

    directory = _directory(args.dir, create=False)
    if not (directory / DATABASE).exists():
        raise UsageError(f"{directory} holds no witness database ({DATABASE})")
    try:
        kept = WitnessState(directory).evidence()
    except sqlite3.Error as exc:
        raise UsageError(f"cannot read {directory / DATABASE}: {exc}") from None
    if not kept:
        print("no evidence kept")
    for item in kept:
        when = datetime.fromtimestamp(item.received_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"=== evidence {item.id}: {when} ({item.received_at}) {item.origin}: {item.reason}")
        print(item.request, end="" if item.request.endswith("\n") else "\n")
    return 0


def _monitor(args: argparse.Namespace) -> int:
    from witness.monitor import StateError, run

    try:
        policy = parse_policy(args.policy.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read --policy {args.policy}: {exc.strerror}") from None
    except NoteError as exc:
        raise UsageError(f"--policy {args.policy}: {exc}") from None
    if args.interval <= 0:
        raise UsageError("--interval must be positive")
    if not args.url.startswith(("http://", "https://")):
        raise UsageError("--url must start with http:// or https://")
    state_dir = _directory(args.state, create=True)
    try:
        return run(args.url, policy, state_dir, once=args.once, interval=args.interval)
    except StateError as exc:
        raise UsageError(str(exc)) from None


if __name__ == "__main__":
    sys.exit(main())
