"""What the administrator's pages and the log share: the service over the request's session, the acting
administrator, and the units as a tree."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from auction.admin.service import Actor, AdminService
from auction.clock import Clock
from auction.ledger.admission import LedgerWriter
from auction.municipalities.models import Municipality
from web.lib.visitor import Visitor

LOG_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class TreeRow:
    """A unit in the tree, with how deep it sits (0: at the top)."""

    unit: Municipality
    depth: int


def provide_admin_service(
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    ledger_writer: NamedDependency[LedgerWriter],
) -> AdminService:
    return AdminService(db_session, clock, ledger_writer)


def provide_actor(visitor: NamedDependency[Visitor]) -> Actor:
    """The logged-in administrator (the guard has already turned everyone else away)."""
    return Actor.admin(visitor.user)


def unit_tree(units: list[Municipality]) -> list[TreeRow]:
    """Every unit under its parent, depth first; siblings by level then code, so a file's order does not matter."""
    children: dict[int | None, list[Municipality]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    for siblings in children.values():
        siblings.sort(key=lambda u: (u.level != "region", u.level, u.code))
    rows: list[TreeRow] = []
    stack = [(unit, 0) for unit in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        rows.append(TreeRow(unit, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(unit.id, [])))
    return rows
