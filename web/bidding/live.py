"""The live auction panel: the domain's live state as the page shows it, rendered once per change for the SSE stream.

On PostgreSQL the streams learn of changes from the process's hub (web.bidding.live_hub: the database NOTIFYs every
change, so every app process and host shows the same auction with no broker in between); on SQLite they poll. The
fragment pushed is the same template the page includes.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Hashable, Sequence
from dataclasses import replace
from typing import Any

from litestar.response import ServerSentEventMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.bidding.live import LiveAuctions, LiveState
from auction.clock import Clock
from auction.lots.models import LotState
from web.bidding.live_hub import LiveHub

LIVE_TEMPLATE = "lots/partials/live.html.jinja2"
# The states in which the auction can still change; a decided or cancelled lot's page needs no stream.
WATCHED_STATES = frozenset({LotState.PUBLISHED, LotState.BIDDING, LotState.CLOSED})
POLL_SECONDS = 0.5
STATE_EVENT = "state"
# Sent after the last state: the page's sse-close attribute names it, so the browser does not reconnect.
END_EVENT = "end"
# The most lots one shared stream watches: a browser's tabs beyond it fall back to a stream of their own.
MAX_SHARED_LOTS = 20


class LiveView(enum.StrEnum):
    """Which page watches: on a change of state the fragment reloads that page's main region."""

    PUBLIC = "public"
    OFFICER = "officer"

    def page_url(self, lot_id: int) -> str:
        return f"/lots/{lot_id}" if self is LiveView.PUBLIC else f"/officer/lots/{lot_id}/auction"


# The live panel shows the domain's live state as it is; only its formatting is the templates' business.
Live = LiveState


async def load_live(session: AsyncSession, clock: Clock, lot_id: int, viewer: User | None = None) -> Live:
    return await LiveAuctions(session, clock).state(lot_id, viewer=viewer)


def live_context(live: Live, *, view: LiveView, shown: str, viewer_pseudonym: str | None) -> dict[str, Any]:
    """What the fragment needs besides the page's language; ``shown`` is the state the page was rendered in."""
    return {
        "live": live,
        "live_view": view,
        "viewer_pseudonym": viewer_pseudonym,
        # A new state changes what the page offers (forms, results): the fragment then reloads the page's main.
        "reload_url": view.page_url(live.lot_id) if live.state != shown else None,
    }


class FragmentCache:
    """Rendered panels by all that they show (the state, language, page, the state the page shows, the watcher's
    pseudonym): the hub hands one state object to every watcher of a lot, so 1,000 watchers of a change cost one
    rendering per kind of page, not 1,000. Bounded: the least recently used fragments go first."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._fragments: OrderedDict[Hashable, str] = OrderedDict()

    def get(self, key: Hashable, render: Callable[[], str]) -> str:
        fragment = self._fragments.get(key)
        if fragment is not None:
            self._fragments.move_to_end(key)
            return fragment
        fragment = self._fragments[key] = render()
        if len(self._fragments) > self.size:
            self._fragments.popitem(last=False)
        return fragment


# One per process: a fragment depends only on its key and the installed templates.
FRAGMENTS = FragmentCache()


def live_stream_url(lot_id: int, *, view: LiveView, shown: str, language: str) -> str:
    return f"/lots/{lot_id}/live?view={view}&shown={shown}&language={language}"


async def watch(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    lot_ids: Sequence[int],
    viewer: User | None = None,
    hub: LiveHub | None = None,
) -> AsyncIterator[Live]:
    """Each lot's live state at once, then again on every change; a lot that leaves the watched states is given one
    last time and dropped, and the watch ends when no lot is left.

    The one place that learns of changes, the streams below only format what it yields: from the process's hub
    (PostgreSQL's notifications, so every process and host agrees at no cost per watcher), or, with no hub (the
    embedded SQLite site), by polling the database.
    """
    states = _polled(sessions, clock, lot_ids, viewer) if hub is None else _pushed(hub, lot_ids, viewer)
    last: dict[int, Live] = {}
    watched = set(lot_ids)
    # Closed with the watch (a watcher who goes away), not whenever it is collected: it leaves the hub at once.
    async with contextlib.aclosing(states):
        async for live in states:
            before = last.get(live.lot_id)
            if live.lot_id in watched and (before is None or _changed(before, live)):
                last[live.lot_id] = live
                yield live
                if live.state not in WATCHED_STATES:
                    watched.discard(live.lot_id)
                    if not watched:
                        return


async def _polled(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, lot_ids: Sequence[int], viewer: User | None
) -> AsyncGenerator[Live]:
    watched = list(dict.fromkeys(lot_ids))
    while watched:
        async with sessions() as session:
            lives = [await load_live(session, clock, lot_id, viewer) for lot_id in watched]
        for live in lives:
            yield live
        watched = [live.lot_id for live in lives if live.state in WATCHED_STATES]
        if watched:
            await asyncio.sleep(POLL_SECONDS)


async def _pushed(hub: LiveHub, lot_ids: Sequence[int], viewer: User | None) -> AsyncGenerator[Live]:
    async with hub.watching(lot_ids, viewer) as watcher:
        watched = set(watcher.lot_ids)
        while watched:
            for lot_id, live in await watcher.take():
                if lot_id not in watched:
                    # Its states after the one that ended it.
                    continue
                if live is None:
                    # No longer public: nothing more to show of it.
                    watched.discard(lot_id)
                    hub.forget(watcher, lot_id)
                    continue
                yield live
                if live.state not in WATCHED_STATES:
                    watched.discard(lot_id)
                    hub.forget(watcher, lot_id)


async def live_events(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    lot_id: int,
    render: Callable[[Live], str],
    viewer: User | None = None,
    hub: LiveHub | None = None,
) -> AsyncIterator[ServerSentEventMessage]:
    """One rendered fragment per change of the auction (each carrying the server's time), until it is decided.

    The streaming response cancels this generator when the watcher goes away.
    """
    async for live in watch(sessions, clock, [lot_id], viewer, hub):
        yield ServerSentEventMessage(event=STATE_EVENT, data=render(live))
        if live.state not in WATCHED_STATES:
            # EventSource ignores an event without data: say "end" rather than nothing.
            yield ServerSentEventMessage(event=END_EVENT, data=END_EVENT)


async def shared_live_events(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    lot_ids: Sequence[int],
    render: Callable[[Live], str],
    viewer: User | None = None,
    hub: LiveHub | None = None,
) -> AsyncIterator[ServerSentEventMessage]:
    """The stream one browser shares among its tabs (web/static/js/live-tabs.js): the same fragments as
    `live_events`, for several lots, each event a JSON object naming its lot and state, so that every tab takes its
    own lot's and reloads its page itself when the state is no longer the one it shows."""
    async for live in watch(sessions, clock, lot_ids, viewer, hub):
        state = {"lot": live.lot_id, "state": str(live.state), "html": render(live)}
        yield ServerSentEventMessage(event=STATE_EVENT, data=json.dumps(state, separators=(",", ":")))
        if live.state not in WATCHED_STATES:
            yield ServerSentEventMessage(event=END_EVENT, data=json.dumps({"lot": live.lot_id}))


def shared_live_url(*, language: str) -> str:
    """The shared stream's address without its lots: the leading tab adds ``&lot=…`` for each lot its tabs show."""
    return f"/lots/live?language={language}"


def _changed(before: Live, after: Live) -> bool:
    # The server's time moves on every poll; only a change of the auction itself is worth a push.
    return replace(after, server_time=before.server_time) != before
