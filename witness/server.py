"""The witness's HTTP face: ``POST /add-checkpoint`` (c2sp.org/tlog-witness) and a plain-text ``GET /``.

A Litestar app run by uvicorn, as the platform's site is. SQLite work runs in a worker thread so that a request
waiting for another's write lock does not stall the event loop.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State

from witness.protocol import TEXT
from witness.service import Witness

# A request is a size line, at most 63 hashes and one checkpoint with its signatures: a few kilobytes at most.
MAX_BODY_BYTES = 64 * 1024


def about_text(witness: Witness, vkey: str) -> str:
    """What the witness says about itself: name, verifier key, and for each log it witnesses what it last cosigned."""
    lines = [f"achyk-witness {witness.cosigner.name}", f"vkey {vkey}"]
    latest = {stored.origin: stored for stored in witness.state.checkpoints()}
    for origin, keys in sorted(witness.logs.items()):
        for key in keys:
            lines.append(f"log {origin} {key.vkey}")
        stored = latest.get(origin)
        seen = f"size {stored.size} at {stored.updated_at}" if stored is not None else "nothing yet"
        lines.append(f"cosigned {origin} {seen}")
    return "\n".join(lines) + "\n"


def create_app(witness: Witness, vkey: str) -> Litestar:
    @post("/add-checkpoint", request_max_body_size=MAX_BODY_BYTES, status_code=200)
    async def add_checkpoint(request: Request[Any, Any, State]) -> Response[str]:
        body = await request.body()
        outcome = await anyio.to_thread.run_sync(witness.add_checkpoint, body)
        # Set as a header so that Litestar adds no charset: c2sp.org/tlog-witness names text/x.tlog.size exactly.
        return Response(outcome.body, status_code=outcome.status, headers={"content-type": outcome.media_type})

    @get("/", media_type=TEXT)
    async def about() -> str:
        return await anyio.to_thread.run_sync(about_text, witness, vkey)

    # logging_config=None: the command line sets up logging (one line per decision on stderr).
    return Litestar(route_handlers=[add_checkpoint, about], openapi_config=None, logging_config=None)
