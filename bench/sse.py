"""Many server-sent-event watchers in one cheap process, and the raw LISTEN/NOTIFY fan-out they are compared with.

    python -m bench.sse watch --host H --port P --path /lots/1/live?... --clients 500
    python -m bench.sse fanout --dsn postgresql://… --channel C --event-bytes 1500

``watch`` holds `--clients` connections (plain asyncio protocols, no HTTP client library: a thousand of them must
cost the machine little), prints ``{"connected": n, "ready": k}`` once every stream has sent its first event (or
after a minute), and records when each client first saw each price (the ``data-leading-price="…"`` of the lot
panel, which the raw fan-out imitates). Given ``{"acks": [[price, monotonic time], …]}`` on stdin it prints what each
client saw of those prices and the delivery latencies (arrival minus acknowledgement; time.monotonic() is the same
clock in every process of the machine) and exits.

``fanout`` is the raw baseline: one process LISTENs on a channel and writes every NOTIFY payload (a price), padded to
the size of the site's events, to every connected client as an SSE event; it prints ``{"port": p}`` and runs until
its stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import sys
import time
from typing import Any

PRICE = re.compile(rb'data-leading-price="(\d+)"')
TAIL = 64  # bytes kept between reads, so a price split across two TCP segments is still found
READY_SECONDS = 60.0
RECONNECT_SECONDS = 3.0
RECONNECTING: set[asyncio.Future[None]] = set()  # the reconnections under way (a task needs a strong reference)


def raise_open_files(wanted: int) -> int:
    """A thousand sockets need more than the usual soft limit of 1024 open files: raise it up to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Watcher(asyncio.Protocol):
    """One SSE client: the raw bytes of its stream are scanned for prices; the first arrival of each is kept."""

    def __init__(self, request: bytes, host: str, port: int) -> None:
        self.request = request
        self.address = (host, port)
        self.seen: dict[int, float] = {}
        self.tail = b""
        self.received = 0
        self.status_ok: bool | None = None
        self.first_event = asyncio.get_running_loop().create_future()
        self.transport: asyncio.BaseTransport | None = None
        self.drops = 0
        self.stopping = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        self.transport = transport
        self.tail = b""
        self.status_ok = None
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.received += len(data)
        if self.status_ok is None:
            self.status_ok = data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200")
        chunk = self.tail + data
        for match in PRICE.finditer(chunk):
            self.seen.setdefault(int(match.group(1)), now)
        if b"event:" in chunk and not self.first_event.done():
            self.first_event.set_result(now)
        self.tail = chunk[-TAIL:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.stopping:
            return
        # A dropped stream is opened again, as a browser's EventSource does (its default retry is about 3 s); the
        # drops are counted, and what was missed meanwhile stays missed.
        self.drops += 1
        asyncio.get_running_loop().call_later(RECONNECT_SECONDS, self.reconnect)

    def reconnect(self) -> None:
        if self.stopping:
            return

        async def again() -> None:
            try:
                await asyncio.get_running_loop().create_connection(lambda: self, *self.address)
            except OSError:
                self.connection_lost(None)

        task = asyncio.ensure_future(again())
        RECONNECTING.add(task)
        task.add_done_callback(RECONNECTING.discard)

    def stop(self) -> None:
        self.stopping = True
        if self.transport is not None:
            self.transport.close()


async def watch(host: str, port: int, path: str, clients: int) -> None:
    raise_open_files(clients + 256)
    loop = asyncio.get_running_loop()
    request = f"GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
    watchers: list[Watcher] = []
    failures: dict[str, int] = {}
    for start in range(0, clients, 50):  # in batches, so the server's accept queue is not flooded
        batch = await asyncio.gather(
            *(
                loop.create_connection(lambda: Watcher(request, host, port), host, port)
                for _ in range(start, min(clients, start + 50))
            ),
            return_exceptions=True,
        )
        for made in batch:
            if isinstance(made, BaseException):
                failures[type(made).__name__] = failures.get(type(made).__name__, 0) + 1
                continue
            watchers.append(made[1])
        await asyncio.sleep(0.05)
    if watchers:
        # asyncio.wait, not wait_for: a stream still silent at the deadline stays open (and is counted as not ready).
        await asyncio.wait([w.first_event for w in watchers], timeout=READY_SECONDS)
    ready = sum(1 for w in watchers if w.first_event.done() and w.first_event.result() is not None)
    cpu_start = time.process_time()
    print(json.dumps({"connected": len(watchers), "ready": ready, "failures": failures}), flush=True)

    line = await asyncio.to_thread(sys.stdin.readline)
    command = json.loads(line) if line.strip() else {"acks": []}
    acks = {int(price): float(at) for price, at in command.get("acks", [])}
    cpu = time.process_time() - cpu_start
    for watcher in watchers:
        watcher.stop()
    print(json.dumps(summarize(watchers, acks, cpu)), flush=True)


def summarize(watchers: list[Watcher], acks: dict[int, float], cpu_seconds: float) -> dict[str, Any]:
    """Per client, how many of the acknowledged prices it saw; over all, the delivery latencies.

    An event that arrived before its acknowledgement (the server pushes at commit, the bidder reads the answer later)
    counts as latency 0."""
    latencies: list[float] = []
    fractions: list[float] = []
    for watcher in watchers:
        seen = 0
        for price, acked in acks.items():
            arrived = watcher.seen.get(price)
            if arrived is not None:
                seen += 1
                latencies.append(max(0.0, arrived - acked))
        fractions.append(seen / len(acks) if acks else float("nan"))
    events = sum(len(w.seen) for w in watchers)
    return {
        "clients": len(watchers),
        "changes": len(acks),
        # Every price any client saw (the acknowledged ones and those before or after the measured stretch).
        "distinct_prices_seen": len({price for w in watchers for price in w.seen}),
        "dropped_streams": sum(w.drops for w in watchers),
        "clients_dropped": sum(1 for w in watchers if w.drops),
        "not_ok": sum(1 for w in watchers if not w.status_ok),
        # With no price change at all there was nothing to see: no client "saw every change".
        "all_seen_clients": sum(1 for f in fractions if f >= 1.0) if acks else 0,
        "seen_fraction_mean": sum(fractions) / len(fractions) if fractions else float("nan"),
        "seen_fraction_min": min(fractions) if fractions else float("nan"),
        "delivered": len(latencies),
        "latency_p50_ms": percentile(latencies, 0.5) * 1000,
        "latency_p99_ms": percentile(latencies, 0.99) * 1000,
        "latency_max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "bytes_per_price": sum(w.received for w in watchers) / events if events else float("nan"),
        "client_cpu_seconds": round(cpu_seconds, 2),
    }


class FanOut:
    """The raw baseline's server: every connected client gets every NOTIFY payload as one SSE event."""

    def __init__(self, event_bytes: int) -> None:
        self.clients: set[asyncio.StreamWriter] = set()
        self.event_bytes = event_bytes

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\r\n")
            writer.write(b'event: state\r\ndata: <div class="live-state"></div>\r\n\r\n')
            self.clients.add(writer)
            await reader.read()  # until the client goes
        self.clients.discard(writer)
        writer.close()

    def event(self, price: str) -> bytes:
        head = f'event: state\r\ndata: <div class="live-state" data-leading-price="{price}">'.encode()
        padding = max(0, self.event_bytes - len(head) - 12)
        return head + b" " * padding + b"</div>\r\n\r\n"

    def notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        data = self.event(payload)
        for writer in list(self.clients):
            writer.write(data)


async def fanout(dsn: str, channel: str, event_bytes: int) -> None:
    import asyncpg

    raise_open_files(4096)
    hub = FanOut(event_bytes)
    server = await asyncio.start_server(hub.serve, "127.0.0.1", 0, backlog=2048)
    port = server.sockets[0].getsockname()[1]
    connection = await asyncpg.connect(dsn)
    await connection.add_listener(channel, hub.notified)
    print(json.dumps({"port": port}), flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the parent closes our stdin
    await connection.close()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sse")
    modes = parser.add_subparsers(dest="mode", required=True)
    watching = modes.add_parser("watch")
    watching.add_argument("--host", default="127.0.0.1")
    watching.add_argument("--port", type=int, required=True)
    watching.add_argument("--path", required=True)
    watching.add_argument("--clients", type=int, required=True)
    fan = modes.add_parser("fanout")
    fan.add_argument("--dsn", required=True)
    fan.add_argument("--channel", required=True)
    fan.add_argument("--event-bytes", type=int, default=1500)
    args = parser.parse_args()
    if args.mode == "watch":
        asyncio.run(watch(args.host, args.port, args.path, args.clients))
    else:
        asyncio.run(fanout(args.dsn, args.channel, args.event_bytes))
    os._exit(0)  # the stdin reader thread may still block: nothing is left to clean up


if __name__ == "__main__":
    main()
