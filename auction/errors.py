"""Domain errors: a stable code and its values, read as English here and translated by the web; HTTP codes live in web/.

The code's English template is in auction/refusals.py; ``message`` (and ``str(error)``) is that template filled in.
"""

from __future__ import annotations

from typing import Self

from auction.refusals import Breach, Param, render


class DomainError(Exception):
    """Base of every refusal the domain makes on purpose."""

    def __init__(self, code: str, /, *, field: str | None = None, **params: Param) -> None:
        self.code = code
        self.params: dict[str, Param] = params
        self.field = field
        self.message = render(code, params)
        self.refusal: str | None = None  # the log's signed refusal, when the caller is owed one
        super().__init__(self.message)

    @classmethod
    def of(cls, problem: Breach) -> Self:
        """The refusal of one problem a pure rule reported."""
        return cls(problem.code, field=problem.field, **problem.params)


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class PermissionDenied(DomainError):
    """The caller may not do this."""


class NotAuthenticated(DomainError):
    """The caller must log in first."""


class InvalidInput(DomainError):
    """The request is well-formed but its values break a rule."""


class TooLarge(DomainError):
    """The input is larger, deeper or longer than the platform takes."""


class Conflict(DomainError):
    """The request clashes with the current state, e.g. an illegal lot transition."""


class TooManyAttempts(DomainError):
    """Throttled: try again later."""

    def __init__(self, code: str, /, *, retry_after: int, **params: Param) -> None:
        super().__init__(code, field=None, **params)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """The platform cannot take this now (e.g. ledger backlog); retry shortly, after `retry_after` seconds if given."""

    def __init__(self, code: str, /, *, retry_after: int | None = None, **params: Param) -> None:
        super().__init__(code, field=None, **params)
        self.retry_after = retry_after
