"""Open data in the Open Contracting Data Standard: the change feed, per-lot records, daily bulk files.

Public like the ledger they are read from (no login). The mapping is auction/opendata; docs/ocds.md documents it.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_304_NOT_MODIFIED
from sqlalchemy.ext.asyncio import AsyncSession

from auction.clock import Clock
from auction.errors import InvalidInput, NotFound
from auction.ledger.verifier.canonical import format_time
from auction.opendata.package import PackageMeta, csv_text, json_lines, record_package, release_package
from auction.opendata.service import PAGE_ENTRIES, OpenDataService
from auction.settings import Settings
from web.lib.downloads import CSV
from web.lib.error_schemas import api_errors
from web.lib.fields import QueryNumber
from web.opendata.examples import BULK_LINE_EXAMPLE, EMPTY_FEED_EXAMPLE, FEED_EXAMPLE, RECORD_EXAMPLE

READ = api_errors(404, 422)
BULK_NAME = re.compile(r"releases-([0-9]{4}-[0-9]{2}-[0-9]{2})\.(jsonl|csv)")
JSON_LINES = "application/x-ndjson; charset=utf-8"
# Today's file (and a day whose last entries are not yet signed) grows: a minute old at most. A finished, covered
# day's file is final, its content fixed; a day rather than a year because the municipalities' names in its parties
# are read from their current rows, which an administrator may correct.
GROWING = {"Cache-Control": "public, max-age=60"}
FINAL = {"Cache-Control": "public, max-age=86400"}

POLICY = """Achyk open data: publication policy

What: every change of a lot that the platform's ledger records, as Open Contracting Data Standard 1.1 releases with
the bids extension; compiled records per lot; daily bulk files (JSON Lines and CSV).
Where: GET /api/v1/ocds/releases?since=<ledger size> (change feed), GET /api/v1/ocds/records/<ocid>, and
/opendata/releases-<YYYY-MM-DD>.jsonl and .csv (the releases dated on that UTC day).
When: a release appears as soon as a signed checkpoint covers its ledger entry (normally within a second).
A day's bulk file is complete once the day is over and the ledger's maximum merge delay has passed.
Privacy: bidders appear only under their per-lot pseudonym; no name, personal number, address or bank reference
is ever published. How many applied or bid is published after the close (sealed bids: after the opening); the
bids themselves once the lot is decided.
Licence: the URL in each package's `license` field.
Each release names the ledger entry and signed checkpoint it comes from (`achykLedger`): anyone can check it against
the signed, witnessed log with an inclusion proof (/api/v1/ledger/proof/inclusion).
The mapping field by field: docs/ocds.md in the platform's source.
"""


def provide_open_data(
    db_session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]
) -> OpenDataService:
    delay = timedelta(seconds=settings.ledger_max_merge_delay_seconds)
    return OpenDataService(db_session, settings.ocds_prefix, settings.public_url, delay)


def _meta(settings: Settings) -> PackageMeta:
    base = settings.public_url.rstrip("/")
    return PackageMeta("Achyk", base, settings.ocds_license, f"{base}/opendata/policy")


class OpenDataApi(Controller):
    path = "/"
    tags = ["open data"]  # noqa: RUF012
    dependencies = {"open_data": Provide(provide_open_data, sync_to_thread=False)}  # noqa: RUF012

    @get(
        "/api/v1/ocds/releases",
        summary="OCDS change feed: a release package of every lot change from a ledger size on",
        description=(
            "`since` is a ledger size (0: from the beginning). The package holds the releases of the ledger entries "
            f"with index since ≤ i < next, at most {PAGE_ENTRIES} entries a page, oldest first, as far as a signed "
            "checkpoint covers the ledger; `links.next` asks for the following page (the same `since` as long as "
            "nothing new is covered). Ask again with `next` to follow changes in near real time: no release is "
            "skipped or repeated. A page with no release has `releases: []`. The shape is the OCDS 1.1 release "
            "package schema (standard.open-contracting.org/1.1/en/schema/release_package/) with the bids extension "
            "and our achyk* fields (docs/ocds.md)."
        ),
        responses={
            200: ResponseSpec(
                data_container=dict[str, Any],
                description="An OCDS 1.1 release package (with the bids extension)",
                examples=[
                    Example(summary="A bid raised the current price", value=FEED_EXAMPLE),
                    Example(summary="Nothing new yet: poll again with the same cursor", value=EMPTY_FEED_EXAMPLE),
                ],
            ),
            **READ,
        },
        operation_id="OcdsReleases",
    )
    async def releases(
        self,
        open_data: NamedDependency[OpenDataService],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        since: QueryNumber = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=PAGE_ENTRIES)] = PAGE_ENTRIES,
    ) -> dict[str, Any]:
        page = await open_data.feed(since, limit)
        base = settings.public_url.rstrip("/")
        published = page.releases[-1]["date"] if page.releases else format_time(clock.now())
        package = release_package(
            _meta(settings), f"{base}/api/v1/ocds/releases?since={since}", published, page.releases
        )
        package["links"] = {"next": f"{base}/api/v1/ocds/releases?since={page.next}"}
        return package

    @get(
        "/api/v1/ocds/records/{ocid:str}",
        summary="OCDS record package of one lot: every release and the compiled release",
        description=(
            "`ocid` is the deployment's prefix, `-` and the lot's id. The record holds every release of the lot "
            "(embedded, oldest first, each with its `achykLedger`) and the compiled release: the releases merged by "
            "the OCDS merge rules (ocdsmerge), the lot as it stands now. Releases appear once a signed checkpoint "
            "covers their ledger entry; an unknown ocid, or one with another prefix, is 404 `lot.not_found`. The "
            "shape is the OCDS 1.1 record package schema (standard.open-contracting.org/1.1/en/schema/"
            "record_package/)."
        ),
        responses={
            200: ResponseSpec(
                data_container=dict[str, Any],
                description="An OCDS 1.1 record package (with the bids extension)",
                examples=[
                    Example(summary="A land plot sold, its contract signed and paid (shortened)", value=RECORD_EXAMPLE)
                ],
            ),
            **READ,
        },
        operation_id="OcdsRecord",
    )
    async def record(
        self, ocid: FromPath[str], open_data: NamedDependency[OpenDataService], settings: NamedDependency[Settings]
    ) -> dict[str, Any]:
        prefix = f"{settings.ocds_prefix}-"
        tail = ocid.removeprefix(prefix)
        if not ocid.startswith(prefix) or not (tail.isascii() and tail.isdigit()) or len(tail) > 18:
            raise NotFound("lot.not_found", field="ocid", lot_id=tail)
        releases = await open_data.lot_releases(int(tail))
        if not releases:
            raise NotFound("lot.not_found", field="ocid", lot_id=int(tail))
        base = settings.public_url.rstrip("/")
        return record_package(_meta(settings), f"{base}/api/v1/ocds/records/{ocid}", releases[-1]["date"], releases)

    @get(
        "/opendata/policy",
        summary="The open data publication policy",
        description=(
            "Plain text, the page every package's `publicationPolicy` names: what is published, where, when, what "
            "is never published, the licence, and how to check a release against the signed ledger."
        ),
        media_type=MediaType.TEXT,
        responses={
            200: ResponseSpec(
                data_container=str,
                media_type=MediaType.TEXT,
                description="The policy, in English",
                examples=[Example(summary="The policy's opening lines", value=POLICY[: POLICY.index("\nWhere:")])],
            )
        },
        operation_id="OcdsPolicy",
    )
    async def policy(self) -> str:
        return POLICY

    @get(
        "/opendata/{name:str}",
        summary="Bulk files: the OCDS releases dated on one UTC day, as releases-YYYY-MM-DD.jsonl or .csv",
        description=(
            "`releases-<day>.jsonl`: one release per line (JSON Lines). `releases-<day>.csv`: the same releases "
            "flattened to one sheet, a row per release and a column per field path (`tender/value/amount`, "
            "`awards/0/id`). A day's file is complete once the day (UTC) is over and the ledger's maximum merge "
            "delay has passed, no change admitted that day waits for the ledger and a signed checkpoint covers the "
            "day's last entry: it is then served with `Cache-Control: public, max-age=86400` and an `ETag` "
            "(`If-None-Match` answers 304); today's file grows and is served with `max-age=60`. A day without "
            "changes is an empty file. A name of another shape is 404 `opendata.file_not_found`, a day that does "
            "not exist 422 `opendata.day_malformed`."
        ),
        media_type=JSON_LINES,
        responses={
            200: ResponseSpec(
                data_container=str,
                media_type=JSON_LINES,
                description="releases-<day>.jsonl: one OCDS release a line (.csv: text/csv, a row a release)",
                examples=[
                    Example(summary="One line of releases-2026-11-19.jsonl (shortened)", value=BULK_LINE_EXAMPLE)
                ],
            ),
            **READ,
        },
        operation_id="OcdsBulkFile",
    )
    async def bulk_file(
        self,
        request: Request[Any, Any, Any],
        name: FromPath[str],
        open_data: NamedDependency[OpenDataService],
        clock: NamedDependency[Clock],
    ) -> Response[str]:
        found = BULK_NAME.fullmatch(name)
        if found is None:
            raise NotFound("opendata.file_not_found", field="name", name=name[:80])
        day, suffix = found.group(1), found.group(2)
        file = await open_data.day_file(_day(day), clock.now())
        releases = file.releases
        body, media = ("".join(json_lines(releases)), JSON_LINES) if suffix == "jsonl" else (csv_text(releases), CSV)
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if not file.final:
            return Response(body, media_type=media, headers=headers | GROWING)
        # A finished day's file no longer changes: caches keep it, and revalidate by its hash once it has aged.
        tag = f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
        headers |= FINAL | {"ETag": tag}
        if tag in {part.strip() for part in request.headers.get("if-none-match", "").split(",")}:
            return Response("", status_code=HTTP_304_NOT_MODIFIED, media_type=media, headers=headers)
        return Response(body, media_type=media, headers=headers)


def _day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar day, no moment
    except ValueError:
        raise InvalidInput("opendata.day_malformed", field="day", day=text[:40]) from None
