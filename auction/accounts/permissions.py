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
        raise NotAuthenticated("auth.officer_login_required")
    if not can_manage_lots_of(user, municipality_id):
        if user.role == Role.OFFICER:
            raise PermissionDenied("auth.other_municipality")
        raise PermissionDenied("auth.role_cannot_manage_lots", role=user.role.value)
    return user


def require_role(user: User | None, *roles: Role) -> User:
    if user is None:
        raise NotAuthenticated("auth.login_required")
    if user.role not in roles:
        if roles == (Role.BIDDER,):
            raise PermissionDenied("auth.bidder_required", role=user.role.value)
        names = " or ".join(str(r) for r in roles)
        raise PermissionDenied("auth.role_required", roles=names, role=user.role.value)
    return user
