"""The ``auction`` command: serve the site, migrate the database, seed the demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from auction.settings import Settings, get_settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        result: int = args.run(args, get_settings())
    except KeyboardInterrupt:
        return 130
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auction", description="Achyk: open auctions for municipal property."
    )
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the website and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="app processes (all share one database)")
    serve.set_defaults(run=_serve)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(title="db commands")
    upgrade = db_commands.add_parser("upgrade", help="apply Alembic migrations up to the latest")
    upgrade.add_argument("--revision", default="head")
    upgrade.set_defaults(run=_db_upgrade)

    demo = commands.add_parser("demo", help="seed demo data and print the demo accounts")
    demo.set_defaults(run=_demo)
    return parser


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if args.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    if settings.is_embedded:
        # The first run needs no set-up: the SQLite file is created and migrated here.
        _upgrade(settings, "head")
    elif not _at_head(settings):
        print("The database schema is not up to date: run 'auction db upgrade' first.", file=sys.stderr)
        return 1
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        log_level=settings.log_level.lower(),
    )
    return 0


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
    from auction.db.engine import make_engine, make_sessionmaker
    from auction.demo import seed_demo

    if settings.is_embedded:
        _upgrade(settings, "head")

    async def run() -> list[tuple[str, str, str]]:
        engine = make_engine(settings.resolved_database_url)
        try:
            accounts = await seed_demo(make_sessionmaker(engine), SystemClock().now())
        finally:
            await engine.dispose()
        return [(a.role, a.email, a.password) for a in accounts]

    rows = asyncio.run(run())
    print("Demo data is ready. Demo accounts (for trying the site only):")
    print(f"  {'role':<10} {'e-mail':<32} password")
    for role, email, password in rows:
        print(f"  {role:<10} {email:<32} {password}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
