"""How `auction serve` serves (web.serving): Nagle off on accepted connections, the fast parser and loop, and new
connections reaching every worker (each listens on a socket of its own in the port's SO_REUSEPORT group)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import uvicorn
import uvloop

from tests.kit.site import ROOT, STOP_SECONDS, free_port
from web import serving

CLIENTS = 16


def test_accepted_connections_have_nagle_off_and_use_httptools_on_uvloop() -> None:
    port = free_port()
    config = serving.server_config(
        "127.0.0.1",
        port,
        workers=1,
        trusted_proxies=[],
        log_level="warning",
        app="tests.kit.tiny_asgi:tiny_app",
    )
    server = uvicorn.Server(config)

    async def look() -> list[tuple[str, int]]:
        serving_task = asyncio.create_task(server.serve(sockets=[serving.listener("127.0.0.1", port)]))
        while not server.started:  # noqa: ASYNC110 -- uvicorn exposes a flag, not an event
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        await reader.readuntil(b"ok")
        # The server's side of the connection, still open (keep-alive): what the server set on it.
        seen = [
            (
                type(protocol).__name__,
                protocol.transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
            )
            for protocol in server.server_state.connections
        ]
        writer.close()
        server.should_exit = True
        await serving_task
        return seen

    seen = uvloop.run(look())

    [(protocol, nodelay)] = seen
    assert protocol == "HttpToolsProtocol"
    assert nodelay != 0, "Nagle's algorithm is on for a served connection: each small write waits for an ACK"


def test_connections_from_several_clients_reach_both_workers(tmp_path: Path) -> None:
    # web.serving.run as `auction serve --workers 2` calls it, over the tiny app: the site's start-up is not the point.
    port = free_port()
    program = (
        f"from web import serving; serving.run(serving.server_config('127.0.0.1', {port}, workers=2, "
        "trusted_proxies=[], log_level='warning', app='tests.kit.tiny_asgi:tiny_app'))"
    )
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen([sys.executable, "-c", program], cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        workers = _wait_for_listeners(server.pid, port, count=2)
        # A burst, as at a closing minute: every connection is made before any is served.
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(CLIENTS)]
        try:
            for client in clients:  # each answered on its keep-alive connection, which stays open
                client.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                assert client.recv(64).startswith(b"HTTP/1.1 200")
            holders = _holders_of_connections(workers, port)
        finally:
            for client in clients:
                client.close()
    finally:
        server.terminate()  # SIGTERM: uvicorn's supervisor stops its workers gracefully
        assert server.wait(STOP_SECONDS) == 0, log.read_text()

    # With one socket shared by the workers, the first to wake took them all; each worker listening on its own,
    # the kernel spreads them (all 16 on one of two by chance: 2 in 65,536).
    assert sum(holders.values()) == CLIENTS
    assert set(holders) == set(workers), holders


def _wait_for_listeners(parent: int, port: int, count: int, seconds: float = 60.0) -> list[int]:
    """The workers of ``parent`` once ``count`` of them listen on ``port`` (each starts its app first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        listening = _sockets_on(port, state="0A")
        owners = {pid for pid in _children(parent) for inode in _inodes_of(pid) if inode in listening}
        if len(owners) >= count:
            return sorted(owners)
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} workers listen on {port}")


def _holders_of_connections(workers: list[int], port: int) -> dict[int, int]:
    """How many of the server's established connections on ``port`` each worker holds."""
    established = _sockets_on(port, state="01")
    return {pid: held for pid in workers if (held := len(_inodes_of(pid) & established))}


def _sockets_on(port: int, state: str) -> set[int]:
    """Inodes of the local TCP sockets whose own port is ``port``, in the given /proc/net/tcp state."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(int(fields[9]))
    return inodes


def _inodes_of(pid: int) -> set[int]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = fd.readlink().as_posix()
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[len("socket:[") : -1]))
    except OSError:
        pass
    return inodes


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
            except (OSError, IndexError):
                continue
    return found
