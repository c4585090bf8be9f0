"""``auction inspection-key create``: make the inspectors' link key and pin its fingerprint in the ledger.

The key is printed once and kept nowhere on the server: the inspectors hold it (docs/inspection.md). Refusals are a
message on stderr and exit 2, like the rest of the ``auction`` command; nothing is recorded then.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auction.redflags.inspection import InspectionService, Pinned
from auction.redflags.linking import encode_key, new_key
from auction.settings import Settings
from web.admin.cli import command, ledger_writer, run_in_transaction


def add_commands(commands: Any, upgrade: Callable[[Settings], None]) -> None:
    """The ``inspection-key`` command group, added to the ``auction`` parser."""
    group = commands.add_parser("inspection-key", help="the inspectors' key that links bidders across lots")
    group_commands = group.add_subparsers(title="inspection-key commands")
    create = group_commands.add_parser(
        "create", help="make a new inspection key, print it once and pin its fingerprint in the ledger"
    )
    create.add_argument("--rotate", action="store_true", help="replace the key in force (it stops working)")
    create.set_defaults(run=command(_create, upgrade))


def _create(args: argparse.Namespace, settings: Settings) -> int:
    key = new_key()

    async def work(session: AsyncSession) -> Pinned:
        return await InspectionService(session, ledger_writer(session, settings)).pin(key, rotate=args.rotate)

    pinned = run_in_transaction(settings, work)
    replaced = "" if pinned.previous is None else f" It replaces the key {pinned.previous[:12]}…, which stops working."
    print("The inspection key (shown once, kept nowhere on this server):")
    print()
    print(f"  {encode_key(key)}")
    print()
    print(f"Its fingerprint {pinned.fingerprint} is pinned in the ledger (inspection.key).{replaced}")
    print("Hand the key to the inspectors in person or by their own secure channel; they paste it on /inspection")
    print("to link bidders across lots, and every use is recorded in the ledger. Lost, it cannot be recovered:")
    print("create a new one with --rotate. Do not keep a copy on this server or in its configuration.")
    return 0
