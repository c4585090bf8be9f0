"""Domain errors: each says what went wrong in words a person can act on; HTTP codes live in web/."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the domain makes on purpose."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class PermissionDenied(DomainError):
    """The caller may not do this."""


class NotAuthenticated(DomainError):
    """The caller must log in first."""


class InvalidInput(DomainError):
    """The request is well-formed but its values break a rule."""


class Conflict(DomainError):
    """The request clashes with the current state, e.g. an illegal lot transition."""


class TooManyAttempts(DomainError):
    """Throttled: try again later."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """The platform cannot take this now (e.g. ledger backlog); retry shortly."""
