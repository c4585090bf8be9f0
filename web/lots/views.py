"""What the pages show of a lot besides its terms: the history of its published versions."""

from __future__ import annotations

from auction.lots.models import LotVersion
from auction.lots.rules import changed_terms


def version_history(versions: list[LotVersion]) -> list[tuple[LotVersion, list[str]]]:
    """Each published version with the names of the terms it changed from the one before."""
    history: list[tuple[LotVersion, list[str]]] = []
    previous: LotVersion | None = None
    for version in versions:
        changed = sorted(changed_terms(previous.terms, version.terms)) if previous else []
        history.append((version, changed))
        previous = version
    return history
