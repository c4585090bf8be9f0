"""The ``auction`` command: serve the site, migrate the database, seed the demo, set up municipalities."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from auction.keyring.rules import KeysRefused
from auction.ledger.verifier import cli as verifier_cli
from auction.settings import Settings, SharedSecretsMissing, get_settings

# The verifier owns its options (auction.ledger.verifier): everything after these words is handed to it as given,
# before any setting is read, so an inspector can run it on any copy of the code without the platform's keys.
LEDGER_VERIFY = ("ledger", "verify")
# The witness program is independent of the platform (witness/): 'auction witness ...' is 'achyk-witness ...'.
WITNESS = "witness"


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if tuple(words[:2]) == LEDGER_VERIFY:
        # Not through argparse's REMAINDER, which refuses an option placed before the bundle.
        return _ledger_verify(words[2:])
    if words[:1] == [WITNESS]:
        from witness.cli import main as witness_main

        return witness_main(words[1:])
    parser = _parser()
    args = parser.parse_args(words)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        result: int = args.run(args, get_settings())
    except (SharedSecretsMissing, KeysRefused) as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auction", description="Achyk: open auctions for municipal property.")
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the website and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="the TCP port (default 8000; make run: PORT=8001)")
    serve.add_argument("--workers", type=int, default=1, help="app processes (all share one database)")
    serve.set_defaults(run=_serve)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(title="db commands")
    upgrade = db_commands.add_parser("upgrade", help="apply Alembic migrations up to the latest")
    upgrade.add_argument("--revision", default="head")
    upgrade.set_defaults(run=_db_upgrade)

    demo = commands.add_parser("demo", help="seed demo data and print the demo accounts")
    demo.set_defaults(run=_demo)

    ledger = commands.add_parser("ledger", help="the audit ledger")
    ledger_commands = ledger.add_subparsers(title="ledger commands")
    export = ledger_commands.add_parser("export", help="write the self-contained bundle an inspector verifies")
    export.add_argument("out", help="a new directory, or a file name ending in .zip")
    export.set_defaults(run=_ledger_export)
    # Listed for the help only: main() hands 'ledger verify ...' to the verifier before parsing.
    ledger_commands.add_parser(
        "verify",
        help=(
            "verify a bundle (or a cosigned checkpoint) offline against your --policy and replay every auction "
            "(python -m auction.ledger.verifier); exit 3 without a policy: NOT TRUSTED"
        ),
        description=verifier_cli.DESCRIPTION,
        parents=[verifier_cli.arguments()],
    )
    rotate = ledger_commands.add_parser("rotate-key", help="record a new signing key, then switch to it")
    rotate.add_argument("--new-seed", default="", help="base64 of the new 32-byte Ed25519 seed (default: generate)")
    rotate.set_defaults(run=_ledger_rotate)
    integrate = ledger_commands.add_parser("integrate", help="integrate every pending entry now and exit")
    integrate.set_defaults(run=_ledger_integrate)

    # Listed for the help and the README's check only: main() hands 'witness ...' to achyk-witness before parsing.
    witness = commands.add_parser(
        WITNESS, help="run an independent witness or monitor a site (the achyk-witness command)", add_help=False
    )
    witness.add_argument("arguments", nargs=argparse.REMAINDER, help="achyk-witness's command and options")
    witness.set_defaults(run=_witness)
    vkey = ledger_commands.add_parser("vkey", help="print the log's current verifier key")
    vkey.set_defaults(run=_ledger_vkey)
    policy = ledger_commands.add_parser(
        "policy", help="print the platform's trust policy (as GET /api/v1/ledger/policy): log keys, witnesses, quorum"
    )
    policy.set_defaults(run=_ledger_policy)

    keys = commands.add_parser("keys", help="the deployment's shared keys")
    keys_commands = keys.add_subparsers(title="keys commands")
    renew = keys_commands.add_parser(
        "renew-session-secret",
        help="make this ACHYK_SECRET_KEY the deployment's (keys in the database: a new one); ends every session",
    )
    renew.set_defaults(run=_keys_renew_session_secret)

    from web.admin.cli import add_commands as add_admin_commands

    add_admin_commands(commands, lambda settings: _upgrade(settings, "head"))
    from web.redflags.inspection_cli import add_commands as add_inspection_commands

    add_inspection_commands(commands, lambda settings: _upgrade(settings, "head"))
    return parser


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from web.lib import serving

    if args.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    # Before anything else: a port another program holds would otherwise surface as a traceback after set-up.
    taken = port_in_use(args.host, args.port)
    if taken is not None:
        print(port_taken_message(args.host, args.port, taken), file=sys.stderr)
        return 2
    if not settings.key_encryption_key:
        # Before the workers start: each then reads the secrets made here instead of racing to make its own.
        settings.prepare_secrets()
    if settings.is_embedded:
        # The first run needs no set-up: the SQLite file is created and migrated here.
        _upgrade(settings, "head")
    elif not _at_head(settings):
        print("The database schema is not up to date: run 'auction db upgrade' first.", file=sys.stderr)
        return 1
    # Keys kept in the database need its schema; configured ones win over them.
    settings.prepare_secrets()
    from web.keyring.startup import refuse_before_serving

    # Raises KeysRefused (exit 2) for a host whose keys are not the deployment's: it never starts serving.
    refuse_before_serving(settings)
    print(f"Achyk is serving at http://{_url_host(args.host)}:{args.port}/ (API schema at /schema). Ctrl+C stops it.")
    serving.run(
        serving.server_config(
            args.host,
            args.port,
            workers=args.workers,
            trusted_proxies=[str(network) for network in settings.trusted_proxy_networks()],
            log_level=settings.log_level.lower(),
        )
    )
    return 0


def port_in_use(host: str, port: int) -> OSError | None:
    """Why ``host:port`` cannot be listened on (another program holds it, or it is not ours to take), or None.

    Bound without SO_REUSEPORT, then released: it fails on a port any program (a running Achyk too) holds, and
    the workers take it a moment later (web.lib.serving).
    """
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        return exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return exc
    return None


def port_taken_message(host: str, port: int, reason: OSError) -> str:
    """What to tell someone whose port is taken: which one, and the two ways to choose another."""
    import errno

    why = "is already in use by another program" if reason.errno == errno.EADDRINUSE else f"cannot be used ({reason})"
    other = port + 1 if port < 65535 else 8001
    return (
        f"Port {port} on {host} {why}; Achyk is not serving.\n"
        f"Choose another port: 'auction serve --port {other}', or with make: 'PORT={other} make run' "
        f"(HOST chooses the address the same way)."
    )


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    _upgrade(settings, args.revision)
    print(f"Database at {args.revision}.")
    return 0


def _upgrade(settings: Settings, revision: str) -> None:
    from auction.db.migrate import upgrade

    upgrade(settings.resolved_database_url, revision)


def _at_head(settings: Settings) -> bool:
    from auction.db.migrate import current_heads, current_revision

    return asyncio.run(current_revision(settings.resolved_database_url)) in current_heads()


def _demo(_: argparse.Namespace, settings: Settings) -> int:
    from auction.clock import SystemClock
    from auction.db.engine import opened
    from auction.demo import red_flag_lots, seed_demo, showcase_lots
    from auction.redflags.linking import demo_inspection_key

    if settings.is_embedded:
        _upgrade(settings, "head")

    async def run() -> tuple[list[tuple[str, str, str]], list[tuple[str, int]], list[tuple[str, int]]]:
        async with opened(settings.resolved_database_url) as sessions:
            accounts = await seed_demo(sessions, SystemClock().now(), settings.ledger_keys())
            showcase = await showcase_lots(sessions)
            flagged = await red_flag_lots(sessions)
        rows: list[tuple[str, str, str]] = [(a.role, a.email, a.password) for a in accounts]
        return rows, [(deal.value, lot) for deal, lot in showcase], flagged

    rows, showcase, flagged = asyncio.run(run())
    print("Demo data is ready. Demo accounts (for trying the site only):")
    print(f"  {'role':<10} {'e-mail':<32} password")
    for role, email, password in rows:
        print(f"  {role:<10} {email:<32} {password}")
    print(f"Demo inspection key (DEMO ONLY, public; paste it on /inspection as inspector@…): {demo_inspection_key()}")
    print("Sealed-bid commissions: officer@<municipality> and commission@<municipality>; the demo's own sealed lots")
    print("were keyed by software members, so only new lots' ceremonies can be tried on the commission pages.")
    # The lots to follow from publication to the first payment: the protocol, contract and refunds are on each page.
    for deal, lot_id in showcase:
        print(
            f"Tokmok's {deal} from publication to the first payment: /lots/{lot_id} (protocol: /lots/{lot_id}/protocol)"
        )
    # Batken's lots whose ledger shows the patterns red flags point at (the repeat: won by a bidder of its first try).
    lots = ", ".join(f"{pattern} /lots/{lot}" for pattern, lot in flagged)
    print(f"Batken's red flags: /red-flags/batken (the lots: {lots}; the links across lots: /inspection)")
    return 0


def _ledger_export(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from auction.db.engine import opened
    from auction.ledger.queries import LedgerReader

    out = Path(args.out)
    if out.exists() and (out.is_file() or any(out.iterdir())):
        print(f"{out} already exists and is not empty; choose a new name.", file=sys.stderr)
        return 2

    async def run() -> int:
        async with opened(settings.resolved_database_url) as sessions, sessions() as session:
            return await LedgerReader(session, settings.ledger_keys()).export(out)

    count = asyncio.run(run())
    print(f"Wrote {count} entries to {out}. Verify with: auction ledger verify {out}")
    return 0


def _witness(args: argparse.Namespace, settings: Settings) -> int:
    from witness.cli import main as witness_main

    return witness_main(args.arguments)


def _ledger_verify(words: list[str]) -> int:
    from auction.ledger.verifier.replay import replay

    return verifier_cli.main(words, replay=replay)


def _ledger_rotate(args: argparse.Namespace, settings: Settings) -> int:
    """Record the rotation; with generated keys, also install the new seed where the next start finds it."""
    import time

    from auction.clock import SystemClock
    from auction.db.engine import opened, transaction
    from auction.kept_secret import replace_secret
    from auction.keyring.rules import SIGNING_KEY, decode_key_encryption_key
    from auction.keyring.service import replace_sealed
    from auction.ledger.admission import LedgerWriter
    from auction.ledger.keys import decode_seed, load_keys, new_seed
    from auction.ledger.rotation import record_rotation

    seed = args.new_seed or new_seed()
    try:
        decode_seed(seed, "--new-seed")
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    current = settings.ledger_keys()
    new_keys = load_keys(
        origin=current.origin,
        key_name=current.key_name,
        signing_seed=seed,
        pseudonym_seed=settings.ledger_pseudonym_key,
        data_dir=settings.data_dir,
    )

    in_database = SIGNING_KEY in settings.keys_from_database

    async def run() -> None:
        async with opened(settings.resolved_database_url) as sessions, transaction(sessions) as session:
            await record_rotation(LedgerWriter(session, current, SystemClock()), "admin:cli", new_keys)
            if in_database:
                # In the same transaction: the ledger never announces a key the hosts cannot read, nor the reverse.
                kek = decode_key_encryption_key(settings.key_encryption_key)
                await replace_sealed(session, kek, SIGNING_KEY, seed, SystemClock().now())

    asyncio.run(run())
    if in_database:
        print("Rotation recorded and the new key sealed in the database; restart every process to sign with it.")
    elif settings.ledger_signing_key:
        print("Rotation recorded. Now set ACHYK_LEDGER_SIGNING_KEY to the new seed and restart every process.")
    else:
        kept = settings.data_dir / "ledger_signing_key"
        replace_secret(kept, seed, retired=kept.with_name(f"ledger_signing_key.retired-{int(time.time())}"))
        print(f"Rotation recorded and the new key kept in {kept}; restart the site to sign with it.")
    return 0


def _keys_renew_session_secret(_: argparse.Namespace, settings: Settings) -> int:
    """The start-up check holds hosts to the session secret first published: this is how it changes on purpose."""
    from auction.clock import SystemClock
    from auction.db.engine import opened, transaction
    from auction.keyring.rules import SESSION_SECRET, decode_key_encryption_key
    from auction.keyring.service import new_session_secret, renew_session_secret

    secret = settings.resolved_secret_key()
    in_database = SESSION_SECRET in settings.keys_from_database
    kek = decode_key_encryption_key(settings.key_encryption_key) if in_database else None
    if in_database:
        secret = new_session_secret()

    async def run() -> None:
        async with opened(settings.resolved_database_url) as sessions, transaction(sessions) as session:
            await renew_session_secret(session, secret, kek, SystemClock().now())

    asyncio.run(run())
    where = "sealed in the database" if in_database else "ACHYK_SECRET_KEY as configured here"
    print(f"The deployment's session secret is now {where}; restart every host with it (every session ends).")
    return 0


def _ledger_integrate(_: argparse.Namespace, settings: Settings) -> int:
    from auction.clock import SystemClock
    from auction.db.engine import opened
    from web.lib.jobs import make_integrator

    async def run() -> int:
        async with opened(settings.resolved_database_url) as sessions:
            return await make_integrator(sessions, settings, SystemClock(), settings.ledger_keys()).integrate_all()

    print(f"Integrated {asyncio.run(run())} entries.")
    return 0


def _ledger_vkey(_: argparse.Namespace, settings: Settings) -> int:
    from auction.ledger.rotation import vkey_of

    print(vkey_of(settings.ledger_keys()))
    return 0


def _ledger_policy(_: argparse.Namespace, settings: Settings) -> int:
    from auction.db.engine import opened
    from auction.ledger.queries import LedgerReader
    from auction.ledger.witness_config import witness_config
    from auction.ledger.witness_policy import policy_text

    try:
        config = witness_config(settings)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2

    async def run() -> str:
        async with opened(settings.resolved_database_url) as sessions, sessions() as session:
            return policy_text(await LedgerReader(session, settings.ledger_keys(), config).trust_policy())

    print(asyncio.run(run()), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
