"""Who may do what: pure predicates over a user's role and municipality."""

from __future__ import annotations

from auction.accounts.models import Role, User
from auction.errors import NotAuthenticated, PermissionDenied


def can_manage_lots_of(user: User, municipality_id: int) -> bool:
    """Admins manage every municipality's lots; an officer only their own municipality's."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.OFFICER and user.municipality_id == municipality_id


def require_lot_manager(user: User | None, municipality_id: int) -> User:
    """The user, if they may create or change lots of this municipality; else a clear refusal."""
    if user is None:
        raise NotAuthenticated("Log in as an officer of the lot's municipality to do this.")
    if not can_manage_lots_of(user, municipality_id):
        if user.role == Role.OFFICER:
            raise PermissionDenied("Officers can only manage lots of their own municipality.")
        raise PermissionDenied(f"A {user.role} account cannot create or change lots; an officer must.")
    return user


def require_role(user: User | None, *roles: Role) -> User:
    if user is None:
        raise NotAuthenticated("Log in to do this.")
    if user.role not in roles:
        names = " or ".join(str(r) for r in roles)
        raise PermissionDenied(f"This needs a {names} account; you are logged in as a {user.role}.")
    return user
