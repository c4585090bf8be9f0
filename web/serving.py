"""How ``auction serve`` runs the app: uvicorn on uvloop and httptools, each worker on a listening socket of its own.

Measured on this machine (issue 14, target 7): with one listening socket shared by the workers, the worker that
wakes first accepts every waiting connection (asyncio accepts up to the backlog per wake-up), so 64 keep-alive
clients all landed on one worker. Here the parent only reserves the port: ``PortGroup`` is bound with SO_REUSEPORT
and never listens. Each worker receives it as uvicorn hands sockets to its workers (pickled), and unpickling makes
that worker a listener of its own in the same SO_REUSEPORT group, so the kernel spreads new connections across the
workers. Another program still cannot take the port (it would need SO_REUSEPORT as the same user), and uvicorn's
supervisor keeps doing what it did: graceful stop on SIGTERM, a replacement for a worker that dies, the lifespan
(and so the background jobs) in every worker.

Nagle's algorithm: uvicorn's transports (asyncio's and uvloop's) switch it off on every accepted connection
(checked with strace); the listener switches it off too, which Linux passes on to the connections it accepts, so
the setting does not hang on an event loop's habit. tests/web/test_serving.py looks at the accepted sockets.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess

APP = "web.app:create_app"
# The fast event loop and HTTP parser (both pinned in pyproject.toml): uvicorn's pure-Python h11 parser and the
# standard asyncio loop cost a third of the requests a worker answers on a light route (docs/scale.md).
LOOP = "uvloop"
HTTP = "httptools"
BACKLOG = 2048


def server_config(
    host: str, port: int, *, workers: int, trusted_proxies: Sequence[str], log_level: str, app: str = APP
) -> uvicorn.Config:
    """The uvicorn configuration ``auction serve`` runs: every choice it makes about HTTP is here."""
    return uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop=LOOP,
        http=HTTP,
        backlog=BACKLOG,
        proxy_headers=True,
        # No "Server: uvicorn" banner: it tells a scanner which exploits to try and tells a visitor nothing.
        server_header=False,
        # uvicorn rewrites the client address and scheme only for the proxies the app trusts (none by default), so
        # it agrees with web.lib.throttle.client_address instead of believing any peer on 127.0.0.1.
        forwarded_allow_ips=list(trusted_proxies),
        log_level=log_level,
    )


def run(config: uvicorn.Config) -> None:
    """Serve until SIGINT or SIGTERM: in this process for one worker, else under uvicorn's supervisor."""
    if config.workers <= 1:
        server = uvicorn.Server(config)
        server.run(sockets=[listener(config.host, config.port)])
        if not server.started:  # as uvicorn.run: a start-up that failed is not a clean exit
            sys.exit(STARTUP_FAILURE)
        return
    reservation = PortGroup.reserve(config.host, config.port)
    try:
        Multiprocess(config, sockets=[reservation]).run()
    finally:
        reservation.close()


class PortGroup(socket.socket):
    """The parent's hold on the port: bound with SO_REUSEPORT, never listening (a listening socket of the group
    would be dealt connections that nobody accepts). A worker that unpickles it gets its own listener instead."""

    @classmethod
    def reserve(cls, host: str, port: int) -> PortGroup:
        family, address = _address(host, port)
        reservation = cls(family, socket.SOCK_STREAM)
        _share_port(reservation)
        reservation.bind(address)
        return reservation

    def __reduce__(self) -> tuple[Any, ...]:
        host, port = self.getsockname()[:2]
        return listener, (host, port)


def listener(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` in its SO_REUSEPORT group, with Nagle off for the connections it accepts;
    uvicorn makes it listen (with the configured backlog) when the worker starts serving."""
    family, address = _address(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    _share_port(sock)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


def _share_port(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)


def _address(host: str, port: int) -> tuple[socket.AddressFamily, Any]:
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    return family, address
