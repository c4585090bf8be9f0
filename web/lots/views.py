"""What the pages show of a lot besides its terms: the history of its published versions, and its files."""

from __future__ import annotations

from litestar import Response

from auction.lots.models import FileKind, LotFile, LotVersion
from auction.lots.rules import changed_terms
from web.lib.downloads import content_disposition, download_name


def file_response(stored: LotFile) -> Response[bytes]:
    """A lot's file as its own type, under its own name: photos shown in place, documents saved."""
    disposition = "inline" if stored.kind == FileKind.PHOTO else "attachment"
    name = download_name(stored.filename, stored.content_type, fallback=f"lot-{stored.lot_id}-{stored.id}")
    return Response(
        stored.content,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": content_disposition(disposition, name),
            "X-Content-SHA256": stored.sha256,
            "X-Content-Type-Options": "nosniff",
        },
    )


def version_history(versions: list[LotVersion]) -> list[tuple[LotVersion, list[str]]]:
    """Each published version with the names of the terms it changed from the one before."""
    history: list[tuple[LotVersion, list[str]]] = []
    previous: LotVersion | None = None
    for version in versions:
        changed = sorted(changed_terms(previous.terms, version.terms)) if previous else []
        history.append((version, changed))
        previous = version
    return history
